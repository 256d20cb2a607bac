/// An audio file could not be read, decoded or resampled. Always names the file.
public struct AudioError: Error, Sendable, CustomStringConvertible, Equatable {
  public enum Kind: String, Sendable {
    case missing = "file not found"
    case unreadable = "not readable as audio"
    case empty = "no audio frames"
    case invalidSamples = "invalid samples"
    case resampling = "resampling failed"
    case writing = "cannot write audio"
  }
  public let kind: Kind
  public let path: String
  public let detail: String

  public init(_ kind: Kind, path: String, detail: String = "") {
    self.kind = kind
    self.path = path
    self.detail = detail
  }

  public var description: String {
    detail.isEmpty ? "'\(path)': \(kind.rawValue)" : "'\(path)': \(kind.rawValue) (\(detail))"
  }
}
