import Foundation
import Testing
@testable import Kernels

/// Deterministic inputs: a small xorshift generator (seeded, no global state).
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 | 1 }
    mutating func next() -> Float {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Float(state % 2_000_001) / 1_000_000 - 1
    }
    mutating func array(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
}

func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(b.map { abs($0) }.max() ?? 1, 1e-6)
    return zip(a, b).map { abs($0 - $1) }.max()! / scale
}

@Suite struct MatmulTests {
    // Tolerance: 1e-5 of the output scale (F32 accumulation in a different order than the Double reference).
    // (200, 1030, 40) and (97, 2100, 21) cross the K blocking (2 and 3 uneven blocks); (530, 1030, 20) also
    // crosses the M blocking (516 rows, then 14: two full slivers and a 2-row one).
    @Test(arguments: [(1, 7, 5), (3, 33, 17), (6, 16, 16), (7, 300, 40), (13, 512, 33), (64, 96, 130), (100, 260, 48),
                      (200, 1030, 40), (97, 2100, 21), (530, 1030, 20)])
    func gemmMatchesReference(shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        var rng = TestRNG(UInt64(m * 1000 + k * 10 + n))
        let x = rng.array(m * k), w = rng.array(n * k)
        let packed = w.withUnsafeBufferPointer { PackedMatrix(rows: n, cols: k, rowMajor: $0.baseAddress!) }
        defer { packed.deallocate() }
        for threads in [1, 2] {
            var y = [Float](repeating: 0, count: m * n)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                Matmul.gemm(xp.baseAddress!, m: m, packed, yp.baseAddress!, pool: ThreadPool(threads: threads))
            } }
            let ref = Reference.matmul(x, m: m, k: k, w, n: n)
            #expect(maxRelativeError(y, ref) < 1e-5, "m=\(m) k=\(k) n=\(n) threads=\(threads)")
        }
    }

    /// The AVX-512F tile (6×32, A broadcast from x unpacked) against the same reference and tolerance,
    /// with and without accumulation, on 1 and 2 lanes; the shapes cross the K and M blocking, an odd
    /// panel count and row/column tails. Skipped where the CPU has no AVX-512.
    @Test(.enabled(if: ISA.supported.contains(.avx512), "this CPU has no AVX-512F; the path is not run here"),
          arguments: [(4, 7, 5), (5, 33, 17), (6, 16, 16), (7, 300, 40), (13, 512, 33), (64, 96, 130), (200, 1030, 40), (97, 2100, 21), (530, 1030, 20)])
    func avx512TileMatchesReference(shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        var rng = TestRNG(UInt64(m * 1000 + k * 10 + n + 1))
        let x = rng.array(m * k), w = rng.array(n * k), base = rng.array(m * n)
        let packed = w.withUnsafeBufferPointer { PackedMatrix(rows: n, cols: k, rowMajor: $0.baseAddress!) }
        defer { packed.deallocate() }
        for threads in [1, 2] {
            for accumulate in [false, true] {
                var y = accumulate ? base : [Float](repeating: 0, count: m * n)
                x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                    Matmul.gemm(xp.baseAddress!, m: m, packed, yp.baseAddress!, accumulate: accumulate, pool: ThreadPool(threads: threads), isa: .avx512)
                } }
                var ref = Reference.matmul(x, m: m, k: k, w, n: n)
                if accumulate { ref = zip(ref, base).map { $0 + $1 } }
                #expect(maxRelativeError(y, ref) < 1e-5, "m=\(m) k=\(k) n=\(n) threads=\(threads) accumulate=\(accumulate)")
            }
        }
    }

    @Test func accumulateAddsToOutput() {
        var rng = TestRNG(9)
        let (m, k, n) = (8, 20, 18)
        let x = rng.array(m * k), w = rng.array(n * k), base = rng.array(m * n)
        let packed = w.withUnsafeBufferPointer { PackedMatrix(rows: n, cols: k, rowMajor: $0.baseAddress!) }
        defer { packed.deallocate() }
        var y = base
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            Matmul.gemm(xp.baseAddress!, m: m, packed, yp.baseAddress!, accumulate: true, pool: ThreadPool(threads: 2))
        } }
        let ref = zip(Reference.matmul(x, m: m, k: k, w, n: n), base).map { $0 + $1 }
        #expect(maxRelativeError(y, ref) < 1e-5)
    }

    /// BF16 panels: the same product as F32 on weights already rounded to BF16 (tolerance 1e-5).
    @Test(arguments: [(1, 40, 17), (3, 33, 20), (13, 300, 40), (64, 96, 130), (200, 1030, 40), (530, 1030, 20)])
    func bf16PanelsMatchReferenceOnRoundedWeights(shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        var rng = TestRNG(UInt64(7 * m + k + n))
        let x = rng.array(m * k)
        let w = rng.array(n * k).map { Float(bitPattern: UInt32(PackedMatrix.toBF16($0)) << 16) }
        let p = w.withUnsafeBufferPointer { PackedMatrix(rows: n, cols: k, format: .bf16, rowMajor: $0.baseAddress!) }
        defer { p.deallocate() }
        for r in 0..<n { for c in 0..<k { #expect(p.element(r, c) == w[r * k + c]) } }
        var y = [Float](repeating: 0, count: m * n)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            Matmul.gemm(xp.baseAddress!, m: m, p, yp.baseAddress!, pool: ThreadPool(threads: 2), isa: .avx2)
        } }
        #expect(maxRelativeError(y, Reference.matmul(x, m: m, k: k, w, n: n)) < 1e-5)
    }

    /// The AVX512-BF16 path (`vdpbf16ps`): activations rounded to BF16 too, so it equals the product of
    /// both rounded operands (`Reference.matmulBF16`) within 1e-5 of the scale; against exact F32
    /// activations it is within 1 % (BF16 keeps 8 significant bits). Shapes cross odd K (a padded pair),
    /// the K blocking (1030 k = 515 pairs: two blocks), the M blocking (192 rows), an odd panel count
    /// (n = 20, 40: one panel alone) and row tails. Skipped where the CPU has no AVX512-BF16.
    @Test(.enabled(if: ISA.supported.contains(.avx512bf16), "this CPU has no AVX512-BF16 (vdpbf16ps); the path is not run here"),
          arguments: [(4, 40, 17), (5, 33, 20), (13, 300, 40), (64, 96, 130), (200, 1030, 40), (530, 1031, 20), (7, 2100, 48)])
    func bf16DotProductsMatchReferenceOnRoundedOperands(shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        var rng = TestRNG(UInt64(11 * m + k + n))
        let x = rng.array(m * k), w = rng.array(n * k)
        let p = w.withUnsafeBufferPointer { PackedMatrix(rows: n, cols: k, format: .bf16, rowMajor: $0.baseAddress!) }
        defer { p.deallocate() }
        for accumulate in [false, true] {
            let base = rng.array(m * n)
            var y = accumulate ? base : [Float](repeating: 0, count: m * n)
            for threads in [1, 2] {
                if threads == 2 { y = accumulate ? base : [Float](repeating: 0, count: m * n) }
                x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                    Matmul.gemm(xp.baseAddress!, m: m, p, yp.baseAddress!, accumulate: accumulate, pool: ThreadPool(threads: threads), isa: .avx512bf16)
                } }
                var ref = Reference.matmulBF16(x, m: m, k: k, w, n: n)
                if accumulate { ref = zip(ref, base).map { $0 + $1 } }
                #expect(maxRelativeError(y, ref) < 1e-5, "m=\(m) k=\(k) n=\(n) threads=\(threads) accumulate=\(accumulate)")
                let exact = zip(Reference.matmul(x, m: m, k: k, w.map { Float(bitPattern: UInt32(PackedMatrix.toBF16($0)) << 16) }, n: n), accumulate ? base : Array(repeating: 0, count: m * n)).map { $0 + $1 }
                #expect(maxRelativeError(y, exact) < 1e-2)
            }
        }
    }

    @Test func isaIsReportedAndForcingAnUnknownOneIsNamed() {
        #expect(ISA.supported.contains(ISA.current) && ISA.supported.first == .portable)
        #expect(!ISA.cpuName.isEmpty && ISA.summary.contains(ISA.current.rawValue))
    }

    /// Int8 panels: the kernels compute exactly the product with the dequantised weights q·scale
    /// (tolerance 1e-5, GEMM and GEMV paths), and quantisation moves no weight by more than half a step.
    @Test(arguments: [(1, 40, 17), (3, 33, 20), (13, 300, 40), (64, 96, 130), (80, 600, 33), (200, 1030, 40)])
    func int8PanelsMatchReferenceOnDequantisedWeights(shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        var rng = TestRNG(UInt64(11 * m + k + n))
        let x = rng.array(m * k), w = rng.array(n * k)
        let p = w.withUnsafeBufferPointer { PackedMatrix(rows: n, cols: k, format: .int8, rowMajor: $0.baseAddress!) }
        defer { p.deallocate() }
        var deq = [Float](repeating: 0, count: n * k)
        for r in 0..<n {
            let step = (0..<k).map { abs(w[r * k + $0]) }.max()! / 127
            for c in 0..<k {
                deq[r * k + c] = p.element(r, c)
                #expect(abs(deq[r * k + c] - w[r * k + c]) <= step / 2 * 1.0001)
            }
        }
        var y = [Float](repeating: 0, count: m * n)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            Matmul.gemm(xp.baseAddress!, m: m, p, yp.baseAddress!, pool: ThreadPool(threads: 2), isa: .avx2)
        } }
        #expect(maxRelativeError(y, Reference.matmul(x, m: m, k: k, deq, n: n)) < 1e-5)
    }

    /// The AVX512-VNNI path (`vpdpbusd`): activations quantised per row to 8 bits too, so it equals the
    /// integer product of both quantised operands (`Reference.matmulInt8VNNI`) within 1e-5 of the scale;
    /// against F32 activations times the dequantised weights it is within 3 % of the scale (two 8-bit
    /// roundings). Shapes cross K not a multiple of 4 (a padded quad), the M blocking (530 rows),
    /// an odd panel count (one panel alone), column and row tails, and both lane counts. Skipped where
    /// the CPU has no AVX512-VNNI.
    @Test(.enabled(if: ISA.supported.contains(.avx512vnni), "this CPU has no AVX512-VNNI (vpdpbusd); the path is not run here"),
          arguments: [(4, 40, 17), (5, 33, 20), (13, 301, 40), (64, 96, 130), (200, 1030, 40), (530, 1031, 20), (7, 4866, 48)])
    func vnniProductsMatchReferenceOnQuantisedOperands(shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        var rng = TestRNG(UInt64(13 * m + k + n))
        let x = rng.array(m * k), w = rng.array(n * k)
        let p = w.withUnsafeBufferPointer { PackedMatrix(rows: n, cols: k, format: .int8, rowMajor: $0.baseAddress!) }
        defer { p.deallocate() }
        var deq = [Float](repeating: 0, count: n * k)
        for r in 0..<n { for c in 0..<k { deq[r * k + c] = p.element(r, c) } }
        for accumulate in [false, true] {
            let base = rng.array(m * n)
            for threads in [1, 2] {
                var y = accumulate ? base : [Float](repeating: 0, count: m * n)
                x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                    Matmul.gemm(xp.baseAddress!, m: m, p, yp.baseAddress!, accumulate: accumulate, pool: ThreadPool(threads: threads), isa: .avx512vnni)
                } }
                let start = accumulate ? base : [Float](repeating: 0, count: m * n)
                let ref = zip(Reference.matmulInt8VNNI(x, m: m, k: k, w, n: n), start).map { $0 + $1 }
                #expect(maxRelativeError(y, ref) < 1e-5, "m=\(m) k=\(k) n=\(n) threads=\(threads) accumulate=\(accumulate)")
                let exact = zip(Reference.matmul(x, m: m, k: k, deq, n: n), start).map { $0 + $1 }
                #expect(maxRelativeError(y, exact) < 3e-2)
            }
        }
    }

    @Test func packedElementRoundTrips() {
        var rng = TestRNG(3)
        let w = rng.array(37 * 11)
        let p = w.withUnsafeBufferPointer { PackedMatrix(rows: 37, cols: 11, rowMajor: $0.baseAddress!) }
        defer { p.deallocate() }
        for r in 0..<37 { for c in 0..<11 { #expect(p.element(r, c) == w[r * 11 + c]) } }
    }
}

@Suite struct OpsTests {
    @Test func rmsNormMatchesReference() {
        var rng = TestRNG(1)
        let x = rng.array(5 * 37), w = rng.array(37)
        var out = x
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in out.withUnsafeMutableBufferPointer { op in
            Ops.rmsNorm(xp.baseAddress!, wp.baseAddress!, op.baseAddress!, rows: 5, d: 37, eps: 1e-6)
        } } }
        #expect(maxRelativeError(out, Reference.rmsNorm(x, w, rows: 5, d: 37, eps: 1e-6)) < 1e-5)
    }

    @Test func softmaxMatchesReferenceAndHandlesMaskedRows() {
        var rng = TestRNG(2)
        var x = rng.array(50).map { $0 * 30 }
        let ref = Reference.softmax(x)
        x.withUnsafeMutableBufferPointer { Ops.softmax($0.baseAddress!, 50) }
        #expect(maxRelativeError(x, ref) < 1e-5)
        // Lengths around the 8-lane step, the row maximum in the vector part and in the scalar tail,
        // a masked (-inf) key among them. The peak is far above the rest, so a wrongly taken maximum
        // overflows exp and fails the comparison (softmax is otherwise shift-invariant).
        for n in [7, 8, 9, 517] {
            for peak in [0, n / 2, n - 1] {
                var y = rng.array(n).map { $0 * 10 }
                y[peak] = 200; if n > 3 { y[(peak + 1) % n] = -.infinity }
                let yRef = Reference.softmax(y)
                y.withUnsafeMutableBufferPointer { Ops.softmax($0.baseAddress!, n) }
                #expect(maxRelativeError(y, yRef) < 1e-5, "n \(n), peak at \(peak)")
            }
        }
        for n in [4, 16, 19] {
            var all = [Float](repeating: -.infinity, count: n)
            all.withUnsafeMutableBufferPointer { Ops.softmax($0.baseAddress!, n) }
            #expect(all == [Float](repeating: 0, count: n))
        }
    }

    @Test func siluMulMatchesReference() {
        var rng = TestRNG(4)
        var g = rng.array(100).map { $0 * 8 }
        let u = rng.array(100), ref = Reference.siluMul(g, u)
        g.withUnsafeMutableBufferPointer { gp in u.withUnsafeBufferPointer { Ops.siluMul(gp.baseAddress!, $0.baseAddress!, 100) } }
        #expect(maxRelativeError(g, ref) < 1e-5)
    }

    /// GELU-tanh through sigmoid(2z) against tanh in Double: within 1e-5 of the scale, across the
    /// saturating range (|g| up to 12) and with `out` aliasing `gate`.
    @Test func geluTanhMulMatchesReference() {
        var rng = TestRNG(14)
        var g = rng.array(101).map { $0 * 12 }
        let u = rng.array(101), ref = Reference.geluTanhMul(g, u)
        g.withUnsafeMutableBufferPointer { gp in u.withUnsafeBufferPointer { Ops.geluTanhMul(gp.baseAddress!, $0.baseAddress!, gp.baseAddress!, 101) } }
        #expect(maxRelativeError(g, ref) < 1e-5)
    }

    /// Soft-capping against tanh in Double: within 1e-6 of the cap, from tiny values to saturation.
    @Test func softcapMatchesReference() {
        var rng = TestRNG(16)
        var x = rng.array(203).map { $0 * 90 } + [0, 1e-7, -3e-5, 29.9, -30.1, 500]
        let ref = Reference.softcap(x, cap: 30)
        x.withUnsafeMutableBufferPointer { Ops.softcap($0.baseAddress!, $0.count, cap: 30) }
        #expect(zip(x, ref).map { abs($0 - $1) }.max()! <= 30 * 1e-6)
    }

    @Test func plainRMSNormIsTheNormWithUnitWeights() {
        var rng = TestRNG(15)
        var x = rng.array(3 * 29)
        let ref = Reference.rmsNorm(x, [Float](repeating: 1, count: 29), rows: 3, d: 29, eps: 1e-6)
        x.withUnsafeMutableBufferPointer { Ops.rmsNormPlain($0.baseAddress!, $0.baseAddress!, rows: 3, d: 29, eps: 1e-6) }
        #expect(maxRelativeError(x, ref) < 1e-5)
    }

    @Test func exp8MatchesExp() {
        var worst: Float = 0
        for i in stride(from: -8700, through: 8800, by: 7) {
            let x = Float(i) / 100
            let v = Ops.exp8(SIMD8(repeating: x))[0], ref = Float(Foundation.exp(Double(x)))
            worst = max(worst, abs(v - ref) / ref)
        }
        #expect(worst < 2e-6, "worst relative error \(worst)")
        #expect(Ops.exp8(SIMD8(repeating: -200))[0] < 1e-37 && Ops.exp8(SIMD8(repeating: 200))[0] > 1e38)
    }

    @Test(arguments: [0, 1, 17, 500])
    func ropeMatchesReference(position: Int) {
        var rng = TestRNG(UInt64(position + 5))
        let table = RoPETable(headDim: 32, theta: 10000, positions: 600)
        var x = rng.array(3 * 32)
        let ref = Reference.rope(x, heads: 3, headDim: 32, position: position, theta: 10000)
        x.withUnsafeMutableBufferPointer { Ops.rope($0.baseAddress!, heads: 3, headDim: 32, position: position, table: table) }
        // Angles in Float vs Double: error grows with position (≈ position × 1e-7 rad).
        #expect(maxRelativeError(x, ref) < 1e-4)
    }

    @Test func attentionMatchesReferenceWithGQAAndMask() {
        var rng = TestRNG(6)
        let (t, s, heads, kvHeads, d) = (5, 9, 4, 2, 16)
        let q = rng.array(t * heads * d), k = rng.array(s * kvHeads * d), v = rng.array(s * kvHeads * d)
        let mask = (0..<s).map { $0 % 3 != 1 }
        var out = [Float](repeating: 0, count: t * heads * d)
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            mask.withUnsafeBufferPointer { mp in out.withUnsafeMutableBufferPointer { op in
                Ops.attention(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!, out: op.baseAddress!,
                              t: t, s: s, heads: heads, kvHeads: kvHeads, headDim: d, keyMask: mp.baseAddress!, pool: ThreadPool(threads: 2))
            } }
        } } }
        let ref = Reference.attention(q: q, k: k, v: v, t: t, s: s, heads: heads, kvHeads: kvHeads, headDim: d, keyMask: mask)
        #expect(maxRelativeError(out, ref) < 1e-5)
    }

    // (100, 520, 14, 2, 64): 700 query rows in several chunks of 120, over more keys than one panel block.
    @Test(arguments: [(5, 9, 4, 2, 16), (33, 70, 14, 2, 64), (7, 40, 8, 8, 32), (100, 520, 14, 2, 64)])
    func attentionGEMMMatchesReference(shape: (Int, Int, Int, Int, Int)) {
        let (t, s, heads, kvHeads, d) = shape
        var rng = TestRNG(UInt64(t * s))
        let q = rng.array(t * heads * d), k = rng.array(s * kvHeads * d), v = rng.array(s * kvHeads * d)
        let mask = (0..<s).map { $0 % 4 != 2 }
        var out = [Float](repeating: 0, count: t * heads * d)
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            mask.withUnsafeBufferPointer { mp in out.withUnsafeMutableBufferPointer { op in
                Ops.attentionGEMM(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!, out: op.baseAddress!,
                                  t: t, s: s, heads: heads, kvHeads: kvHeads, headDim: d, keyMask: mp.baseAddress!, pool: ThreadPool(threads: 2))
            } }
        } } }
        let ref = Reference.attention(q: q, k: k, v: v, t: t, s: s, heads: heads, kvHeads: kvHeads, headDim: d, keyMask: mask)
        #expect(maxRelativeError(out, ref) < 1e-5)
    }
}
