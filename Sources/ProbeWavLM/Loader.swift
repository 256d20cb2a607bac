import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension WavLMModel {
  /// Weight files looked for in a model folder, in order of preference.
  public static let weightFiles = ["model.safetensors", "pytorch_model.bin"]

  /// The weight file a folder would load from, or a clear error naming the folder.
  public static func weightFile(folder: String) throws -> String {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
      throw CheckpointError("model folder '\(folder)' does not exist or is not a folder")
    }
    for f in weightFiles {
      let p = (folder as NSString).appendingPathComponent(f)
      if FileManager.default.fileExists(atPath: p) { return p }
    }
    throw CheckpointError("model folder '\(folder)' has no weights (looked for \(weightFiles.joined(separator: " and ")))")
  }

  /// Load a Hugging Face WavLM checkpoint folder: `config.json` (+ `preprocessor_config.json`)
  /// and `model.safetensors` or `pytorch_model.bin`. `weights` overrides the weight file name.
  public static func load(folder: String, weights file: String? = nil) throws -> WavLMModel {
    let config = try WavLMConfig.load(folder: folder)
    let path = try file.map { (folder as NSString).appendingPathComponent($0) } ?? weightFile(folder: folder)
    let name = (path as NSString).lastPathComponent
    let tensors: [String: Tensor]
    if name.hasSuffix(".bin") || name.hasSuffix(".pt") || name.hasSuffix(".pth") {
      tensors = try TorchCheckpoint.read(path: path)
    } else {
      tensors = try SafeTensors.read(path: path)
    }
    let weights = try WavLMWeights(tensors: tensors, config: config, file: name)
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
