import Foundation

/// The fields of a Hugging Face `config.json` (+ `preprocessor_config.json`) that the WavLM
/// forward pass needs. Everything is taken from the files; defaults are transformers' class
/// defaults for keys a published config omits (`max_bucket_distance`).
public struct WavLMConfig: Equatable, Sendable {
  public var hiddenSize: Int
  public var layers: Int
  public var heads: Int
  public var intermediateSize: Int
  public var convDim: [Int]
  public var convKernel: [Int]
  public var convStride: [Int]
  public var convBias: Bool
  /// `group`: GroupNorm on conv layer 0 only (base); `layer`: LayerNorm after every conv (large).
  public var layerNormFrontEnd: Bool
  public var posConvKernel: Int
  public var posConvGroups: Int
  public var numBuckets: Int
  public var maxBucketDistance: Int
  public var stableLayerNorm: Bool
  public var layerNormEps: Float
  public var doNormalize: Bool
  public var samplingRate: Int

  public var headDim: Int { hiddenSize / heads }
  /// Samples needed for one output frame, and samples between frames.
  public var receptiveField: Int {
    var r = 1
    for (k, s) in zip(convKernel, convStride).reversed() { r = (r - 1) * s + k }
    return r
  }
  public var hop: Int { convStride.reduce(1, *) }

  /// Frames produced from `samples` input samples (0 when shorter than the receptive field).
  public func frames(samples: Int) -> Int {
    var l = samples
    for (k, s) in zip(convKernel, convStride) {
      guard l >= k else { return 0 }
      l = (l - k) / s + 1
    }
    return l
  }

  /// Multiply-adds ×2 of one forward pass over `samples` samples (the GEMM-shaped work: convs,
  /// projections, positional conv, attention products, FFN); elementwise work is not counted.
  public func flops(samples: Int) -> Double {
    var total = 0.0
    var l = samples, cin = 1
    for (i, (k, s)) in zip(convKernel, convStride).enumerated() {
      l = (l - k) / s + 1
      total += 2 * Double(l) * Double(convDim[i]) * Double(cin * k)
      cin = convDim[i]
    }
    let t = Double(l), h = Double(hiddenSize)
    total += 2 * t * Double(cin) * h  // feature projection
    total += 2 * t * h * Double(posConvKernel) * h / Double(posConvGroups)  // positional conv
    let perLayer = 2 * t * h * 3 * h + 2 * 2 * t * t * h + 2 * t * h * h + 2 * 2 * t * h * Double(intermediateSize)
    return total + Double(layers) * perLayer
  }

  /// Read `config.json` and, when present, `preprocessor_config.json` from a model folder.
  public static func load(folder: String) throws -> WavLMConfig {
    let path = (folder as NSString).appendingPathComponent("config.json")
    guard FileManager.default.fileExists(atPath: path) else {
      throw CheckpointError("model folder '\(folder)' has no config.json (a Hugging Face WavLM checkpoint folder holds config.json and model.safetensors or pytorch_model.bin)")
    }
    guard let data = FileManager.default.contents(atPath: path),
      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { throw CheckpointError("'\(path)' is not a JSON object") }
    var pre: [String: Any] = [:]
    let prePath = (folder as NSString).appendingPathComponent("preprocessor_config.json")
    if let d = FileManager.default.contents(atPath: prePath) {
      guard let p = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else {
        throw CheckpointError("'\(prePath)' is not a JSON object")
      }
      pre = p
    }
    return try parse(json, preprocessor: pre, name: path)
  }

