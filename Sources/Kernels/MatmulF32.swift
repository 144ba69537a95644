import CKernels

extension Matmul {
    /// y[M, N] = x[M, K] · Wᵀ (+ y) for F32 panels on AVX-512F: no packing of A (the C tile
    /// broadcasts each row's k from x itself); each lane takes its share of panel pairs (32 output
    /// columns), K in blocks of `kcMax` (two panels' block, 2 × 1024 × 64 B, stays in L2) and M in blocks
    /// of `mc`, and runs the 6×32 tile over them. The naive twin is `Reference.matmul`.
    static func gemmF32AVX512(_ x: UnsafePointer<Float>, m: Int, _ w: PackedMatrix, _ y: UnsafeMutablePointer<Float>,
                              accumulate: Bool, pool: ThreadPool) {
        let k = w.cols, n = w.rows
        guard m > 0, n > 0 else { return }
        let floatsPerPanel = w.panelBytes / 4
        let panels = w.storage.assumingMemoryBound(to: Float.self)
        let pairs = (w.panelCount + 1) / 2
        pool.forEachRange(pairs) { range in
            var k0 = 0
            while k0 < k {
                let kb = min(kcMax, k - k0)
                var m0 = 0
                while m0 < m {
                    let mb = min(mc, m - m0)
                    for pp in range {
                        let p0 = 2 * pp
                        let b0 = UnsafePointer(panels + p0 * floatsPerPanel + k0 * 16)
                        let b1: UnsafePointer<Float>? = p0 + 1 < w.panelCount ? UnsafePointer(panels + (p0 + 1) * floatsPerPanel + k0 * 16) : nil
                        let col0 = p0 * 16, cols = min(32, n - col0)
                        var i = 0
                        while i < mb {
                            let r = m0 + i
                            unmask_f32_tile_avx512(kb, x + r * k + k0, k, b0, b1, y + r * n + col0, n, min(6, mb - i), cols,
                                                   accumulate || k0 > 0 ? 1 : 0)
                            i += 6
                        }
                    }
                    m0 += mb
                }
                k0 += kb
            }
        }
    }
}
