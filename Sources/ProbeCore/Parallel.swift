import CProbeKernels

/// Loops over both cores: the calling thread and a pool of helper threads (one per further core)
/// take the indices from a shared counter (`probe_parallel_for` in CProbeKernels/parallel.c, which
/// explains why not libdispatch's `concurrentPerform`). Nested loops, and loops started on a second
/// thread while one runs, run serially on their own thread.
public enum Parallel {
  /// Threads a loop runs on: the caller and the helpers.
  public static var threads: Int { Int(probe_parallel_threads()) }

  /// Wake the helpers to spin, ready, for a few milliseconds: for a caller that knows loops are
  /// coming (a statement starting its work), since waking a sleeping thread can take ~1 ms.
  public static func warm() { probe_parallel_warm() }

  /// Call `body(i)` for every i in 0..<n, in any order and on any of the pool's threads; returns
  /// when every call has returned.
  public static func forEach(_ n: Int, _ body: (Int) -> Void) {
    guard n > 0 else { return }
    withoutActuallyEscaping(body) { body in
      var box = body
      withUnsafeMutablePointer(to: &box) { p in
        probe_parallel_for(n, { ctx, i in ctx!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(i)) }, p)
      }
    }
  }
}
