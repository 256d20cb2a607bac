import Foundation
import ProbeCore
import XCTest

final class ParallelTests: XCTestCase {
  /// Every index exactly once, for loops of many sizes one after another (helpers spinning,
  /// woken, or asleep between them).
  func testEveryIndexRunsExactlyOnce() {
    for (round, n) in [0, 1, 2, 3, 5, 50, 1000, 7, 2].enumerated() {
      if round == 5 { usleep(20_000) }  // past the helpers' spin: they sleep, then are woken
      let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(n, 1))
      counts.initialize(repeating: 0, count: max(n, 1))
      defer { counts.deallocate() }
      Parallel.forEach(n) { i in counts[i] += 1 }
      XCTAssertEqual((0..<n).filter { counts[$0] != 1 }, [], "n = \(n)")
    }
  }

  /// The loop returns only after every body has returned, and bodies run on more than one
  /// thread when there is more than one core.
  func testLoopWaitsForEveryBodyAndUsesTheCores() {
    Parallel.warm()
    let n = 8
    let lock = NSLock()
    var finished = 0
    var threads = Set<UInt>()
    Parallel.forEach(n) { _ in
      let start = Date()
      while Date().timeIntervalSince(start) < 0.002 {}  // work long enough for every thread to join
      lock.lock()
      finished += 1
      threads.insert(UInt(pthread_self()))
      lock.unlock()
    }
    XCTAssertEqual(finished, n)
    if Parallel.threads > 1 { XCTAssertGreaterThan(threads.count, 1) }
    XCTAssertLessThanOrEqual(threads.count, Parallel.threads)
  }

  /// A loop inside a loop's body runs serially on that body's thread, and completes.
  func testNestedLoopsRunSeriallyInsideTheBody() {
    let lock = NSLock()
    var pairs = Set<Int>()
    Parallel.forEach(4) { i in
      let outer = pthread_self()
      Parallel.forEach(5) { j in
        XCTAssertTrue(pthread_equal(outer, pthread_self()) != 0, "inner body ran on another thread")
        lock.lock()
        pairs.insert(i * 10 + j)
        lock.unlock()
      }
    }
    XCTAssertEqual(pairs, Set((0..<4).flatMap { i in (0..<5).map { i * 10 + $0 } }))
  }

  /// Loops started on two threads at once both complete, every index once (one of them runs
  /// serially while the other has the pool).
  func testLoopsFromTwoThreadsAtOnce() {
    /// Counts a thread's loops write (each index by one body at a time).
    final class Counts: @unchecked Sendable {
      let p: UnsafeMutablePointer<Int>
      init(_ n: Int) {
        p = .allocate(capacity: n)
        p.initialize(repeating: 0, count: n)
      }
      deinit { p.deallocate() }
    }
    let n = 200
    let a = Counts(n), b = Counts(n)
    let group = DispatchGroup()
    for target in [a, b] {
      group.enter()
      Thread.detachNewThread {
        for _ in 0..<20 { Parallel.forEach(n) { i in target.p[i] += 1 } }
        group.leave()
      }
    }
    XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
    XCTAssertEqual((0..<n).filter { a.p[$0] != 20 || b.p[$0] != 20 }, [])
  }
}