  public static func parse(_ j: [String: Any], preprocessor pre: [String: Any], name: String) throws -> WavLMConfig {
    let modelType = j["model_type"] as? String ?? "?"
    let architectures = j["architectures"] as? [String] ?? []
    guard modelType == "wavlm" else {
      throw CheckpointError("'\(name)': model_type is '\(modelType)' (architectures \(architectures)); ProbeDB runs WavLM checkpoints (model_type 'wavlm') only")
    }
    func int(_ key: String, _ fallback: Int? = nil) throws -> Int {
      if let v = j[key] as? Int { return v }
      if let v = j[key] as? Double, let i = Int(exactly: v) { return i }
      if let fallback { return fallback }
      throw CheckpointError("'\(name)': missing or non-integer '\(key)'")
    }
    func ints(_ key: String) throws -> [Int] {
      guard let v = j[key] as? [Int], !v.isEmpty else { throw CheckpointError("'\(name)': missing or malformed '\(key)'") }
      return v
    }
    func string(_ key: String, _ fallback: String) -> String { j[key] as? String ?? fallback }
    let c = WavLMConfig(
      hiddenSize: try int("hidden_size"), layers: try int("num_hidden_layers"), heads: try int("num_attention_heads"),
      intermediateSize: try int("intermediate_size"), convDim: try ints("conv_dim"), convKernel: try ints("conv_kernel"),
      convStride: try ints("conv_stride"), convBias: j["conv_bias"] as? Bool ?? false,
      layerNormFrontEnd: string("feat_extract_norm", "group") == "layer",
      posConvKernel: try int("num_conv_pos_embeddings"), posConvGroups: try int("num_conv_pos_embedding_groups"),
      numBuckets: try int("num_buckets", 320), maxBucketDistance: try int("max_bucket_distance", 800),
      stableLayerNorm: j["do_stable_layer_norm"] as? Bool ?? false,
      layerNormEps: Float((j["layer_norm_eps"] as? Double) ?? 1e-5),
      doNormalize: pre["do_normalize"] as? Bool ?? true,
      samplingRate: (pre["sampling_rate"] as? Int) ?? 16000)
    for (key, act) in [("hidden_act", string("hidden_act", "gelu")), ("feat_extract_activation", string("feat_extract_activation", "gelu"))] where act != "gelu" {
      throw CheckpointError("'\(name)': \(key) '\(act)' is not supported (WavLM uses exact GELU)")
    }
    let norm = string("feat_extract_norm", "group")
    guard norm == "group" || norm == "layer" else { throw CheckpointError("'\(name)': feat_extract_norm '\(norm)' is not 'group' or 'layer'") }
    guard c.convDim.count == c.convKernel.count, c.convKernel.count == c.convStride.count else {
      throw CheckpointError("'\(name)': conv_dim, conv_kernel and conv_stride have \(c.convDim.count), \(c.convKernel.count), \(c.convStride.count) entries")
    }
    guard c.hiddenSize > 0, c.heads > 0, c.hiddenSize % c.heads == 0 else {
      throw CheckpointError("'\(name)': hidden_size \(c.hiddenSize) is not a multiple of num_attention_heads \(c.heads)")
    }
    guard c.posConvGroups > 0, c.hiddenSize % c.posConvGroups == 0, c.posConvKernel > 0 else {
      throw CheckpointError("'\(name)': hidden_size \(c.hiddenSize) is not a multiple of num_conv_pos_embedding_groups \(c.posConvGroups)")
    }
    // Sizes come from a file: bound them before any arithmetic or allocation uses them.
    let sizes = [c.hiddenSize, c.intermediateSize] + c.convDim
    guard c.layers >= 1, c.layers <= 1024, c.intermediateSize > 0, sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }),
      c.convDim.count <= 32, (c.convKernel + c.convStride).allSatisfy({ $0 > 0 && $0 <= 4096 }),
      c.posConvKernel <= 4096, c.numBuckets >= 4, c.numBuckets <= 1 << 20, c.maxBucketDistance > c.numBuckets / 4,
      c.maxBucketDistance <= 1 << 30, c.layerNormEps > 0, c.layerNormEps.isFinite
    else { throw CheckpointError("'\(name)': implausible sizes (layers \(c.layers), hidden \(c.hiddenSize), intermediate \(c.intermediateSize), conv \(c.convDim)/\(c.convKernel)/\(c.convStride), buckets \(c.numBuckets)/\(c.maxBucketDistance), layer_norm_eps \(c.layerNormEps))") }
    // Total stride and receptive field, overflow-checked: at most 2^20 samples.
    var hop = 1, field = 1
    for (k, s) in zip(c.convKernel, c.convStride).reversed() {
      let (h2, o1) = hop.multipliedReportingOverflow(by: s)
      let (f2, o2) = (field - 1).multipliedReportingOverflow(by: s)
      guard !o1, !o2, h2 <= 1 << 20, f2 + k <= 1 << 20 else {
        throw CheckpointError("'\(name)': conv_kernel \(c.convKernel) and conv_stride \(c.convStride) give a stride or receptive field over 2^20 samples")
      }
      (hop, field) = (h2, f2 + k)
    }
    guard c.samplingRate == 16000 else {
      throw CheckpointError("'\(name)': the preprocessor expects \(c.samplingRate) Hz; ProbeDB feeds WavLM 16 kHz audio")
    }
    return c
  }
}
