// swift-tools-version:6.0
// ProbeDB — an embedded analytics engine that explains speech-emotion embeddings.
// Targets are grouped: C system libraries, domain libraries, query engine, facade, apps, tests.
import PackageDescription

let package = Package(
  name: "ProbeDB",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "ProbeDB", targets: ["ProbeDB"]),
    .executable(name: "probedb", targets: ["probedb"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // MARK: C system libraries (each imported by exactly one Swift module)
    .systemLibrary(name: "CProbeSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
    .systemLibrary(name: "CProbeBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
    .systemLibrary(name: "CProbeSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
    .systemLibrary(name: "CProbeSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
    .systemLibrary(name: "CProbeKissFFT", pkgConfig: "kissfft-float", providers: [.apt(["libkissfft-dev"])]),
    .systemLibrary(name: "CProbeReadline", pkgConfig: "readline", providers: [.apt(["libreadline-dev"])]),

    // MARK: Shared vocabulary and domain libraries (no knowledge of the query language)
    .target(name: "ProbeCore", dependencies: ["CProbeKernels"]),
    // Small C kernels that need CPU intrinsics chosen at run time (SHA extensions, small Cholesky).
    .target(name: "CProbeKernels"),
    .target(name: "ProbeNumerics", dependencies: ["CProbeBLAS", "CProbeKernels"]),
    .target(name: "ProbeAudio", dependencies: ["CProbeSndfile", "CProbeSoxr", "CProbeKissFFT"]),
    // SQLite extensions in C (the `probe_rows` table-valued function over column arrays).
    .target(name: "CProbeSQLiteRows", dependencies: ["CProbeSQLite"]),
    .target(name: "ProbeStorage", dependencies: ["CProbeSQLite", "CProbeSQLiteRows", "ProbeCore"]),
    .target(name: "ProbeCorpus", dependencies: ["ProbeCore"]),
    .target(name: "ProbeLearn", dependencies: ["ProbeNumerics", "ProbeCore"]),
    .target(name: "ProbePlot"),
    .target(name: "ProbeEGeMAPS", dependencies: ["ProbeAudio", "ProbeNumerics"]),
    .target(name: "ProbeWavLM", dependencies: ["ProbeNumerics"]),

    // MARK: Query engine: text → tokens → AST → bound plan → operators → result table
    .target(name: "ProbeSyntax", dependencies: ["ProbeCore"]),
    .target(name: "ProbePlanner", dependencies: ["ProbeSyntax", "ProbeCorpus", "ProbeCore"]),
    .target(
      name: "ProbeExecution",
      dependencies: ["ProbePlanner", "ProbeSyntax", "ProbeStorage", "ProbeAudio", "ProbeCorpus", "ProbeEGeMAPS", "ProbeWavLM", "ProbeLearn", "ProbePlot", "ProbeNumerics", "ProbeCore"]),

    // MARK: Facade and apps
    .target(name: "ProbeDB", dependencies: ["ProbeExecution", "ProbePlanner", "ProbeSyntax", "ProbeStorage", "ProbeCore"]),
    .target(name: "ProbeShell", dependencies: ["ProbeDB", "CProbeReadline"]),
    .executableTarget(
      name: "probedb",
      dependencies: ["ProbeShell", "ProbeNumerics", "CProbeKernels", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

    // Benchmark driver (run by scripts/bench_*.py on demand; not a product).
    .executableTarget(name: "probedb-bench", dependencies: ["ProbeAudio", "ProbeEGeMAPS", "ProbeWavLM", "ProbeNumerics", "ProbeLearn"]),

    // MARK: Tests
    .target(
      name: "ProbeTestSupport", dependencies: ["ProbeDB", "ProbeAudio"], path: "Tests/ProbeTestSupport",
      exclude: ["Fixtures"]),
    .testTarget(name: "ProbeCoreTests", dependencies: ["ProbeCore", "CProbeKernels"]),
    .testTarget(name: "ProbeNumericsTests", dependencies: ["ProbeNumerics"]),
    .testTarget(name: "ProbeLearnTests", dependencies: ["ProbeLearn", "ProbeNumerics", "ProbeTestSupport"]),
    .testTarget(name: "ProbeEGeMAPSTests", dependencies: ["ProbeEGeMAPS", "ProbeAudio", "ProbeTestSupport"]),
    .testTarget(name: "ProbeWavLMTests", dependencies: ["ProbeWavLM", "ProbeAudio", "ProbeTestSupport"]),
    .testTarget(name: "ProbeAudioTests", dependencies: ["ProbeAudio", "ProbeTestSupport"]),
    .testTarget(name: "ProbeStorageTests", dependencies: ["ProbeStorage", "ProbeTestSupport"]),
    .testTarget(name: "ProbeCorpusTests", dependencies: ["ProbeCorpus", "ProbeTestSupport"]),
    .testTarget(name: "ProbeSyntaxTests", dependencies: ["ProbeSyntax", "ProbeTestSupport"], exclude: ["Golden"]),
    .testTarget(name: "ProbePlannerTests", dependencies: ["ProbePlanner", "ProbeSyntax"]),
    .testTarget(name: "ProbeDBTests", dependencies: ["ProbeDB", "ProbeExecution", "ProbeStorage", "ProbeAudio", "ProbeTestSupport"]),
    .testTarget(name: "ProbeShellTests", dependencies: ["ProbeShell", "ProbeTestSupport"], exclude: ["Transcripts"]),
  ],
  swiftLanguageModes: [.v5]
)
