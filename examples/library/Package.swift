// swift-tools-version:6.0
// A minimal program that uses ProbeDB as a library. Build and run from this folder:
//   swift run corpus-summary ../mini-corpus
import PackageDescription

let package = Package(
  name: "corpus-summary",
  dependencies: [.package(name: "ProbeDB", path: "../..")],
  targets: [
    .executableTarget(name: "corpus-summary", dependencies: [.product(name: "ProbeDB", package: "ProbeDB")])
  ],
  swiftLanguageModes: [.v5]
)
