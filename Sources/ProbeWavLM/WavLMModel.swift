import Foundation
import ProbeNumerics

#if canImport(Glibc)
  import Glibc
#endif

/// What one forward pass returns. Tensors are time-major, row-major, batch dimension dropped.
public struct WavLMOutput: Sendable {
  public var frames: Int
  /// `[T, C_last]`: the feature encoder output (after the last conv and GELU).
  public var convFeatures: [Float]
  /// `[T, C_last]`: `feature_projection.layer_norm(convFeatures)` (transformers' `extract_features`).
  public var extractFeatures: [Float]
  /// `L + 1` tensors `[T, H]` as transformers 5.x numbers `hidden_states` (index 0 = encoder input);
  /// empty when the pass was run for pooled vectors only.
  public var hiddenStates: [[Float]]
  /// Mean over time of every hidden state: `[L + 1][H]`.
  public var pooled: [[Float]]
  /// `[T, H]`: equal to the last hidden state (post-LN) or `encoder.layer_norm` of it (stable LN).
  public var lastHiddenState: [Float]
}

public enum WavLMError: Error, CustomStringConvertible, Sendable {
  case tooShort(samples: Int, needed: Int)
  case nonFinite(index: Int)
  public var description: String {
    switch self {
    case .tooShort(let n, let needed): return "audio of \(n) samples is shorter than WavLM's receptive field of \(needed) samples (\(needed / 16) ms at 16 kHz)"
    case .nonFinite(let i): return "audio sample \(i) is NaN or infinite"
    }
  }
}

/// Hugging Face `WavLMModel` (eval mode, one unpadded utterance) in Float32 on OpenBLAS:
///
///     waveform → [do_normalize] → conv feature encoder → feature_projection (LN + linear)
///              → + GELU(pos_conv_embed) → [encoder.layer_norm] → L × (gated-rel-pos attention + FFN)
///
/// Memory grows linearly with the length: the conv front end runs in chunks of output frames
/// (exact, since chunk starts are multiples of the total stride; base's whole-utterance GroupNorm
/// statistics come from a first pass of conv 0), attention runs in blocks of query rows.
public final class WavLMModel: Sendable {
  public let config: WavLMConfig
  let weights: WavLMWeights
  /// Output frames per front-end chunk and query rows per attention block.
  static let frontEndChunk = 128
  static let queryBlock = 256

  public init(config: WavLMConfig, weights: WavLMWeights) {
    self.config = config
    self.weights = weights
  }

  // MARK: Buckets

  /// Relative-position bucket of `r = key − query` (transformers' float32 evaluation).
  public static func bucket(_ r: Int, numBuckets: Int, maxDistance: Int) -> Int {
    let nb = numBuckets / 2
    let me = nb / 2
    let offset = r > 0 ? nb : 0
    let a = abs(r)
    if a < me { return offset + a }
    let scaled = logf(Float(a) / Float(me)) / Float(Foundation.log(Double(maxDistance) / Double(me))) * Float(nb - me)
    return offset + min(nb - 1, Int(Float(me) + scaled))
  }

  /// Ungated bias `[heads, T, T]`: `B[h, i, j] = rel_attn_embed[bucket(j − i), h]`.
  public func positionBias(frames t: Int) -> [Float] {
    let table = relativeBias(frames: t)
    let nh = config.heads
    var out = [Float](repeating: 0, count: nh * t * t)
    for h in 0..<nh { for i in 0..<t { for j in 0..<t { out[(h * t + i) * t + j] = table[h][j - i + t - 1] } } }
    return out
  }

  /// Per head, the bias for `r = −(T−1) … T−1` at index `r + T − 1`.
  func relativeBias(frames t: Int) -> [[Float]] {
    let nh = config.heads
    var table = [[Float]](repeating: [Float](repeating: 0, count: 2 * t - 1), count: nh)
    for r in -(t - 1)...(t - 1) {
      let b = Self.bucket(r, numBuckets: config.numBuckets, maxDistance: config.maxBucketDistance)
      for h in 0..<nh { table[h][r + t - 1] = weights.relAttnEmbed[b * nh + h] }
    }
    return table
  }

