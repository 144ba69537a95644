import Foundation

/// Element-wise and row-wise kernels of the transformer block. Each has a naive twin in `Reference`.
public enum Ops {
    /// Dot product of two length-`n` vectors, 8 lanes at a time.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 16 <= n {
            acc0 = acc0.addingProduct(ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
                                      rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
            acc1 = acc1.addingProduct(ra.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self),
                                      rb.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self))
            i += 16
        }
        var s = (acc0 + acc1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// y[i] += alpha · x[i] for a length-`n` vector.
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let av = SIMD8<Float>(repeating: alpha)
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        var i = 0
        while i + 8 <= n {
            let v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                .addingProduct(av, rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    /// RMSNorm of each of `rows` rows of width `d`: out = x / sqrt(mean(x²) + eps) · weight.
    /// `out` may alias `x`. Shapes: x, out [rows, d]; weight [d].
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                               rows: Int, d: Int, eps: Float) {
        for r in 0..<rows {
            let xr = x + r * d, o = out + r * d
            let ms = dot(xr, xr, d) / Float(d)
            let inv = 1 / (ms + eps).squareRoot()
            for i in 0..<d { o[i] = xr[i] * inv * weight[i] }
        }
    }

    /// In-place numerically stable softmax over `n` values (8 lanes at a time with `exp8`).
    /// A row of only -inf becomes all zeros.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        let raw = UnsafeMutableRawPointer(x)
        // Row maximum 8 lanes at a time (compare+blend: the generic `max` on SIMD is a scalar call).
        var mv8 = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            mv8 = mv8.replacing(with: v, where: v .> mv8); i += 8
        }
        var mx = mv8.max()
        while i < n { mx = max(mx, x[i]); i += 1 }
        if mx == -.infinity { for i in 0..<n { x[i] = 0 }; return }
        let mv = SIMD8<Float>(repeating: mx)
        var acc = SIMD8<Float>()
        i = 0
        while i + 8 <= n {
            let e = exp8(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - mv)
            raw.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
            acc += e; i += 8
        }
        var s = acc.sum()
        while i < n { let e = expf(x[i] - mx); x[i] = e; s += e; i += 1 }
        let inv = SIMD8<Float>(repeating: 1 / s)
        i = 0
        while i + 8 <= n { raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * inv, toByteOffset: i * 4, as: SIMD8<Float>.self); i += 8 }
        while i < n { x[i] *= inv[0]; i += 1 }
    }

    /// gate[i] = silu(gate[i]) · up[i]  (SwiGLU), in place on `gate`, 8 lanes at a time with `exp8`.
    /// Shapes: [n]. Naive twin: `Reference.siluMul` (agreement within 2e-6 relative).
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        let rg = UnsafeMutableRawPointer(gate), ru = UnsafeRawPointer(up)
        var i = 0
        while i + 8 <= n {
            let g = rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let u = ru.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            rg.storeBytes(of: g / (1 + exp8(-g)) * u, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { let g = gate[i]; gate[i] = g / (1 + expf(-g)) * up[i]; i += 1 }
    }

    /// out[i] = gelu_tanh(gate[i]) · up[i] (transformers' `gelu_pytorch_tanh`: 0.5·g·(1 + tanh(z)),
    /// z = √(2/π)·(g + 0.044715·g³), computed as g·sigmoid(2z), which is the same number without
    /// tanh's cancellation near 0). `out` may be `gate` or lie before it (a row packed down in place).
    /// Shapes: [n]. Naive twin: `Reference.geluTanhMul`.
    public static func geluTanhMul(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        let c = Float((2 / Double.pi).squareRoot()) * 2
        let rg = UnsafeRawPointer(gate), ru = UnsafeRawPointer(up), ro = UnsafeMutableRawPointer(out)
        var i = 0
        while i + 8 <= n {
            let g = rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let u = ru.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let z2 = c * (g + 0.044715 * g * g * g)
            ro.storeBytes(of: g / (1 + exp8(-z2)) * u, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { let g = gate[i], z2 = c * (g + 0.044715 * g * g * g); out[i] = g / (1 + expf(-z2)) * up[i]; i += 1 }
    }

    /// x[i] = cap · tanh(x[i] / cap) in place (Gemma's final logit soft-capping), with libm's tanhf:
    /// an exp-based tanh cancels near 0 and moved near-tied logits enough to flip an argmax at the
    /// sampler's low temperatures. Shapes: [n]. Naive twin: `Reference.softcap`.
    public static func softcap(_ x: UnsafeMutablePointer<Float>, _ n: Int, cap: Float) {
        let inv = 1 / cap
        for i in 0..<n { x[i] = cap * tanhf(x[i] * inv) }
    }

    /// RMSNorm without a weight (Gemma's `with_scale=False`: v_norm, the router's norm,
    /// self-conditioning's post_norm): out = x / sqrt(mean(x²) + eps). `out` may alias `x`. Shapes: [rows, d].
    public static func rmsNormPlain(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int, d: Int, eps: Float) {
        for r in 0..<rows {
            let xr = x + r * d, o = out + r * d
            let inv = 1 / (dot(xr, xr, d) / Float(d) + eps).squareRoot()
            for i in 0..<d { o[i] = xr[i] * inv }
        }
    }

    /// e^x for 8 lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n by exponent bits.
    /// Relative error below 2e-7 on [-87, 88]; saturates to 0 / +inf outside.
    @inline(__always)
    public static func exp8(_ x0: SIMD8<Float>) -> SIMD8<Float> {
        // Clamp with compare+blend: `clamped(lowerBound:upperBound:)` calls the generic, scalar
        // `pointwiseMin/Max` (~2 % of a forward in the profile).
        let lo = SIMD8<Float>(repeating: -87.3), hi = SIMD8<Float>(repeating: 88.7)
        let x = x0.replacing(with: lo, where: x0 .< lo).replacing(with: hi, where: x0 .> hi)
        // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick (stays in vector registers);
        // the integer then sits in the low mantissa bits of `shifted`.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = x * 1.442695041 + magic
        let n = shifted - magic
        let r = x - n * 0.693359375 + n * 2.12194440e-4          // ln2 split in hi + lo parts
        var p = SIMD8<Float>(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let bits = (ni &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }

    /// Rotary embedding, rotate-half form (as `transformers`' `apply_rotary_pos_emb`), in place on
    /// `heads` vectors of width `headDim` belonging to one token at `position`.
    /// Shapes: x [heads, headDim]; table.cos/sin rows [headDim/2].
    public static func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, position: Int, table: RoPETable) {
        let half = headDim / 2
        let cosRow = table.cos(position), sinRow = table.sin(position)
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<half {
                let a = v[i], b = v[i + half]
                v[i] = a * cosRow[i] - b * sinRow[i]
                v[i + half] = b * cosRow[i] + a * sinRow[i]
            }
        }
    }

    /// Bidirectional grouped-query attention for `t` query tokens over `s` keys.
    /// Shapes: q [t, heads, headDim]; k, v [s, kvHeads, headDim]; keyMask [s] (nil = attend to all);
    /// out [t, heads, headDim]. Scale 1/sqrt(headDim). Work split over (head, query) pairs.
    public static func attention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 out: UnsafeMutablePointer<Float>, t: Int, s: Int, heads: Int, kvHeads: Int, headDim: Int,
                                 keyMask: UnsafePointer<Bool>?, pool: ThreadPool) {
        let group = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        let qStride = heads * headDim, kvStride = kvHeads * headDim
        pool.forEachRange(t * heads) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: s)
            defer { scores.deallocate() }
            for job in range {
                let ti = job / heads, h = job % heads, kh = h / group
                let qv = q + ti * qStride + h * headDim
                for j in 0..<s {
                    if let m = keyMask, !m[j] { scores[j] = -.infinity; continue }
                    scores[j] = dot(qv, k + j * kvStride + kh * headDim, headDim) * scale
                }
                softmax(scores, s)
                let o = out + ti * qStride + h * headDim
                o.initialize(repeating: 0, count: headDim)
                for j in 0..<s where scores[j] != 0 {
                    axpy(scores[j], v + j * kvStride + kh * headDim, o, headDim)
                }
            }
        }
    }
}

