extension Matmul {
    /// One call of a 6×32 C tile: rows `row ..< row+rows` (rows ≤ 6) of the output against panels `p0`
    /// and `p0 + 1` (absent when `second` is false), columns `col0 ..< col0+cols`, k `k0 ..< k0+kb`;
    /// `first` is true for the first k block (the tile stores, later blocks add).
    struct PairTile {
        let p0: Int, second: Bool, k0: Int, kb: Int, row: Int, rows: Int, col0: Int, cols: Int, first: Bool
    }

    /// The loop the AVX-512 tiles share (`gemmF32AVX512`, `gemmBF16`, `gemmInt8VNNI`): each lane takes
    /// its share of panel pairs (32 output columns), walks `depth` in blocks of `kBlock` and M in blocks
    /// of `mBlock` rows, and calls `tile` for every 6-row slice.
    static func forEachPairTile(m: Int, depth: Int, kBlock: Int, mBlock: Int, _ w: PackedMatrix, pool: ThreadPool, _ tile: (PairTile) -> Void) {
        let n = w.rows, pairs = (w.panelCount + 1) / 2
        pool.forEachRange(pairs) { range in
            var k0 = 0
            while k0 < depth {
                let kb = min(kBlock, depth - k0)
                var m0 = 0
                while m0 < m {
                    let mb = min(mBlock, m - m0)
                    for pp in range {
                        let p0 = 2 * pp, col0 = p0 * 16
                        var i = 0
                        while i < mb {
                            tile(PairTile(p0: p0, second: p0 + 1 < w.panelCount, k0: k0, kb: kb, row: m0 + i, rows: min(6, mb - i),
                                          col0: col0, cols: min(32, n - col0), first: k0 == 0))
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