  // MARK: Forward

  /// The model input: the waveform, zero-mean/unit-variance per utterance when the preprocessor
  /// config asks for it (`(x − mean)/sqrt(var + 1e-7)`, population variance).
  public func modelInput(_ samples: [Float]) throws -> [Float] {
    if let bad = samples.firstIndex(where: { !$0.isFinite }) { throw WavLMError.nonFinite(index: bad) }
    guard config.doNormalize, !samples.isEmpty else { return samples }
    var s = 0.0
    for x in samples { s += Double(x) }
    let mean = s / Double(samples.count)
    var v = 0.0
    for x in samples { let d = Double(x) - mean; v += d * d }
    let inv = 1 / (v / Double(samples.count) + 1e-7).squareRoot()
    return samples.map { Float((Double($0) - mean) * inv) }
  }

  /// The full forward pass (16 kHz mono samples in [-1, 1]); `keepStates: false` keeps only the
  /// pooled vectors (memory then holds one layer's activations at a time).
  public func forward(_ samples: [Float], keepStates: Bool = true) throws -> WavLMOutput {
    let x = try modelInput(samples)
    let c = config
    let t = c.frames(samples: x.count)
    guard t > 0 else { throw WavLMError.tooShort(samples: x.count, needed: c.receptiveField) }
    let h = c.hiddenSize
    let convOut = featureEncoder(x, frames: t)
    let last = c.convDim.last!

    // Feature projection.
    var extract = [Float](repeating: 0, count: t * last)
    var e = [Float](repeating: 0, count: t * h)
    convOut.withUnsafeBufferPointer { src in
      extract.withUnsafeMutableBufferPointer { dst in
        Kernels.layerNorm(src.baseAddress!, dst.baseAddress!, rows: t, cols: last, weight: weights.projectionNormWeight,
                          bias: weights.projectionNormBias, eps: c.layerNormEps)
      }
    }
    extract.withUnsafeBufferPointer { src in
      e.withUnsafeMutableBufferPointer { dst in
        Kernels.linear(src.baseAddress!, rows: t, in: last, weight: weights.projectionWeight, bias: weights.projectionBias, out: h, into: dst.baseAddress!)
      }
    }

    // Positional conv embedding (residual).
    let pos = positionalConv(e, frames: t)
    for i in 0..<(t * h) { e[i] += pos[i] }
    var states: [[Float]] = []
    var pooled: [[Float]] = []
    if !c.stableLayerNorm {
      e.withUnsafeMutableBufferPointer { p in
        Kernels.layerNorm(p.baseAddress!, p.baseAddress!, rows: t, cols: h, weight: weights.encoderNormWeight, bias: weights.encoderNormBias, eps: c.layerNormEps)
      }
    }
    if keepStates { states.append(e) }
    pooled.append(Self.meanRows(e, rows: t))
    let bias = relativeBias(frames: t)
    var hidden = e
    for layer in weights.layers {
      hidden = encoderLayer(hidden, frames: t, layer: layer, bias: bias)
      if keepStates { states.append(hidden) }
      pooled.append(Self.meanRows(hidden, rows: t))
    }
    var lastState = hidden
    if c.stableLayerNorm {
      lastState.withUnsafeMutableBufferPointer { p in
        Kernels.layerNorm(p.baseAddress!, p.baseAddress!, rows: t, cols: h, weight: weights.encoderNormWeight, bias: weights.encoderNormBias, eps: c.layerNormEps)
      }
    }
    return WavLMOutput(frames: t, convFeatures: convOut, extractFeatures: extract, hiddenStates: states, pooled: pooled, lastHiddenState: lastState)
  }

