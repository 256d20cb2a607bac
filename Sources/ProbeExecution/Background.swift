import Foundation

/// Work begun on another thread now, its result collected later: `value()` waits for it and
/// returns it or throws its error. A statement reads its input files this way while its matrices
/// load.
final class Background<T>: @unchecked Sendable {
  private let done = DispatchGroup()
  private var result: Result<T, Error>?

  init(_ body: @escaping () throws -> T) {
    done.enter()
    DispatchQueue.global(qos: .userInitiated).async {
      self.result = Result(catching: body)
      self.done.leave()
    }
  }

  /// The work's result, once it has finished.
  func value() throws -> T {
    done.wait()
    return try result!.get()
  }
}
