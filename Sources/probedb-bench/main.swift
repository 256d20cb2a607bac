import Dispatch
import Foundation
import ProbeAudio
import ProbeEGeMAPS
import ProbeLearn
import ProbeNumerics
import ProbeWavLM

// probedb-bench: timings for the benchmark scripts (never a test). JSON on stdout.
//   probedb-bench egemaps FILE.wav [REPEATS]
//       eGeMAPSv02 of one file, one thread: best total and per-stage seconds
//   probedb-bench wavlm MODEL_DIR THREADS REPEATS POOLED_OUT_DIR FILE.wav…
//       WavLM forward with every hidden state per file (THREADS workers, one warm-up pass, then
//       REPEATS timed passes): best/median seconds, GFLOP/s, the
//       process's peak RSS during the forward passes (VmHWM reset after loading), weight bytes;
//       the pooled vectors [L+1, H] of each file as raw float32 in POOLED_OUT_DIR/<i>.f32;
//       PROBEDB_BENCH_POOLED=1 keeps no hidden states (EXTRACT's mode)
//   probedb-bench sgemm THREADS
//       OpenBLAS sgemm GFLOP/s on a large square product and on the FFN shape of a 10 s utterance,
//       and the kernel family OpenBLAS uses (`core`)
//   probedb-bench cholesky N [REPS]
//       OpenBLAS dpotrf (one thread) of an N×N SPD matrix, as a kernel-form Newton step factors,
//       against the project's Cholesky kernel (each instruction set this CPU has)
//   PROBEDB_BENCH_ROWSPLIT=N overrides WavLMModel.rowSplitFrames for the wavlm mode
let args = CommandLine.arguments
func usage() -> Never {
  FileHandle.standardError.write(Data("usage: probedb-bench egemaps FILE.wav [REPEATS] | wavlm MODEL_DIR THREADS REPEATS OUT_DIR FILE.wav… | sgemm THREADS | cholesky N [REPS] | rowproducts M N D [REPS] | logistic N D [REPS]\n".utf8))
  exit(2)
}
func seconds(_ body: () throws -> Void) rethrows -> Double {
  let t0 = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}