  /// Mean-pooled hidden states `[L + 1][H]` of one utterance.
  public func pooledHiddenStates(_ samples: [Float]) throws -> [[Float]] {
    try forward(samples, keepStates: false).pooled
  }

  static func meanRows(_ x: [Float], rows t: Int) -> [Float] {
    let n = x.count / max(t, 1)
    var acc = [Double](repeating: 0, count: n)
    for r in 0..<t { for j in 0..<n { acc[j] += Double(x[r * n + j]) } }
    return acc.map { Float($0 / Double(t)) }
  }

  // MARK: Feature encoder

  /// Conv stack → `[T, C_last]`, computed in chunks of output frames.
  func featureEncoder(_ x: [Float], frames t: Int, chunk: Int = frontEndChunk) -> [Float] {
    let c = config
    let hop = c.hop, rf = c.receptiveField
    let last = c.convDim.last!
    // GroupNorm (group mode): per-channel statistics of conv 0 over the whole utterance.
    var groupStats: (mean: [Float], inv: [Float])?
    if !c.layerNormFrontEnd {
      let l0 = weights.conv[0]
      let n0 = (x.count - l0.kernel) / l0.stride + 1
      var sum = [Double](repeating: 0, count: l0.cout), sq = sum
      let step = 8192
      var f0 = 0
      while f0 < n0 {
        let f1 = min(n0, f0 + step)
        let y = conv0(x, from: f0 * l0.stride, frames: f1 - f0)
        for r in 0..<(f1 - f0) { for ch in 0..<l0.cout { let v = Double(y[r * l0.cout + ch]); sum[ch] += v; sq[ch] += v * v } }
        f0 = f1
      }
      let mean = sum.map { $0 / Double(n0) }
      let inv = (0..<l0.cout).map { Float(1 / (max(0, sq[$0] / Double(n0) - mean[$0] * mean[$0]) + 1e-5).squareRoot()) }
      groupStats = (mean.map { Float($0) }, inv)
    }
    var out = [Float](repeating: 0, count: t * last)
    var t0 = 0
    while t0 < t {
      let t1 = min(t, t0 + chunk)
      let start = t0 * hop
      let length = (t1 - t0 - 1) * hop + rf
      let y = convChunk(x, start: start, length: length, groupStats: groupStats)
      precondition(y.count == (t1 - t0) * last, "front-end chunk produced \(y.count / last) frames, expected \(t1 - t0)")
      out.replaceSubrange((t0 * last)..<(t1 * last), with: y)
      t0 = t1
    }
    return out
  }

  /// Conv 0 (1 input channel) on `frames` output frames starting at sample `from`: `[frames, C0]`.
  func conv0(_ x: [Float], from: Int, frames n: Int) -> [Float] {
    let l0 = weights.conv[0]
    // im2col: row f = x[from + f·s ..< from + f·s + k], then one GEMM with the `[C0, k]` weight.
    var cols = [Float](repeating: 0, count: n * l0.kernel)
    for f in 0..<n { for k in 0..<l0.kernel { cols[f * l0.kernel + k] = x[from + f * l0.stride + k] } }
    var w = [Float](repeating: 0, count: l0.cout * l0.kernel)
    for k in 0..<l0.kernel { for o in 0..<l0.cout { w[o * l0.kernel + k] = l0.taps[k][o] } }
    var y = [Float](repeating: 0, count: n * l0.cout)
    cols.withUnsafeBufferPointer { a in
      y.withUnsafeMutableBufferPointer { out in
        Kernels.linear(a.baseAddress!, rows: n, in: l0.kernel, weight: w, bias: l0.bias, out: l0.cout, into: out.baseAddress!)
      }
    }
    return y
  }

