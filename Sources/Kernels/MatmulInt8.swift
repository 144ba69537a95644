import CKernels

extension Matmul {
    /// Rows per M block of the VNNI path.
    static let mcInt8 = 516

    /// y[M, N] = x[M, K] · Wᵀ (+ y) for int8 panels on AVX512-VNNI (`vpdpbusd`). Each activation row is
    /// quantised once to unsigned bytes with a scale per 128 k (rows split over the lanes); then the 6×32
    /// tile runs over each lane's panel pairs, all of K per tile (K = 4864 is 1216 quads × 64 bytes per
    /// panel, in L2) and M in blocks of `mcInt8` (`forEachPairTile`). The naive twin is
    /// `Reference.matmulInt8VNNI`.
    static func gemmInt8VNNI(_ x: UnsafePointer<Float>, m: Int, _ w: PackedMatrix, _ y: UnsafeMutablePointer<Float>,
                             accumulate: Bool, pool: ThreadPool) {
        let k = w.cols, n = w.rows, kq = (k + 3) / 4
        guard m > 0, n > 0, let ws = w.scales, let sums = w.groupSums else { return }
        let groups = w.groups
        let xq = UnsafeMutablePointer<UInt32>.allocate(capacity: m * kq)     // [m][kq] quads of u8
        let xs = UnsafeMutablePointer<Float>.allocate(capacity: m * groups) // [m][groups] activation scales
        defer { xq.deallocate(); xs.deallocate() }
        pool.forEachRange(m, minimumPerLane: 16) { r in
            unmask_u8_quads_avx512(x + r.lowerBound * k, k, r.count, k, xq + r.lowerBound * kq, kq, xs + r.lowerBound * groups)
        }
        let wordsPerPanel = w.panelBytes / 4
        let words = UnsafePointer(w.storage.assumingMemoryBound(to: UInt32.self))
        // All of K per tile: the int32 sums are folded per 128-k group inside it.
        forEachPairTile(m: m, depth: kq, kBlock: kq, mBlock: mcInt8, w, pool: pool) { t in
            let b0 = words + t.p0 * wordsPerPanel, s0 = sums + t.p0 * groups * 16
            unmask_vnni_tile_avx512(kq, xq + t.row * kq, kq, b0, t.second ? b0 + wordsPerPanel : nil, y + t.row * n + t.col0, n, t.rows, t.cols,
                                    xs + t.row * groups, ws + t.col0, ws + t.col0 + 16, s0, t.second ? s0 + groups * 16 : nil, accumulate ? 1 : 0)
        }
    }
}
