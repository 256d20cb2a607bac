/// A flag that asks running work to stop. `cancel()` is a single aligned store, so a SIGINT
/// handler may call it; long operators poll `isCancelled`.
public final class CancellationToken: @unchecked Sendable {
  private let flag: UnsafeMutablePointer<Int32>

  public init() {
    flag = .allocate(capacity: 1)
    flag.initialize(to: 0)
  }
  deinit { flag.deallocate() }

  public func cancel() { flag.pointee = 1 }
  public func reset() { flag.pointee = 0 }
  public var isCancelled: Bool { flag.pointee != 0 }
}
