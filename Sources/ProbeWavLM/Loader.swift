import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension WavLMModel {
  /// Weight files looked for in a model folder, in order of preference; each may instead be
  /// sharded, with `<name>.index.json` (Hugging Face's `weight_map` of tensor → shard file).
  public static let weightFiles = ["model.safetensors", "pytorch_model.bin"]

  /// The weight files a folder would load from (one file, or every shard of a sharded
  /// checkpoint), or a clear error naming the folder.
  public static func weightPaths(folder: String) throws -> [String] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
      throw CheckpointError("model folder '\(folder)' does not exist or is not a folder")
    }
    let fm = FileManager.default
    for f in weightFiles {
      let p = (folder as NSString).appendingPathComponent(f)
      if fm.fileExists(atPath: p) { return [p] }
      let index = p + ".index.json"
      if fm.fileExists(atPath: index) {
        guard let d = fm.contents(atPath: index), let j = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
          let map = j["weight_map"] as? [String: String], !map.isEmpty
        else { throw CheckpointError("'\(f).index.json' in '\(folder)' has no weight_map") }
        let shards = Set(map.values).sorted()
        for s in shards where s.contains("/") || s.hasPrefix(".") {
          throw CheckpointError("'\(f).index.json' names shard '\(s)' outside the model folder")
        }
        let paths = shards.map { (folder as NSString).appendingPathComponent($0) }
        if let missing = paths.first(where: { !fm.fileExists(atPath: $0) }) {
          throw CheckpointError("'\(f).index.json' lists shard '\((missing as NSString).lastPathComponent)', which is not in '\(folder)'")
        }
        return paths
      }
    }
    throw CheckpointError("model folder '\(folder)' has no weights (looked for \(weightFiles.joined(separator: " and ")), or their .index.json for sharded checkpoints)")
  }

  /// Read one weight file in whichever format its name says.
  static func readWeights(path: String) throws -> [String: LazyTensor] {
    let name = (path as NSString).lastPathComponent
    if name.hasSuffix(".bin") || name.hasSuffix(".pt") || name.hasSuffix(".pth") { return try TorchCheckpoint.index(path: path) }
    return try SafeTensors.index(path: path)
  }

  /// Load a Hugging Face WavLM checkpoint folder: `config.json` (+ `preprocessor_config.json`)
  /// and `model.safetensors` or `pytorch_model.bin` (or their shards). `weights` names one weight
  /// file to use instead.
  public static func load(folder: String, weights file: String? = nil) throws -> WavLMModel {
    let config = try WavLMConfig.load(folder: folder)
    let paths = try file.map { [(folder as NSString).appendingPathComponent($0)] } ?? weightPaths(folder: folder)
    let name = paths.count == 1 ? (paths[0] as NSString).lastPathComponent : "\(paths.count) shards of \((paths[0] as NSString).lastPathComponent)"
    // The raw tensors live only inside this closure: they are freed before the trim below.
    let weights = try { () throws -> WavLMWeights in
      var tensors: [String: LazyTensor] = [:]
      for p in paths {
        for (k, v) in try readWeights(path: p) {
          guard tensors.updateValue(v, forKey: k) == nil else {
            throw CheckpointError("tensor '\(k)' appears in more than one shard ('\((p as NSString).lastPathComponent)' and another)")
          }
        }
      }
      return try WavLMWeights(tensors: tensors, config: config, file: name)
    }()
    #if canImport(Glibc)
      // The checkpoint's tensors were freed after rearranging: hand their pages back to the OS.
      // (glibc's malloc_trim, looked up at run time: <malloc.h> is not in the Glibc module.)
      if let sym = dlsym(nil, "malloc_trim") {
        _ = unsafeBitCast(sym, to: (@convention(c) (Int) -> Int32).self)(0)
      }
    #endif
    return WavLMModel(config: config, weights: weights)
  }
}
