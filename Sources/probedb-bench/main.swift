import Dispatch
import Foundation
import ProbeAudio
import ProbeEGeMAPS
import ProbeNumerics

// probedb-bench: timings for the benchmark scripts (never a test).
//   probedb-bench egemaps FILE.wav [REPEATS]   eGeMAPSv02 of one file, one thread: best total and
//                                              per-stage seconds (JSON on stdout)
let args = CommandLine.arguments
guard args.count >= 3, args[1] == "egemaps" else {
  FileHandle.standardError.write(Data("usage: probedb-bench egemaps FILE.wav [REPEATS]\n".utf8))
  exit(2)
}
Linalg.setBLASThreads(1)
let repeats = args.count > 3 ? Int(args[3]) ?? 3 : 3
let audio = try AudioDecoder.decode(path: args[2])
let x = audio.samples.map { Float(min(max((Double($0) * 32768).rounded(.towardZero), -32768), 32767) / 32767) }
var best = Double.infinity
var bestStages: [(String, Double)] = []
for _ in 0..<repeats {
  var stages: [(String, Double)] = []
  let t0 = DispatchTime.now().uptimeNanoseconds
  _ = EGeMAPSExtractor.compute(x, sampleRate: audio.sampleRate) { stages.append(($0, $1)) }
  let t = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
  if t < best {
    best = t
    bestStages = stages
  }
}
let stageJSON = bestStages.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ")
print("{\"seconds\": \(best), \"audio_seconds\": \(Double(audio.samples.count) / Double(audio.sampleRate)), \"stages\": {\(stageJSON)}}")