/// cos/sin tables for rotary embeddings: row p holds a·cos(p·inv_freq_i) and a·sin(p·inv_freq_i) for
/// i < d/2, computed in Float as `transformers` does (position × inv_freq in float32, then cos/sin,
/// times the attention factor a, which is 1 except for YaRN). Immutable after init.
/// Shapes: inverseFrequencies [headDim/2]; cosTable, sinTable [positions, headDim/2].
public final class RoPETable: @unchecked Sendable {
    public let headDim: Int
    public let positions: Int
    /// inv_freq_i, as the checkpoint's RoPE type computes them (`RotaryEmbedding` in DiffusionModel).
    public let inverseFrequencies: [Float]
    public let attentionFactor: Float
    private let cosTable: UnsafeMutablePointer<Float>
    private let sinTable: UnsafeMutablePointer<Float>

    /// Plain RoPE: inv_freq_i = θ^(−2i/headDim).
    public convenience init(headDim: Int, theta: Double, positions: Int) {
        self.init(inverseFrequencies: RoPETable.plainInverseFrequencies(headDim: headDim, theta: theta), attentionFactor: 1, positions: positions)
    }

    public init(inverseFrequencies: [Float], attentionFactor: Float, positions: Int) {
        headDim = 2 * inverseFrequencies.count; self.positions = positions
        self.inverseFrequencies = inverseFrequencies; self.attentionFactor = attentionFactor
        let half = headDim / 2
        cosTable = .allocate(capacity: positions * half); sinTable = .allocate(capacity: positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let f = Float(p) * inverseFrequencies[i]
                cosTable[p * half + i] = cosf(f) * attentionFactor; sinTable[p * half + i] = sinf(f) * attentionFactor
            }
        }
    }

    /// θ^(−2i/d) for i < d/2 (transformers' `_compute_default_rope_parameters`).
    public static func plainInverseFrequencies(headDim: Int, theta: Double) -> [Float] {
        (0..<(headDim / 2)).map { i in Float(1.0 / pow(theta, Double(2 * i) / Double(headDim))) }
    }

    deinit { cosTable.deallocate(); sinTable.deallocate() }

    public func cos(_ p: Int) -> UnsafePointer<Float> { UnsafePointer(cosTable + p * (headDim / 2)) }
    public func sin(_ p: Int) -> UnsafePointer<Float> { UnsafePointer(sinTable + p * (headDim / 2)) }
}

