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

    /// In-place numerically stable softmax over `n` values; returns nothing, leaves probabilities.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var mx = -Float.infinity
        for i in 0..<n { mx = max(mx, x[i]) }
        if mx == -.infinity { for i in 0..<n { x[i] = 0 }; return }
        var s: Float = 0
        for i in 0..<n { let e = expf(x[i] - mx); x[i] = e; s += e }
        let inv = 1 / s
        for i in 0..<n { x[i] *= inv }
    }

    /// gate[i] = silu(gate[i]) · up[i]  (SwiGLU), in place on `gate`. Shapes: [n].
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
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

/// cos/sin tables for rotary embeddings: row p holds cos(p·θ^(-2i/d)) for i < d/2, computed in
/// Float as `transformers` does (inv_freq in float32, then position × inv_freq). Immutable after init.
/// Shapes: cosTable, sinTable [positions, headDim/2].
public final class RoPETable: @unchecked Sendable {
    public let headDim: Int
    public let theta: Double
    public let positions: Int
    private let cosTable: UnsafeMutablePointer<Float>
    private let sinTable: UnsafeMutablePointer<Float>

    public init(headDim: Int, theta: Double, positions: Int) {
        self.headDim = headDim; self.theta = theta; self.positions = positions
        let half = headDim / 2
        let invFreq = (0..<half).map { i in Float(1.0 / pow(theta, Double(2 * i) / Double(headDim))) }
        cosTable = .allocate(capacity: positions * half); sinTable = .allocate(capacity: positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let f = Float(p) * invFreq[i]
                cosTable[p * half + i] = cosf(f); sinTable[p * half + i] = sinf(f)
            }
        }
    }

    deinit { cosTable.deallocate(); sinTable.deallocate() }

    public func cos(_ p: Int) -> UnsafePointer<Float> { UnsafePointer(cosTable + p * (headDim / 2)) }
    public func sin(_ p: Int) -> UnsafePointer<Float> { UnsafePointer(sinTable + p * (headDim / 2)) }
}
