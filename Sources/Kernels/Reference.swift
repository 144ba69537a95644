import Foundation

/// Naive, obviously-correct versions of every fast kernel, kept beside them: tests compare the fast
/// path to these within a stated tolerance. Plain loops over Swift arrays, row-major.
public enum Reference {
    /// y[m, n] = Σ_k x[m, k] · w[n, k]   (x [M, K], w [N, K] row-major as in `nn.Linear`).
    public static func matmul(_ x: [Float], m: Int, k: Int, _ w: [Float], n: Int) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s: Double = 0
            for kk in 0..<k { s += Double(x[i * k + kk]) * Double(w[j * k + kk]) }
            y[i * n + j] = Float(s)
        } }
        return y
    }

    /// The AVX512-BF16 path's arithmetic: x and w rounded to BF16 (nearest even), exact products
    /// summed in Double. Shapes as `matmul`.
    public static func matmulBF16(_ x: [Float], m: Int, k: Int, _ w: [Float], n: Int) -> [Float] {
        func bf16(_ v: Float) -> Double { Double(Float(bitPattern: UInt32(PackedMatrix.toBF16(v)) << 16)) }
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s: Double = 0
            for kk in 0..<k { s += bf16(x[i * k + kk]) * bf16(w[j * k + kk]) }
            y[i * n + j] = Float(s)
        } }
        return y
    }

    /// The VNNI path's arithmetic, naively: each row of x quantised in groups of `PackedMatrix.groupK`
    /// k to q = round(x / s) (s = max|x| / 127 over the group, ties to even, clamped to ±127), each row
    /// of W to int8 with its own scale (as `PackedMatrix` does), y = s_w · Σ_g s_x,g · Σ_{k∈g} q_x · q_w
    /// with exact integer sums.
    public static func matmulInt8VNNI(_ x: [Float], m: Int, k: Int, _ w: [Float], n: Int) -> [Float] {
        let wq = (0..<n).map { j -> (q: [Int], scale: Float) in
            let row = w[(j * k)..<((j + 1) * k)]
            let amax = row.map { abs($0) }.max() ?? 0, scale = amax / 127, inv: Float = scale > 0 ? 1 / scale : 0
            return (row.map { Int(max(-127, min(127, ($0 * inv).rounded()))) }, scale)
        }
        let g = PackedMatrix.groupK
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for k0 in stride(from: 0, to: k, by: g) {
                let group = x[(i * k + k0)..<(i * k + min(k, k0 + g))]
                let amax = group.map { abs($0) }.max() ?? 0, inv: Float = amax > 0 ? 127 / amax : 0
                let xq = group.map { Int(max(-127, min(127, ($0 * inv).rounded(.toNearestOrEven)))) }
                for j in 0..<n {
                    var s = 0
                    for (t, q) in xq.enumerated() { s += q * wq[j].q[k0 + t] }
                    y[i * n + j] += Float(s) * (amax / 127)
                }
            }
            for j in 0..<n { y[i * n + j] *= wq[j].scale }
        }
        return y
    }

    public static func rmsNorm(_ x: [Float], _ w: [Float], rows: Int, d: Int, eps: Float) -> [Float] {
        var out = x
        for r in 0..<rows {
            var ms: Double = 0
            for i in 0..<d { ms += Double(x[r * d + i]) * Double(x[r * d + i]) }
            let inv = 1 / (ms / Double(d) + Double(eps)).squareRoot()
            for i in 0..<d { out[r * d + i] = Float(Double(x[r * d + i]) * inv) * w[i] }
        }
        return out
    }

    public static func softmax(_ x: [Float]) -> [Float] {
        let mx = x.max() ?? 0
        let e = x.map { Foundation.exp(Double($0 - mx)) }
        let s = e.reduce(0, +)
        return e.map { Float($0 / s) }
    }

    public static func siluMul(_ g: [Float], _ u: [Float]) -> [Float] {
        zip(g, u).map { g, u in Float(Double(g) / (1 + Foundation.exp(-Double(g)))) * u }
    }

    /// gelu_pytorch_tanh(g) · u in Double with tanh itself: 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))).
    public static func geluTanhMul(_ g: [Float], _ u: [Float]) -> [Float] {
        zip(g, u).map { g, u in
            let x = Double(g)
            return Float(0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))) * u
        }
    }

    /// cap · tanh(x / cap) in Double.
    public static func softcap(_ x: [Float], cap: Float) -> [Float] { x.map { Float(Double(cap) * Foundation.tanh(Double($0) / Double(cap))) } }

    /// Rotate-half RoPE of one [heads, headDim] vector at `position`, angles in Double.
    public static func rope(_ x: [Float], heads: Int, headDim: Int, position: Int, theta: Double) -> [Float] {
        var out = x
        let half = headDim / 2
        for h in 0..<heads { for i in 0..<half {
            let ang = Double(position) / Foundation.pow(theta, Double(2 * i) / Double(headDim))
            let a = Double(x[h * headDim + i]), b = Double(x[h * headDim + i + half])
            out[h * headDim + i] = Float(a * Foundation.cos(ang) - b * Foundation.sin(ang))
            out[h * headDim + i + half] = Float(b * Foundation.cos(ang) + a * Foundation.sin(ang))
        } }
        return out
    }

    /// Grouped-query attention, no causal mask. q [t, heads, d]; k, v [s, kvHeads, d]; mask [s].
    public static func attention(q: [Float], k: [Float], v: [Float], t: Int, s: Int, heads: Int, kvHeads: Int,
                                 headDim d: Int, keyMask: [Bool]?) -> [Float] {
        var out = [Float](repeating: 0, count: t * heads * d)
        let g = heads / kvHeads
        for ti in 0..<t { for h in 0..<heads {
            let kh = h / g
            var sc = [Double](repeating: -.infinity, count: s)
            for j in 0..<s where keyMask?[j] ?? true {
                var dot: Double = 0
                for i in 0..<d { dot += Double(q[(ti * heads + h) * d + i]) * Double(k[(j * kvHeads + kh) * d + i]) }
                sc[j] = dot / Double(d).squareRoot()
            }
            let mx = sc.max()!
            let e = sc.map { $0 == -.infinity ? 0 : Foundation.exp($0 - mx) }
            let z = e.reduce(0, +)
            for i in 0..<d {
                var acc: Double = 0
                for j in 0..<s { acc += e[j] / z * Double(v[(j * kvHeads + kh) * d + i]) }
                out[(ti * heads + h) * d + i] = Float(acc)
            }
        } }
        return out
    }
}
