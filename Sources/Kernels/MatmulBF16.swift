import CKernels

extension Matmul {
    /// K pairs per block (1024 k: a hidden size of 896 or 1024 is one block) and rows per M block.
    static let kcPairsBF16 = 512, mcBF16 = 516

    /// y[M, N] = x[M, K] · Wᵀ (+ y) for BF16 panels on AVX512-BF16 (`vdpbf16ps`). The activations are
    /// rounded to BF16 pairs once (rows split over the lanes), not packed per lane; then each lane takes
    /// its share of panel pairs (32 output columns), K in blocks of `kcPairsBF16` and M in blocks of
    /// `mcBF16`, and runs the 6×32 tile over them. The naive twin is `Reference.matmulBF16`.
    static func gemmBF16(_ x: UnsafePointer<Float>, m: Int, _ w: PackedMatrix, _ y: UnsafeMutablePointer<Float>,
                         accumulate: Bool, pool: ThreadPool) {
        let k = w.cols, n = w.rows, kp = (k + 1) / 2
        guard m > 0, n > 0 else { return }
        let xb = UnsafeMutablePointer<UInt32>.allocate(capacity: m * kp)     // [m][kp] BF16 pairs
        defer { xb.deallocate() }
        pool.forEachRange(m, minimumPerLane: 16) { r in
            unmask_bf16_pairs_avx512(x + r.lowerBound * k, k, r.count, k, xb + r.lowerBound * kp, kp)
        }
        let wordsPerPanel = w.panelBytes / 4
        let words = w.storage.assumingMemoryBound(to: UInt32.self)
        let pairs = (w.panelCount + 1) / 2
        pool.forEachRange(pairs) { range in
            var kb0 = 0
            while kb0 < kp {
                let kbp = min(kcPairsBF16, kp - kb0)
                var m0 = 0
                while m0 < m {
                    let mb = min(mcBF16, m - m0)
                    for pp in range {
                        let p0 = 2 * pp
                        let b0 = UnsafePointer(words + p0 * wordsPerPanel + kb0 * 16)
                        let b1: UnsafePointer<UInt32>? = p0 + 1 < w.panelCount ? UnsafePointer(words + (p0 + 1) * wordsPerPanel + kb0 * 16) : nil
                        let col0 = p0 * 16, cols = min(32, n - col0)
                        var i = 0
                        while i < mb {
                            let r = m0 + i
                            unmask_bf16_tile_avx512(kbp, xb + r * kp + kb0, kp, b0, b1, y + r * n + col0, n, min(6, mb - i), cols,
                                                    accumulate || kb0 > 0 ? 1 : 0)
                            i += 6
                        }
                    }
                    m0 += mb
                }
                kb0 += kbp
            }
        }
    }
}