  /// The whole conv stack on `x[start ..< start + length]`, time-major.
  func convChunk(_ x: [Float], start: Int, length: Int, groupStats: (mean: [Float], inv: [Float])?) -> [Float] {
    let c = config
    var layers = weights.conv[...]
    let l0 = layers.removeFirst()
    var rows = (length - l0.kernel) / l0.stride + 1
    var cur = conv0(x, from: start, frames: rows)
    finishConv(&cur, rows: rows, conv: l0, groupStats: groupStats, eps: c.layerNormEps)
    for l in layers {
      let outRows = (rows - l.kernel) / l.stride + 1
      var y = [Float](repeating: 0, count: outRows * l.cout)
      cur.withUnsafeBufferPointer { xin in
        y.withUnsafeMutableBufferPointer { yout in
          for (tap, w) in l.taps.enumerated() {
            w.withUnsafeBufferPointer { wp in
              Float.gemm(transA: false, transB: true, m: outRows, n: l.cout, k: l.cin, alpha: 1, a: xin.baseAddress! + tap * l.cin,
                         lda: l.stride * l.cin, b: wp.baseAddress!, ldb: l.cin, beta: tap == 0 ? 0 : 1, c: yout.baseAddress!, ldc: l.cout)
            }
          }
          if let b = l.bias { Kernels.addBias(yout.baseAddress!, rows: outRows, cols: l.cout, ld: l.cout, bias: b) }
        }
      }
      finishConv(&y, rows: outRows, conv: l, groupStats: nil, eps: c.layerNormEps)
      cur = y
      rows = outRows
    }
    return cur
  }

  /// Norm (GroupNorm with given statistics, or LayerNorm over channels) then GELU.
  func finishConv(_ y: inout [Float], rows: Int, conv l: WavLMWeights.Conv, groupStats: (mean: [Float], inv: [Float])?, eps: Float) {
    y.withUnsafeMutableBufferPointer { p in
      let base = p.baseAddress!
      if let g = l.normWeight, let b = l.normBias {
        if let s = groupStats {
          Kernels.parallelRows(rows) { r in
            let row = base + r * l.cout
            for ch in 0..<l.cout { row[ch] = (row[ch] - s.mean[ch]) * s.inv[ch] * g[ch] + b[ch] }
          }
        } else {
          // LayerNorm over channels: torch's default eps 1e-5 (not the config's).
          Kernels.layerNorm(base, base, rows: rows, cols: l.cout, weight: g, bias: b, eps: 1e-5)
        }
      }
      Kernels.gelu(base, count: rows * l.cout)
    }
  }

  // MARK: Positional conv

  /// `GELU(grouped conv(e))`, kernel K, zero padding K/2 both sides, last frame dropped for even K.
  func positionalConv(_ e: [Float], frames t: Int) -> [Float] {
    let c = config
    let h = c.hiddenSize, k = c.posConvKernel, g = c.posConvGroups
    let cg = h / g, pad = k / 2
    var out = [Float](repeating: 0, count: t * h)
    let block = 512
    var cols = [Float](repeating: 0, count: min(t, block) * k * cg)
    e.withUnsafeBufferPointer { ep in
      out.withUnsafeMutableBufferPointer { op in
        for gi in 0..<g {
          var r0 = 0
          while r0 < t {
            let r1 = min(t, r0 + block)
            cols.withUnsafeMutableBufferPointer { cp in
              // Row f (output frame r0 + f), tap j: input frame r0 + f + j − pad, channels of group gi.
              for f in 0..<(r1 - r0) {
                let row = cp.baseAddress! + f * k * cg
                for j in 0..<k {
                  let src = r0 + f + j - pad
                  let dst = row + j * cg
                  if src < 0 || src >= t {
                    dst.update(repeating: 0, count: cg)
                  } else {
                    dst.update(from: ep.baseAddress! + src * h + gi * cg, count: cg)
                  }
                }
              }
              weights.posConvGroups[gi].withUnsafeBufferPointer { wp in
                Float.gemm(transA: false, transB: true, m: r1 - r0, n: cg, k: k * cg, alpha: 1, a: cp.baseAddress!, lda: k * cg,
                           b: wp.baseAddress!, ldb: k * cg, beta: 0, c: op.baseAddress! + r0 * h + gi * cg, ldc: h)
              }
            }
            r0 = r1
          }
        }
        Kernels.biasGELU(op.baseAddress!, rows: t, cols: h, bias: weights.posConvBias)
      }
    }
    return out
  }

