import Foundation

/// WavLM weights under their checkpoint names, checked against the config and rearranged once at
/// load time for GEMM-shaped compute (conv taps split out, weight norm folded, q/k/v fused).
public struct WavLMWeights: Sendable {
  struct Conv: Sendable {
    var cin: Int, cout: Int, kernel: Int, stride: Int
    /// The kernel taps in panels of at most `stride` consecutive taps: panel `(first, count, w)` has
    /// `w[o, (j − first)·cin + i] = weight[o, i, j]`, so that in time-major input the rows a panel
    /// reads for one output frame are contiguous and one GEMM (lda = stride·cin) covers it.
    var panels: [(first: Int, count: Int, weight: [Float])]
    /// `[cout, kernel]` for a 1-channel input (conv 0), for its im2col GEMM.
    var flat: [Float]
    var bias: [Float]?
    var normWeight: [Float]?, normBias: [Float]?
  }

  struct Layer: Sendable {
    /// q, k, v projections stacked `[3H, H]` (rows 0..<H are q).
    var qkvWeight: [Float], qkvBias: [Float]
    var outWeight: [Float], outBias: [Float]
    var gateWeight: [Float], gateBias: [Float], gateConst: [Float]
    var layerNormWeight: [Float], layerNormBias: [Float]
    var intermediateWeight: [Float], intermediateBias: [Float]
    var outputWeight: [Float], outputBias: [Float]
    var finalLayerNormWeight: [Float], finalLayerNormBias: [Float]
  }

  var conv: [Conv]
  var projectionNormWeight: [Float], projectionNormBias: [Float]
  var projectionWeight: [Float], projectionBias: [Float]
  /// Positional conv per group: `[cg_out, K·cg_in]`, column `tap·cg + i` (matches the im2col rows).
  var posConvGroups: [[Float]]
  var posConvBias: [Float]
  var encoderNormWeight: [Float], encoderNormBias: [Float]
  var relAttnEmbed: [Float]
  var layers: [Layer]

