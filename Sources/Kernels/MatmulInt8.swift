import CKernels

extension Matmul {
    /// Rows per M block of the VNNI path.
    static let mcInt8 = 516

    /// y[M, N] = x[M, K] · Wᵀ (+ y) for int8 panels on AVX512-VNNI (`vpdpbusd`). Each activation row is
    /// quantised once to unsigned bytes with a scale per 128 k (rows split over the lanes); then each lane
    /// takes its share of panel pairs (32 output columns) and runs the 6×32 tile over all of K (int32
    /// sums cannot be split across K blocks without the blocks' row sums; K ≤ 4864 quads is
    /// 1216 × 64 bytes per panel, in L2) and M in blocks of `mcInt8`. The naive twin is
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
        let words = w.storage.assumingMemoryBound(to: UInt32.self)
        let pairs = (w.panelCount + 1) / 2
        pool.forEachRange(pairs) { range in
            var m0 = 0
            while m0 < m {
                let mb = min(mcInt8, m - m0)
                for pp in range {
                    let p0 = 2 * pp, has1 = p0 + 1 < w.panelCount
                    let b0 = UnsafePointer(words + p0 * wordsPerPanel)
                    let b1: UnsafePointer<UInt32>? = has1 ? UnsafePointer(words + (p0 + 1) * wordsPerPanel) : nil
                    let col0 = p0 * 16, cols = min(32, n - col0)
                    var i = 0
                    while i < mb {
                        let r = m0 + i
                        unmask_vnni_tile_avx512(kq, xq + r * kq, kq, b0, b1, y + r * n + col0, n, min(6, mb - i), cols, xs + r * groups,
                                                ws + col0, ws + col0 + 16, sums + p0 * groups * 16, has1 ? sums + (p0 + 1) * groups * 16 : nil,
                                                accumulate ? 1 : 0)
                        i += 6
                    }
                }
                m0 += mb
            }
        }
    }
}