  // MARK: Encoder layer

  func encoderLayer(_ x: [Float], frames t: Int, layer: WavLMWeights.Layer, bias: [[Float]]) -> [Float] {
    let c = config
    let h = c.hiddenSize
    var y = [Float](repeating: 0, count: t * h)
    if c.stableLayerNorm {
      // Pre-LN: h = x + Attn(LN1(x)); y = h + FFN(LN2(h)).
      var u = x
      u.withUnsafeMutableBufferPointer { p in
        Kernels.layerNorm(p.baseAddress!, p.baseAddress!, rows: t, cols: h, weight: layer.layerNormWeight, bias: layer.layerNormBias, eps: c.layerNormEps)
      }
      let a = attention(u, frames: t, layer: layer, bias: bias)
      var hs = x
      for i in 0..<(t * h) { hs[i] += a[i] }
      var n2 = hs
      n2.withUnsafeMutableBufferPointer { p in
        Kernels.layerNorm(p.baseAddress!, p.baseAddress!, rows: t, cols: h, weight: layer.finalLayerNormWeight, bias: layer.finalLayerNormBias, eps: c.layerNormEps)
      }
      let f = feedForward(n2, frames: t, layer: layer)
      for i in 0..<(t * h) { y[i] = hs[i] + f[i] }
    } else {
      // Post-LN: h = LN1(x + Attn(x)); y = LN2(h + FFN(h)).
      let a = attention(x, frames: t, layer: layer, bias: bias)
      var hs = x
      for i in 0..<(t * h) { hs[i] += a[i] }
      hs.withUnsafeMutableBufferPointer { p in
        Kernels.layerNorm(p.baseAddress!, p.baseAddress!, rows: t, cols: h, weight: layer.layerNormWeight, bias: layer.layerNormBias, eps: c.layerNormEps)
      }
      let f = feedForward(hs, frames: t, layer: layer)
      for i in 0..<(t * h) { y[i] = hs[i] + f[i] }
      y.withUnsafeMutableBufferPointer { p in
        Kernels.layerNorm(p.baseAddress!, p.baseAddress!, rows: t, cols: h, weight: layer.finalLayerNormWeight, bias: layer.finalLayerNormBias, eps: c.layerNormEps)
      }
    }
    return y
  }

  /// `GELU(h·W1ᵀ + b1)·W2ᵀ + b2`.
  func feedForward(_ x: [Float], frames t: Int, layer: WavLMWeights.Layer) -> [Float] {
    let h = config.hiddenSize, m = config.intermediateSize
    var mid = [Float](repeating: 0, count: t * m)
    var out = [Float](repeating: 0, count: t * h)
    x.withUnsafeBufferPointer { xp in
      mid.withUnsafeMutableBufferPointer { mp in
        Kernels.linear(xp.baseAddress!, rows: t, in: h, weight: layer.intermediateWeight, bias: nil, out: m, into: mp.baseAddress!)
        Kernels.biasGELU(mp.baseAddress!, rows: t, cols: m, bias: layer.intermediateBias)
        out.withUnsafeMutableBufferPointer { op in
          Kernels.linear(mp.baseAddress!, rows: t, in: m, weight: layer.outputWeight, bias: layer.outputBias, out: h, into: op.baseAddress!)
        }
      }
    }
    return out
  }