func status(_ key: String) -> Double {
  guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
  for line in s.split(separator: "\n") where line.hasPrefix(key + ":") {
    return Double(line.split(separator: " ").dropFirst().first { Double($0) != nil }.flatMap { Double($0) } ?? .nan) / 1024
  }
  return .nan
}
guard args.count >= 2 else { usage() }
do {
  switch args[1] {
  case "egemaps" where args.count >= 3:
    Linalg.setBLASThreads(1)
    let repeats = args.count > 3 ? Int(args[3]) ?? 3 : 3
    let audio = try AudioDecoder.decode(path: args[2])
    let x = audio.samples.map { Float(min(max((Double($0) * 32768).rounded(.towardZero), -32768), 32767) / 32767) }
    var best = Double.infinity
    var bestStages: [(String, Double)] = []
    for _ in 0..<repeats {
      var stages: [(String, Double)] = []
      let t = seconds { _ = EGeMAPSExtractor.compute(x, sampleRate: audio.sampleRate) { stages.append(($0, $1)) } }
      if t < best {
        best = t
        bestStages = stages
      }
    }
    let stageJSON = bestStages.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ")
    print("{\"seconds\": \(best), \"audio_seconds\": \(Double(audio.samples.count) / Double(audio.sampleRate)), \"stages\": {\(stageJSON)}}")

  case "wavlm" where args.count >= 7:
    guard let threads = Int(args[3]), let repeats = Int(args[4]) else { usage() }
    Linalg.setBLASThreads(threads)
    WavLMModel.threads = threads
    if let v = ProcessInfo.processInfo.environment["PROBEDB_BENCH_ROWSPLIT"].flatMap(Int.init) { WavLMModel.rowSplitFrames = v }
    var model: WavLMModel!
    let load = try seconds { model = try WavLMModel.load(folder: args[2]) }
    let weightBytes = try WavLMModel.weightPaths(folder: args[2]).reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
    let loadPeak = status("VmHWM")
    let afterLoad = status("VmRSS")
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)  // reset VmHWM
    for (i, file) in args[6...].enumerated() {
      let x = try AudioDecoder.decode(path: file).samples
      var times: [Double] = []
      var out: WavLMOutput!
      // PROBEDB_BENCH_POOLED=1: pooled vectors only, as EXTRACT runs it (no hidden states kept).
      let keep = ProcessInfo.processInfo.environment["PROBEDB_BENCH_POOLED"] != "1"
      out = try model.forward(x, keepStates: keep)  // warm-up, not timed
      for _ in 0..<max(1, repeats) { times.append(try seconds { out = try model.forward(x, keepStates: keep) }) }
      times.sort()
      let pooled = out.pooled.flatMap { $0 }
      try pooled.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: args[5] + "/\(i).f32"))
      let flops = model.config.flops(samples: x.count)
      print("{\"file\": \"\(file)\", \"samples\": \(x.count), \"frames\": \(out.frames), \"best_seconds\": \(times[0]), \"median_seconds\": \(times[times.count / 2]), \"gflops\": \(flops / 1e9), \"gflop_per_second\": \(flops / 1e9 / times[0]), \"peak_rss_mb\": \(status("VmHWM")), \"load_peak_rss_mb\": \(loadPeak), \"rss_after_load_mb\": \(afterLoad), \"load_seconds\": \(load), \"weight_mb\": \(Double(weightBytes) / 1048576)}")
    }

  case "sgemm" where args.count >= 3:
    guard let threads = Int(args[2]) else { usage() }
    Linalg.setBLASThreads(threads)
    var results: [String] = []
    for (label, m, n, k) in [("square2048", 2048, 2048, 2048), ("ffn_10s", 499, 3072, 768)] {
      let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: n * k)
      var c = [Float](repeating: 0, count: m * n)
      var best = Double.infinity
      for _ in 0..<5 {
        best = min(best, seconds {
          a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            Float.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: k, beta: 0, c: cp.baseAddress!, ldc: n)
          } } }
        })
      }
      results.append("\"\(label)\": \(2 * Double(m * n * k) / best / 1e9)")
    }
    print("{\"threads\": \(threads), \"core\": \"\(Linalg.blasCoreName)\", \(results.joined(separator: ", "))}")

  case "cholesky" where args.count >= 3:
    // Small SPD factorisations as cross-validation's Newton steps do them.
    guard let n = Int(args[2]) else { usage() }
    let reps = args.count > 3 ? Int(args[3]) ?? 2000 : 2000
    Linalg.setBLASThreads(1)
    var z = [Double](repeating: 0, count: n * 768)
    var rng = SystemRandomNumberGenerator()
    for i in z.indices { z[i] = Double.random(in: -1...1, using: &rng) }
    var k = Linalg.gram(z, rows: n, cols: 768)
    for i in 0..<n { k[i * n + i] += 1 }
    var work = k
    let tLapack = seconds {
      for _ in 0..<reps {
        work = k
        _ = work.withUnsafeMutableBufferPointer { Linalg.lapackCholeskyInPlace($0.baseAddress!, n: n) }
      }
    }
    let lapackFactor = work
    // The project's kernel on the same matrix and storage.
    let tSmall = seconds {
      for _ in 0..<reps {
        work = k
        _ = try? work.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: n, kernel: Linalg.choleskyKernelLevel) }
      }
    }
    // Largest relative difference between the two factors (both column-major lower).
    var maxRel = 0.0
    for j in 0..<n {
      for i in j..<n {
        let mine = work[j * n + i], theirs = lapackFactor[j * n + i]
        maxRel = max(maxRel, abs(mine - theirs) / max(abs(theirs), 1e-300))
      }
    }
    var variants = ""
    for kernel in 0..<Linalg.choleskyKernelLevel {
      let t = seconds {
        for _ in 0..<reps {
          work = k
          _ = try? work.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: n, kernel: kernel) }
        }
      }
      variants += ", \"\(Linalg.choleskyKernelNames[kernel])_us\": \(t / Double(reps) * 1e6)"
    }
    // The primal Newton matrix of an n×(n/2) problem: OpenBLAS (rows scaled by √w, then dsyrk: the
    // path without AVX-512) against the project's weighted Gram kernel.
    let d = n / 2
    let zp = Array(z.prefix(n * d))
    let wv = (0..<n).map { _ in Double.random(in: 0.01...0.25, using: &rng) }
    var hw = [Double](repeating: 0, count: (d + 1) * (d + 1))
    let tSyrk = seconds {
      for _ in 0..<reps {
        zp.withUnsafeBufferPointer { pz in hw.withUnsafeMutableBufferPointer { Linalg.weightedGramShiftBLAS(pz.baseAddress, rows: n, cols: d, weights: wv, c: 1, into: $0.baseAddress!) } }
      }
    }
    variants += ", \"gram_n\": \(n), \"gram_d\": \(d), \"gram_openblas_us\": \(tSyrk / Double(reps) * 1e6)"
    for kernel in 0...Linalg.choleskyKernelLevel {
      let t = seconds {
        for _ in 0..<reps {
          _ = zp.withUnsafeBufferPointer { pz in hw.withUnsafeMutableBufferPointer { Linalg.weightedGramShift(pz.baseAddress, rows: n, cols: d, weights: wv, c: 1, into: $0.baseAddress!, kernel: kernel) } }
        }
      }
      variants += ", \"gram_\(Linalg.choleskyKernelNames[kernel])_us\": \(t / Double(reps) * 1e6)"
    }
    // K = Z·Zᵀ of the kernel form (n × 768): OpenBLAS's dsyrk against the project's kernels.
    let zg = (0..<(n * 768)).map { _ in Double.random(in: -1...1, using: &rng) }
    let tGram = seconds { for _ in 0..<reps { _ = Linalg.gramBLAS(zg, rows: n, cols: 768) } }
    variants += ", \"kgram_d\": 768, \"kgram_openblas_us\": \(tGram / Double(reps) * 1e6)"
    let kRef = Linalg.gramBLAS(zg, rows: n, cols: 768)
    for kernel in 0...Linalg.choleskyKernelLevel {
      let t = seconds { for _ in 0..<reps { _ = Linalg.gram(zg, rows: n, cols: 768, kernel: kernel) } }
      let k = Linalg.gram(zg, rows: n, cols: 768, kernel: kernel)!
      let diff = zip(k, kRef).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0
      variants += ", \"kgram_\(Linalg.choleskyKernelNames[kernel])_us\": \(t / Double(reps) * 1e6), \"kgram_\(Linalg.choleskyKernelNames[kernel])_diff\": \(diff)"
    }
    // Solves with the factor, two right-hand sides (the kernel-form Newton step) and one: LAPACK's
    // dpotrs against the project's kernel.
    let rhs0 = (0..<(2 * n)).map { _ in Double.random(in: -1...1, using: &rng) }
    for nrhs in [2, 1] {
      var x = rhs0
      let tPotrs = seconds {
        for _ in 0..<reps {
          for i in 0..<(n * nrhs) { x[i] = rhs0[i] }
          lapackFactor.withUnsafeBufferPointer { pl in x.withUnsafeMutableBufferPointer { Linalg.lapackCholeskySolveInPlace(pl.baseAddress!, n: n, $0.baseAddress!, nrhs: nrhs) } }
        }
      }
      let reference = x
      let tSolve = seconds {
        for _ in 0..<reps {
          for i in 0..<(n * nrhs) { x[i] = rhs0[i] }
          lapackFactor.withUnsafeBufferPointer { pl in x.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(pl.baseAddress!, n: n, $0.baseAddress!, nrhs: nrhs) } }
        }
      }
      var rel = 0.0
      for i in 0..<(n * nrhs) { rel = max(rel, abs(x[i] - reference[i]) / max(abs(reference[i]), 1e-300)) }
      variants += ", \"solve\(nrhs)_lapack_us\": \(tPotrs / Double(reps) * 1e6), \"solve\(nrhs)_kernel_us\": \(tSolve / Double(reps) * 1e6), \"solve\(nrhs)_max_rel_diff\": \(rel)"
    }
    let flops = Double(n * n * n) / 3 * Double(reps)
    print("{\"n\": \(n), \"lapack_gflops\": \(flops / tLapack / 1e9), \"lapack_us\": \(tLapack / Double(reps) * 1e6), "
      + "\"kernel\": \"\(Linalg.choleskyKernel)\", \"kernel_gflops\": \(flops / tSmall / 1e9), \"kernel_us\": \(tSmall / Double(reps) * 1e6), \"max_rel_diff\": \(maxRel)\(variants)}")

  case "rowproducts" where args.count >= 5:
    // The kernel form's products of rows (K of the first N rows and the other rows' products with
    // them) as cross-validation forms them: M rows of D columns, 64-byte-aligned rows.
    guard let m = Int(args[2]), let n = Int(args[3]), let d = Int(args[4]) else { usage() }
    let reps = args.count > 5 ? Int(args[5]) ?? 2000 : 2000
    let ld = (d + 7) / 8 * 8
    let z = UnsafeMutablePointer<Double>.allocate(capacity: m * ld + 8)
    defer { z.deallocate() }
    let aligned = UnsafeMutablePointer<Double>(bitPattern: (Int(bitPattern: z) + 63) / 64 * 64)!
    var rng = SystemRandomNumberGenerator()
    for i in 0..<(m * ld) where i + (aligned - z) < m * ld + 8 { aligned[i] = Double.random(in: -1...1, using: &rng) }
    var c = [Double](repeating: 0, count: m * n)
    let t = seconds { for _ in 0..<reps { c.withUnsafeMutableBufferPointer { Linalg.rowProducts(aligned, ld: ld, rows: m, first: n, cols: d, into: $0.baseAddress!) } } }
    let fmas = Double(n * (n + 1) / 2 + (m - n) * n) * Double(d)
    print("{\"m\": \(m), \"n\": \(n), \"d\": \(d), \"us\": \(t / Double(reps) * 1e6), \"gflops\": \(2 * fmas * Double(reps) / t / 1e9)}")
  case "logistic" where args.count >= 4:
    // One L2 logistic fit from scratch (C = 1) in each Newton form, n rows × d columns: where the
    // primal form (d+1)² stops paying against the kernel form n² (LogisticProblem.usesPrimal).
    guard let n = Int(args[2]), let d = Int(args[3]) else { usage() }
    let reps = args.count > 4 ? Int(args[4]) ?? 200 : 200
    Linalg.setBLASThreads(1)
    var rng = SystemRandomNumberGenerator()
    let z = DataMatrix(rows: n, cols: d, values: (0..<(n * d)).map { _ in Double.random(in: -1.7...1.7, using: &rng) })
    let y = (0..<n).map { i in (0..<min(d, 15)).reduce(0.0) { $0 + z[i, $1] * ($1 % 2 == 0 ? 0.4 : -0.3) } + Double.random(in: -1...1, using: &rng) > 0 ? 1 : 0 }
    var out: [String] = []
    for (label, form) in [("primal", LogisticProblem.Form.primal), ("kernel", .kernel)] {
      var iterations = 0
      let problem = LogisticProblem(z: z, y: y, form: form)  // K = Z·Zᵀ outside the timing, as the sweep grows it
      let t = try seconds {
        for _ in 0..<reps { iterations = try problem.fit(c: 1).iterations }
      }
      out.append("\"\(label)_us\": \(t / Double(reps) * 1e6), \"\(label)_iterations\": \(iterations)")
    }
    print("{\"n\": \(n), \"d\": \(d), \"automatic\": \"\(LogisticProblem.usesPrimal(rows: n, cols: d) ? "primal" : "kernel")\", \(out.joined(separator: ", "))}")

  default:
    usage()
  }
} catch {
  FileHandle.standardError.write(Data("probedb-bench: \(error)\n".utf8))
  exit(1)
}
