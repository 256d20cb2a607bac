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
  case tooLong(samples: Int, limit: Int)
  case nonFinite(index: Int)
  case nonFiniteOutput
  public var description: String {
    switch self {
    case .tooShort(let n, let needed): return "audio of \(n) samples is shorter than WavLM's receptive field of \(needed) samples (\(needed / 16) ms at 16 kHz)"
    case .tooLong(let n, let limit):
      return "audio of \(n) samples (\(n / 16000) s) is longer than WavLM's limit of \(limit / 16000) s in ProbeDB (activations grow with the length, attention time with its square); split it first"
    case .nonFinite(let i): return "audio sample \(i) is NaN or infinite"
    case .nonFiniteOutput: return "the model produced NaN or infinite hidden states for this input"
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
  static let frontEndChunk = 64
  static let queryBlock = 256
  /// Longest input accepted: 10 minutes at 16 kHz (about 1.2 GB of activations for a
  /// base-size model; attention time grows with the square of the length).
  nonisolated(unsafe) public static var maxSamples = 600 * 16000
  /// Below this many frames the encoder's row-wise work runs as one range on multi-threaded BLAS;
  /// from it on, a row range per worker (measured: 4 s = 199 frames is 5 % faster split, 1 s = 49
  /// frames is not; splitting by output columns instead was no faster at either length).
  nonisolated(unsafe) public static var rowSplitFrames = 100
  /// Workers per forward pass (each with single-threaded BLAS); nil = one per core.
  nonisolated(unsafe) public static var threads: Int? = nil

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
    guard x.count <= Self.maxSamples else { throw WavLMError.tooLong(samples: x.count, limit: Self.maxSamples) }
    // Workers run with single-threaded BLAS for the whole pass.
    let blasThreads = Linalg.blasThreads
    Linalg.setBLASThreads(1)
    defer { Linalg.setBLASThreads(blasThreads) }
    let h = c.hiddenSize
    let convOut = featureEncoder(x, frames: t)
    let last = c.convDim.last!

    // Feature projection: e = LN(conv) · Wpᵀ + bp.
    var extract = [Float](repeating: 0, count: t * last)
    var e = [Float](repeating: 0, count: t * h)
    convOut.withUnsafeBufferPointer { src in
      extract.withUnsafeMutableBufferPointer { ex in
        e.withUnsafeMutableBufferPointer { dst in
          let (s0, x0, d0) = (src.baseAddress!, ex.baseAddress!, dst.baseAddress!)
          Kernels.parallelRanges(t) { lo, hi in
            Kernels.layerNorm(s0 + lo * last, x0 + lo * last, rows: hi - lo, cols: last, weight: weights.projectionNormWeight,
                              bias: weights.projectionNormBias, eps: c.layerNormEps)
            Kernels.linear(x0 + lo * last, rows: hi - lo, in: last, weight: weights.projectionWeight, bias: weights.projectionBias, out: h, into: d0 + lo * h)
          }
        }
      }
    }

    // Positional conv embedding (residual), then encoder.layer_norm for post-LN models.
    let pos = positionalConv(e, frames: t)
    e.withUnsafeMutableBufferPointer { ep in
      pos.withUnsafeBufferPointer { pp in
        let (e0, p0) = (ep.baseAddress!, pp.baseAddress!)
        Kernels.parallelRanges(t) { lo, hi in
          for i in (lo * h)..<(hi * h) { e0[i] += p0[i] }
          if !c.stableLayerNorm {
            Kernels.layerNorm(e0 + lo * h, e0 + lo * h, rows: hi - lo, cols: h, weight: weights.encoderNormWeight, bias: weights.encoderNormBias, eps: c.layerNormEps)
          }
        }
      }
    }
    var states: [[Float]] = []
    var pooled: [[Float]] = []
    if keepStates { states.append(e) }
    pooled.append(Self.meanRows(e, rows: t))
    let bias = relativeBias(frames: t)
    // Two hidden-state buffers used in turn, and one workspace for every layer's temporaries.
    var hidden = e
    var next = [Float](repeating: 0, count: t * h)
    let ws = Workspace(config: c, frames: t)
    for layer in weights.layers {
      hidden.withUnsafeBufferPointer { xp in
        next.withUnsafeMutableBufferPointer { yp in
          encoderLayer(xp.baseAddress!, into: yp.baseAddress!, frames: t, layer: layer, bias: bias, workspace: ws)
        }
      }
      swap(&hidden, &next)
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
    let pooled = try forward(samples, keepStates: false).pooled
    guard pooled.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw WavLMError.nonFiniteOutput }
    return pooled
  }

  static func meanRows(_ x: [Float], rows t: Int) -> [Float] {
    let n = x.count / max(t, 1)
    var acc = [Double](repeating: 0, count: n)
    for r in 0..<t { for j in 0..<n { acc[j] += Double(x[r * n + j]) } }
    return acc.map { Float($0 / Double(t)) }
  }

  // MARK: Feature encoder

  /// Conv stack → `[T, C_last]`, computed in chunks of output frames, chunks spread over the
  /// workers; each worker reuses two buffers sized for one chunk's largest layer.
  func featureEncoder(_ x: [Float], frames t: Int, chunk: Int = frontEndChunk) -> [Float] {
    let c = config
    let hop = c.hop, rf = c.receptiveField
    let last = c.convDim.last!
    let l0 = weights.conv[0]
    let size = max(1, min(chunk, (t + Kernels.workers - 1) / Kernels.workers))
    let step = 4096  // conv-0 frames per block of the GroupNorm statistics pass
    // Per worker: ping-pong buffers for the largest layer output of a chunk, and conv 0's im2col.
    var capacity = step * l0.cout
    var rows = ((size - 1) * hop + rf - l0.kernel) / l0.stride + 1
    capacity = max(capacity, rows * l0.cout)
    for l in weights.conv.dropFirst() {
      rows = (rows - l.kernel) / l.stride + 1
      capacity = max(capacity, rows * l.cout)
    }
    let colsCapacity = max(step, ((size - 1) * hop + rf - l0.kernel) / l0.stride + 1) * l0.kernel
    let workers = Kernels.workers
    let buffers = (0..<workers).map { _ in
      (a: Kernels.allocatePages(capacity), b: Kernels.allocatePages(capacity), cols: Kernels.allocatePages(colsCapacity))
    }
    defer {
      for b in buffers {
        Kernels.freePages(b.a, capacity); Kernels.freePages(b.b, capacity); Kernels.freePages(b.cols, colsCapacity)
      }
    }

    // GroupNorm (group mode): per-channel statistics of conv 0 over the whole utterance, summed
    // in Double per block and combined in block order (deterministic).
    var groupStats: (mean: [Float], inv: [Float])?
    if !c.layerNormFrontEnd {
      let n0 = (x.count - l0.kernel) / l0.stride + 1
      let blocks = (n0 + step - 1) / step
      var partial = [[Double]](repeating: [], count: blocks)
      partial.withUnsafeMutableBufferPointer { pp in
        let p0 = pp.baseAddress!
        Kernels.parallelParts(blocks, parts: workers) { part, lo, hi in
          let buf = buffers[part]
          for b in lo..<hi {
            let f0 = b * step, f1 = min(n0, f0 + step)
            conv0(x, from: f0 * l0.stride, frames: f1 - f0, cols: buf.cols, into: buf.a)
            var acc = [Double](repeating: 0, count: 2 * l0.cout)
            let y = buf.a
            for r in 0..<(f1 - f0) { for ch in 0..<l0.cout { let v = Double(y[r * l0.cout + ch]); acc[ch] += v; acc[l0.cout + ch] += v * v } }
            p0[b] = acc
          }
        }
      }
      var sum = [Double](repeating: 0, count: 2 * l0.cout)
      for p in partial { for i in 0..<sum.count { sum[i] += p[i] } }
      let mean = (0..<l0.cout).map { sum[$0] / Double(n0) }
      let inv = (0..<l0.cout).map { Float(1 / (max(0, sum[l0.cout + $0] / Double(n0) - mean[$0] * mean[$0]) + 1e-5).squareRoot()) }
      groupStats = (mean.map { Float($0) }, inv)
    }
    var out = [Float](repeating: 0, count: t * last)
    let chunks = (t + size - 1) / size
    out.withUnsafeMutableBufferPointer { op in
      let o0 = op.baseAddress!
      Kernels.parallelParts(chunks, parts: workers) { part, lo, hi in
        for k in lo..<hi {
          let t0 = k * size, t1 = min(t, t0 + size)
          let (y, frames) = convChunk(x, start: t0 * hop, length: (t1 - t0 - 1) * hop + rf, groupStats: groupStats, buffers: buffers[part])
          precondition(frames == t1 - t0, "front-end chunk produced \(frames) frames, expected \(t1 - t0)")
          (o0 + t0 * last).update(from: y, count: frames * last)
        }
      }
    }
    return out
  }

  /// Conv 0 (1 input channel) on `frames` output frames starting at sample `from`, into `y`
  /// `[frames, C0]`: im2col rows `x[from + f·s ..< from + f·s + k]`, then one GEMM with `[C0, k]`.
  func conv0(_ x: [Float], from: Int, frames n: Int, cols: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
    let l0 = weights.conv[0]
    x.withUnsafeBufferPointer { xp in
      for f in 0..<n { (cols + f * l0.kernel).update(from: xp.baseAddress! + from + f * l0.stride, count: l0.kernel) }
    }
    Kernels.linear(cols, rows: n, in: l0.kernel, weight: l0.flat, bias: l0.bias, out: l0.cout, into: y)
  }

  /// The whole conv stack on `x[start ..< start + length]`, time-major (one worker, its buffers);
  /// returns the buffer holding the output and its frame count.
  func convChunk(_ x: [Float], start: Int, length: Int, groupStats: (mean: [Float], inv: [Float])?,
                 buffers: (a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, cols: UnsafeMutablePointer<Float>)) -> (UnsafeMutablePointer<Float>, Int) {
    var layers = weights.conv[...]
    let l0 = layers.removeFirst()
    var rows = (length - l0.kernel) / l0.stride + 1
    var cur = buffers.a, next = buffers.b
    conv0(x, from: start, frames: rows, cols: buffers.cols, into: cur)
    finishConv(cur, rows: rows, conv: l0, groupStats: groupStats)
    for l in layers {
      let outRows = (rows - l.kernel) / l.stride + 1
      // out[t] = Σ_panels x[t·s + first ..< t·s + first + count] · panelᵀ (rows contiguous, lda = s·cin)
      for (p, panel) in l.panels.enumerated() {
        panel.weight.withUnsafeBufferPointer { wp in
          Float.gemm(transA: false, transB: true, m: outRows, n: l.cout, k: panel.count * l.cin, alpha: 1, a: cur + panel.first * l.cin,
                     lda: l.stride * l.cin, b: wp.baseAddress!, ldb: panel.count * l.cin, beta: p == 0 ? 0 : 1, c: next, ldc: l.cout)
        }
      }
      if let b = l.bias { Kernels.addBias(next, rows: outRows, cols: l.cout, ld: l.cout, bias: b) }
      finishConv(next, rows: outRows, conv: l, groupStats: nil)
      swap(&cur, &next)
      rows = outRows
    }
    return (cur, rows)
  }

  /// Norm (GroupNorm with given statistics, or LayerNorm over channels) then GELU.
  func finishConv(_ base: UnsafeMutablePointer<Float>, rows: Int, conv l: WavLMWeights.Conv, groupStats: (mean: [Float], inv: [Float])?) {
    do {
      if let g = l.normWeight, let b = l.normBias {
        if let s = groupStats {
          // Fold the statistics and the affine part into one scale and shift per channel.
          let scale = (0..<l.cout).map { s.inv[$0] * g[$0] }
          let shift = (0..<l.cout).map { b[$0] - s.mean[$0] * s.inv[$0] * g[$0] }
          for r in 0..<rows {
            let row = base + r * l.cout
            for ch in 0..<l.cout { row[ch] = Kernels.gelu(row[ch] * scale[ch] + shift[ch]) }
          }
          return
        }
        // LayerNorm over channels: torch's default eps 1e-5 (not the config's).
        Kernels.layerNorm(base, base, rows: rows, cols: l.cout, weight: g, bias: b, eps: 1e-5)
      }
      Kernels.gelu(base, count: rows * l.cout)
    }
  }

  // MARK: Positional conv

  /// `GELU(grouped conv(e))`, kernel K, zero padding K/2 both sides, last frame dropped for even K;
  /// groups spread over the workers.
  func positionalConv(_ e: [Float], frames t: Int) -> [Float] {
    let c = config
    let h = c.hiddenSize, k = c.posConvKernel, g = c.posConvGroups
    let cg = h / g, pad = k / 2
    var out = [Float](repeating: 0, count: t * h)
    let block = 128
    e.withUnsafeBufferPointer { ep in
      out.withUnsafeMutableBufferPointer { op in
        let (e0, o0) = (ep.baseAddress!, op.baseAddress!)
        Kernels.parallelRanges(g) { glo, ghi in
          var cols = [Float](repeating: 0, count: min(t, block) * k * cg)
          for gi in glo..<ghi {
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
                      dst.update(from: e0 + src * h + gi * cg, count: cg)
                    }
                  }
                }
                weights.posConvGroups[gi].withUnsafeBufferPointer { wp in
                  Float.gemm(transA: false, transB: true, m: r1 - r0, n: cg, k: k * cg, alpha: 1, a: cp.baseAddress!, lda: k * cg,
                             b: wp.baseAddress!, ldb: k * cg, beta: 0, c: o0 + r0 * h + gi * cg, ldc: h)
                }
              }
              r0 = r1
            }
          }
        }
        Kernels.parallelRanges(t) { lo, hi in Kernels.biasGELU(o0 + lo * h, rows: hi - lo, cols: h, bias: weights.posConvBias) }
      }
    }
    return out
  }

  // MARK: Encoder layer

  /// Temporaries of one encoder layer, allocated once per forward pass and reused by every layer
  /// (per-worker buffers for the row-range and per-head work).
  final class Workspace {
    let parts: Int, partRows: Int, block: Int
    let u, qkv, gate, o: UnsafeMutablePointer<Float>
    /// Per part: `hs [partRows, H]`, `mid [partRows, I]`, `gates [partRows·heads, 8]`; per worker: `scores [block, T]`.
    let hs, mid, gates, scores: [UnsafeMutablePointer<Float>]
    private var all: [(UnsafeMutablePointer<Float>, Int)] = []

    init(config c: WavLMConfig, frames t: Int) {
      // Short utterances: one row range with multi-threaded BLAS (each worker would otherwise pack
      // the same weight panels for a few rows); long ones: a row range per worker.
      let parts = t < WavLMModel.rowSplitFrames ? 1 : max(1, min(Kernels.workers, t))
      let partRows = (t + parts - 1) / parts
      let block = min(t, WavLMModel.queryBlock)
      (self.parts, self.partRows, self.block) = (parts, partRows, block)
      var all: [(UnsafeMutablePointer<Float>, Int)] = []
      func make(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = Kernels.allocatePages(n)
        all.append((p, n))
        return p
      }
      let h = c.hiddenSize
      u = make(t * h); qkv = make(t * 3 * h); gate = make(t * c.heads); o = make(t * h)
      hs = (0..<parts).map { _ in make(partRows * h) }
      mid = (0..<parts).map { _ in make(partRows * c.intermediateSize) }
      gates = (0..<parts).map { _ in make(partRows * c.heads * 8) }
      scores = (0..<Kernels.workers).map { _ in make(block * t) }
      self.all = all
    }

    deinit { for (p, n) in all { Kernels.freePages(p, n) } }
  }

  /// One encoder layer `x → y` (both `[T, H]`). Row-wise work (projections, FFN, norms,
  /// residuals) runs per row range on each worker; attention runs per head.
  func encoderLayer(_ x: UnsafePointer<Float>, into y0: UnsafeMutablePointer<Float>, frames t: Int, layer: WavLMWeights.Layer,
                    bias: [[Float]], workspace ws: Workspace) {
    let c = config
    let h = c.hiddenSize, m = c.intermediateSize, eps = c.layerNormEps
    let stable = c.stableLayerNorm
    // Attention input: x (post-LN) or LN1(x) (pre-LN).
    let u: UnsafePointer<Float>
    if stable {
      Kernels.parallelRanges(t) { lo, hi in
        Kernels.layerNorm(x + lo * h, ws.u + lo * h, rows: hi - lo, cols: h, weight: layer.layerNormWeight, bias: layer.layerNormBias, eps: eps)
      }
      u = UnsafePointer(ws.u)
    } else {
      u = x
    }
    attention(u, frames: t, layer: layer, bias: bias, workspace: ws)
    let o0 = ws.o
    Kernels.rowParts(ws.parts) { part in
      let lo = min(t, part * ws.partRows), hi = min(t, lo + ws.partRows)
      guard lo < hi else { return }
      let rows = hi - lo
      let (h0, m0) = (ws.hs[part], ws.mid[part])
      // hs = x + out_proj(o)
      Kernels.linear(o0 + lo * h, rows: rows, in: h, weight: layer.outWeight, bias: layer.outBias, out: h, into: h0)
      for i in 0..<(rows * h) { h0[i] += x[lo * h + i] }
      let yr = y0 + lo * h
      if stable {
        // y = hs + FFN(LN2(hs))
        Kernels.layerNorm(h0, yr, rows: rows, cols: h, weight: layer.finalLayerNormWeight, bias: layer.finalLayerNormBias, eps: eps)
        Kernels.linear(yr, rows: rows, in: h, weight: layer.intermediateWeight, bias: nil, out: m, into: m0)
        Kernels.biasGELU(m0, rows: rows, cols: m, bias: layer.intermediateBias)
        Kernels.linear(m0, rows: rows, in: m, weight: layer.outputWeight, bias: layer.outputBias, out: h, into: yr)
        for i in 0..<(rows * h) { yr[i] += h0[i] }
      } else {
        // hs = LN1(hs); y = LN2(hs + FFN(hs))
        Kernels.layerNorm(h0, h0, rows: rows, cols: h, weight: layer.layerNormWeight, bias: layer.layerNormBias, eps: eps)
        Kernels.linear(h0, rows: rows, in: h, weight: layer.intermediateWeight, bias: nil, out: m, into: m0)
        Kernels.biasGELU(m0, rows: rows, cols: m, bias: layer.intermediateBias)
        Kernels.linear(m0, rows: rows, in: m, weight: layer.outputWeight, bias: layer.outputBias, out: h, into: yr)
        for i in 0..<(rows * h) { yr[i] += h0[i] }
        Kernels.layerNorm(yr, yr, rows: rows, cols: h, weight: layer.finalLayerNormWeight, bias: layer.finalLayerNormBias, eps: eps)
      }
    }
  }

  /// Self-attention with the gated relative position bias on the attention input `x`; writes the
  /// concatenated head outputs `[T, H]` (before `out_proj`) to `workspace.o`.
  func attention(_ x: UnsafePointer<Float>, frames t: Int, layer: WavLMWeights.Layer, bias: [[Float]], workspace ws: Workspace) {
    let c = config
    let h = c.hiddenSize, nh = c.heads, hd = c.headDim
    let scale = 1 / Float(hd).squareRoot()
    let (q0, g0) = (ws.qkv, ws.gate)
    Kernels.rowParts(ws.parts) { part in
      let lo = min(t, part * ws.partRows), hi = min(t, lo + ws.partRows)
      guard lo < hi else { return }
      let rows = hi - lo
      Kernels.linear(x + lo * h, rows: rows, in: h, weight: layer.qkvWeight, bias: layer.qkvBias, out: 3 * h, into: q0 + lo * 3 * h)
      for r in lo..<hi { for j in 0..<h { q0[r * 3 * h + j] *= scale } }
      // Gate: x split into heads, rows (t, head) of hd values, contiguous in x.
      // gate[t, h] = σ(p0+…+p3) · (σ(p4+…+p7) · c_h − 1) + 2
      let p = ws.gates[part]
      Kernels.linear(x + lo * h, rows: rows * nh, in: hd, weight: layer.gateWeight, bias: layer.gateBias, out: 8, into: p)
      for rr in 0..<(rows * nh) {
        let b = rr * 8
        let sa = p[b] + p[b + 1] + p[b + 2] + p[b + 3]
        let sb = p[b + 4] + p[b + 5] + p[b + 6] + p[b + 7]
        let ga = 1 / (1 + Foundation.exp(-sa)), gb = 1 / (1 + Foundation.exp(-sb))
        g0[lo * nh + rr] = ga * (gb * layer.gateConst[rr % nh] - 1) + 2
      }
    }
    let block = ws.block
    let q = UnsafePointer(ws.qkv), k = q + h, v = q + 2 * h, o0 = ws.o
    let workers = ws.scores.count
    Kernels.parallel(min(workers, nh)) { w in
      let s = ws.scores[w]
      for head in stride(from: w, to: nh, by: min(workers, nh)) {
        bias[head].withUnsafeBufferPointer { tb in
          var i0 = 0
          while i0 < t {
            let i1 = min(t, i0 + block)
            let rows = i1 - i0
            Float.gemm(transA: false, transB: true, m: rows, n: t, k: hd, alpha: 1, a: q + i0 * 3 * h + head * hd, lda: 3 * h,
                       b: k + head * hd, ldb: 3 * h, beta: 0, c: s, ldc: t)
            for f in 0..<rows {
              let i = i0 + f
              let row = s + f * t
              let g = g0[i * nh + head]
              let bias = tb.baseAddress! + (t - 1 - i)
              for j in 0..<t { row[j] += g * bias[j] }
              let mx = Kernels.maximum(row, count: t)
              for j in 0..<t { row[j] = Kernels.exp(row[j] - mx) }
              let inv = 1 / Kernels.sum(row, count: t)
              for j in 0..<t { row[j] *= inv }
            }
            Float.gemm(transA: false, transB: false, m: rows, n: hd, k: t, alpha: 1, a: s, lda: t, b: v + head * hd, ldb: 3 * h,
                       beta: 0, c: o0 + i0 * h + head * hd, ldc: h)
            i0 = i1
          }
        }
      }
    }
  }
}