  /// Self-attention with the gated relative position bias; `x` is the attention input.
  func attention(_ x: [Float], frames t: Int, layer: WavLMWeights.Layer, bias: [[Float]]) -> [Float] {
    let c = config
    let h = c.hiddenSize, nh = c.heads, hd = c.headDim
    var qkv = [Float](repeating: 0, count: t * 3 * h)
    var gates = [Float](repeating: 0, count: t * nh * 8)
    var o = [Float](repeating: 0, count: t * h)
    var out = [Float](repeating: 0, count: t * h)
    let scale = 1 / Float(hd).squareRoot()
    x.withUnsafeBufferPointer { xp in
      qkv.withUnsafeMutableBufferPointer { qp in
        Kernels.linear(xp.baseAddress!, rows: t, in: h, weight: layer.qkvWeight, bias: layer.qkvBias, out: 3 * h, into: qp.baseAddress!)
        for r in 0..<t { for j in 0..<h { qp[r * 3 * h + j] *= scale } }
      }
      // Gate input: x split into heads, rows (t, head) of hd values — contiguous in x.
      gates.withUnsafeMutableBufferPointer { gp in
        Kernels.linear(xp.baseAddress!, rows: t * nh, in: hd, weight: layer.gateWeight, bias: layer.gateBias, out: 8, into: gp.baseAddress!)
      }
    }
    // gate[t, h] = σ(p0+…+p3) · (σ(p4+…+p7) · c_h − 1) + 2
    var gate = [Float](repeating: 0, count: t * nh)
    for r in 0..<(t * nh) {
      let p = r * 8
      let sa = gates[p] + gates[p + 1] + gates[p + 2] + gates[p + 3]
      let sb = gates[p + 4] + gates[p + 5] + gates[p + 6] + gates[p + 7]
      let ga = 1 / (1 + expf(-sa)), gb = 1 / (1 + expf(-sb))
      gate[r] = ga * (gb * layer.gateConst[r % nh] - 1) + 2
    }
    let block = min(t, Self.queryBlock)
    var scores = [Float](repeating: 0, count: block * t)
    qkv.withUnsafeBufferPointer { qp in
      let q = qp.baseAddress!, k = q + h, v = q + 2 * h
      o.withUnsafeMutableBufferPointer { op in
        scores.withUnsafeMutableBufferPointer { sp in
          let s = sp.baseAddress!
          for head in 0..<nh {
            let table = bias[head]
            var i0 = 0
            while i0 < t {
              let i1 = min(t, i0 + block)
              let rows = i1 - i0
              Float.gemm(transA: false, transB: true, m: rows, n: t, k: hd, alpha: 1, a: q + i0 * 3 * h + head * hd, lda: 3 * h,
                         b: k + head * hd, ldb: 3 * h, beta: 0, c: s, ldc: t)
              table.withUnsafeBufferPointer { tb in
                Kernels.parallelRows(rows) { f in
                  let i = i0 + f
                  let row = s + f * t
                  let g = gate[i * nh + head]
                  let off = t - 1 - i
                  var mx = -Float.infinity
                  for j in 0..<t { let z = row[j] + g * tb[j + off]; row[j] = z; mx = max(mx, z) }
                  var sum: Float = 0
                  for j in 0..<t { let e = expf(row[j] - mx); row[j] = e; sum += e }
                  let inv = 1 / sum
                  for j in 0..<t { row[j] *= inv }
                }
              }
              Float.gemm(transA: false, transB: false, m: rows, n: hd, k: t, alpha: 1, a: s, lda: t, b: v + head * hd, ldb: 3 * h,
                         beta: 0, c: op.baseAddress! + i0 * h + head * hd, ldc: h)
              i0 = i1
            }
          }
        }
      }
    }
    o.withUnsafeBufferPointer { op in
      out.withUnsafeMutableBufferPointer { outp in
        Kernels.linear(op.baseAddress!, rows: t, in: h, weight: layer.outWeight, bias: layer.outBias, out: h, into: outp.baseAddress!)
      }
    }
    return out
  }
}