  /// Take the tensors a WavLMModel state dict holds; every name and shape is checked against the
  /// config. Keys may carry a `wavlm.` prefix (checkpoints saved from a WavLMFor… head model).
  public init(tensors raw: [String: LazyTensor], config c: WavLMConfig, file: String) throws {
    var tensors = raw
    if tensors["feature_projection.projection.weight"] == nil, tensors["wavlm.feature_projection.projection.weight"] != nil {
      tensors = Dictionary(uniqueKeysWithValues: raw.compactMap { k, v in k.hasPrefix("wavlm.") ? (String(k.dropFirst(6)), v) : nil })
    }
    func take(_ name: String, _ shape: [Int]) throws -> [Float] {
      guard let t = tensors[name] else {
        throw CheckpointError("'\(file)' has no tensor '\(name)' (expected shape \(shape) from config.json)")
      }
      guard t.shape == shape else {
        throw CheckpointError("'\(file)': tensor '\(name)' has shape \(t.shape), config.json implies \(shape)")
      }
      let values = try t.values()
      guard values.count == shape.reduce(1, *) else { throw CheckpointError("'\(file)': tensor '\(name)' decodes to \(values.count) values, not \(shape)") }
      guard values.allSatisfy({ $0.isFinite }) else { throw CheckpointError("'\(file)': tensor '\(name)' holds NaN or infinite values") }
      return values
    }
    let h = c.hiddenSize
    var conv: [Conv] = []
    var cin = 1
    for i in 0..<c.convDim.count {
      let (cout, k) = (c.convDim[i], c.convKernel[i])
      let p = "feature_extractor.conv_layers.\(i)."
      let w = try take(p + "conv.weight", [cout, cin, k])
      let s = c.convStride[i]
      var panels: [(first: Int, count: Int, weight: [Float])] = []
      for first in stride(from: 0, to: k, by: s) {
        let n = min(s, k - first)
        var pw = [Float](repeating: 0, count: cout * n * cin)
        for o in 0..<cout { for j in 0..<n { for ci in 0..<cin { pw[o * n * cin + j * cin + ci] = w[(o * cin + ci) * k + first + j] } } }
        panels.append((first, n, pw))
      }
      let bias = c.convBias ? try take(p + "conv.bias", [cout]) : nil
      let normed = c.layerNormFrontEnd || i == 0
      conv.append(Conv(cin: cin, cout: cout, kernel: k, stride: c.convStride[i], panels: panels, flat: cin == 1 ? w : [], bias: bias,
                       normWeight: normed ? try take(p + "layer_norm.weight", [cout]) : nil,
                       normBias: normed ? try take(p + "layer_norm.bias", [cout]) : nil))
      cin = cout
    }
    self.conv = conv
    let last = c.convDim.last!
    projectionNormWeight = try take("feature_projection.layer_norm.weight", [last])
    projectionNormBias = try take("feature_projection.layer_norm.bias", [last])
    projectionWeight = try take("feature_projection.projection.weight", [h, last])
    projectionBias = try take("feature_projection.projection.bias", [h])

    // Positional conv: weight norm with one norm per kernel tap (dim=2), or an already folded weight.
    let (kp, g) = (c.posConvKernel, c.posConvGroups)
    let cg = h / g
    let base = "encoder.pos_conv_embed.conv."
    var w: [Float]
    let pairs = [("weight_g", "weight_v"), ("parametrizations.weight.original0", "parametrizations.weight.original1")]
    if let (gn, vn) = pairs.first(where: { tensors[base + $0.0] != nil || tensors[base + $0.1] != nil }) {
      let mag = try take(base + gn, [1, 1, kp])
      let v = try take(base + vn, [h, cg, kp])
      w = v
      for t in 0..<kp {
        var s = 0.0
        for o in 0..<h { for i in 0..<cg { let x = Double(v[(o * cg + i) * kp + t]); s += x * x } }
        guard s > 0 else { throw CheckpointError("'\(file)': positional conv direction '\(base + vn)' is all zero at tap \(t)") }
        let scale = Float(Double(mag[t]) / s.squareRoot())
        for o in 0..<h { for i in 0..<cg { w[(o * cg + i) * kp + t] = v[(o * cg + i) * kp + t] * scale } }
      }
    } else if tensors[base + "weight"] != nil {
      w = try take(base + "weight", [h, cg, kp])
    } else {
      throw CheckpointError("'\(file)' has no positional conv weight ('\(base)weight_g'/'weight_v', '\(base)parametrizations.weight.original0'/'original1' or '\(base)weight')")
    }
    var groups: [[Float]] = []
    for gi in 0..<g {
      var m = [Float](repeating: 0, count: cg * kp * cg)
      for o in 0..<cg { for t in 0..<kp { for i in 0..<cg { m[o * kp * cg + t * cg + i] = w[((gi * cg + o) * cg + i) * kp + t] } } }
      groups.append(m)
    }
    posConvGroups = groups
    posConvBias = try take(base + "bias", [h])
    encoderNormWeight = try take("encoder.layer_norm.weight", [h])
    encoderNormBias = try take("encoder.layer_norm.bias", [h])
    relAttnEmbed = try take("encoder.layers.0.attention.rel_attn_embed.weight", [c.numBuckets, c.heads])

    var layers: [Layer] = []
    for n in 0..<c.layers {
      let p = "encoder.layers.\(n)."
      let a = p + "attention."
      layers.append(Layer(
        qkvWeight: try take(a + "q_proj.weight", [h, h]) + take(a + "k_proj.weight", [h, h]) + take(a + "v_proj.weight", [h, h]),
        qkvBias: try take(a + "q_proj.bias", [h]) + take(a + "k_proj.bias", [h]) + take(a + "v_proj.bias", [h]),
        outWeight: try take(a + "out_proj.weight", [h, h]), outBias: try take(a + "out_proj.bias", [h]),
        gateWeight: try take(a + "gru_rel_pos_linear.weight", [8, c.headDim]), gateBias: try take(a + "gru_rel_pos_linear.bias", [8]),
        gateConst: try take(a + "gru_rel_pos_const", [1, c.heads, 1, 1]),
        layerNormWeight: try take(p + "layer_norm.weight", [h]), layerNormBias: try take(p + "layer_norm.bias", [h]),
        intermediateWeight: try take(p + "feed_forward.intermediate_dense.weight", [c.intermediateSize, h]),
        intermediateBias: try take(p + "feed_forward.intermediate_dense.bias", [c.intermediateSize]),
        outputWeight: try take(p + "feed_forward.output_dense.weight", [h, c.intermediateSize]),
        outputBias: try take(p + "feed_forward.output_dense.bias", [h]),
        finalLayerNormWeight: try take(p + "final_layer_norm.weight", [h]), finalLayerNormBias: try take(p + "final_layer_norm.bias", [h])))
    }
    self.layers = layers
  }
}
