import CKernels

extension Matmul {
    /// K pairs per block (1024 k: a hidden size of 896 or 1024 is one block) and rows per M block.
    static let kcPairsBF16 = 512, mcBF16 = 516

    /// y[M, N] = x[M, K] · Wᵀ (+ y) for BF16 panels on AVX512-BF16 (`vdpbf16ps`). The activations are
    /// rounded to BF16 pairs once (rows split over the lanes), not packed per lane; then the 6×32 tile
    /// runs over each lane's panel pairs, K in blocks of `kcPairsBF16` and M in blocks of `mcBF16`
    /// (`forEachPairTile`). The naive twin is `Reference.matmulBF16`.
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
        let words = UnsafePointer(w.storage.assumingMemoryBound(to: UInt32.self))
        forEachPairTile(m: m, depth: kp, kBlock: kcPairsBF16, mBlock: mcBF16, w, pool: pool) { t in
            let b0 = words + t.p0 * wordsPerPanel + t.k0 * 16
            unmask_bf16_tile_avx512(t.kb, xb + t.row * kp + t.k0, kp, b0, t.second ? b0 + wordsPerPanel : nil, y + t.row * n + t.col0, n,
                                    t.rows, t.cols, accumulate || !t.first ? 1 : 0)
        }
    }
}
