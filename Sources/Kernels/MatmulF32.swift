import CKernels

extension Matmul {
    /// y[M, N] = x[M, K] · Wᵀ (+ y) for F32 panels on AVX-512F: no packing of A (the C tile
    /// broadcasts each row's k from x itself); K in blocks of `kcMax` (two panels' block, 2 × 1024 × 64 B,
    /// stays in L2), M in blocks of `mc`, the 6×32 tile over each (`forEachPairTile`). The naive twin
    /// is `Reference.matmul`.
    static func gemmF32AVX512(_ x: UnsafePointer<Float>, m: Int, _ w: PackedMatrix, _ y: UnsafeMutablePointer<Float>,
                              accumulate: Bool, pool: ThreadPool) {
        let k = w.cols, n = w.rows
        guard m > 0, n > 0 else { return }
        let floatsPerPanel = w.panelBytes / 4
        let panels = UnsafePointer(w.storage.assumingMemoryBound(to: Float.self))
        forEachPairTile(m: m, depth: k, kBlock: kcMax, mBlock: mc, w, pool: pool) { t in
            let b0 = panels + t.p0 * floatsPerPanel + t.k0 * 16
            unmask_f32_tile_avx512(t.kb, x + t.row * k + t.k0, k, b0, t.second ? b0 + floatsPerPanel : nil, y + t.row * n + t.col0, n,
                                   t.rows, t.cols, accumulate || !t.first ? 1 : 0)
        }
    }
}
