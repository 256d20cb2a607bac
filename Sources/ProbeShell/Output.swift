import Foundation

/// Where the shell writes: standard output and error in the app, strings in tests.
public protocol TextSink: AnyObject {
  func write(_ text: String)
}

/// A sink on a file descriptor (1 = stdout, 2 = stderr), unbuffered so output interleaves in order.
public final class FileSink: TextSink {
  let fd: Int32
  public init(fd: Int32) { self.fd = fd }
  public func write(_ text: String) {
    var bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
      let n = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress! + off, $0.count - off) }
      if n <= 0 { return }
      off += n
    }
  }
  public var isTerminal: Bool { isatty(fd) == 1 }
  public static let stdout = FileSink(fd: 1)
  public static let stderr = FileSink(fd: 2)
}

/// A sink that collects text (tests, transcripts).
public final class StringSink: TextSink {
  public private(set) var text = ""
  public init() {}
  public func write(_ text: String) { self.text += text }
}