extension Ops {
    /// The same attention as `attention(...)`, computed as two GEMMs per key/value head on the fast
    /// kernel: the `group` query heads sharing a KV head are stacked into one [t·group, headDim] block
    /// (pre-multiplied by 1/√headDim), and each lane takes chunks of `chunkRows` of its rows:
    /// scores = Q·Kᵀ → [chunkRows, s] (masked, softmaxed per row), out = P·V → [chunkRows, headDim].
    /// A chunk's scores stay in the lane's L2 (192 × 512 × 4 = 384 KiB) instead of a [t·group, s] matrix
    /// (7 MiB at 512 tokens) making three trips through memory. K and Vᵀ are packed once per KV head.
    public static func attentionGEMM(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                     out: UnsafeMutablePointer<Float>, t: Int, s: Int, heads: Int, kvHeads: Int, headDim: Int,
                                     keyMask: UnsafePointer<Bool>?, pool: ThreadPool) {
        let group = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        let qStride = heads * headDim, kvStride = kvHeads * headDim
        let rows = t * group
        let chunkRows = max(6, min(192, 393_216 / (4 * max(s, 1))) / 6 * 6)
        let chunks = (rows + chunkRows - 1) / chunkRows
        let hidden = keyMask.map { m in (0..<s).filter { !m[$0] } } ?? []   // masked key indices
        let qs = UnsafeMutablePointer<Float>.allocate(capacity: rows * headDim)        // [t·group, Dh]
        let o = UnsafeMutablePointer<Float>.allocate(capacity: rows * headDim)         // [t·group, Dh]
        defer { qs.deallocate(); o.deallocate() }
        for kh in 0..<kvHeads {
            // Gather the group's query rows, scaled: row (ti·group + g) = q[ti, kh·group + g, :] / √Dh.
            for ti in 0..<t { for g in 0..<group {
                let src = q + ti * qStride + (kh * group + g) * headDim, dst = qs + (ti * group + g) * headDim
                for d in 0..<headDim { dst[d] = src[d] * scale }
            } }
            let kp = PackedMatrix(rows: s, cols: headDim) { r, c in k[r * kvStride + kh * headDim + c] }   // K [s, Dh]
            let vt = PackedMatrix(rows: headDim, cols: s) { r, c in v[c * kvStride + kh * headDim + r] }   // Vᵀ [Dh, s]
            pool.forEachRange(chunks) { range in
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * s)   // [chunkRows, s]
                defer { scores.deallocate() }
                for c in range {
                    let r0 = c * chunkRows, n = min(chunkRows, rows - r0)
                    Matmul.gemm(qs + r0 * headDim, m: n, kp, scores, pool: .single)
                    for r in 0..<n {
                        let row = scores + r * s
                        for j in hidden { row[j] = -.infinity }
                        softmax(row, s)
                    }
                    Matmul.gemm(scores, m: n, vt, o + r0 * headDim, pool: .single)
                }
            }
            for ti in 0..<t { for g in 0..<group {
                (out + ti * qStride + (kh * group + g) * headDim).update(from: o + (ti * group + g) * headDim, count: headDim)
            } }
            kp.deallocate(); vt.deallocate()
        }
    }
}
