/// y[M, N] = x[M, K] · Wᵀ  (+ y when `accumulate`), with W packed as `PackedMatrix` [N, K].
///
/// BLIS-style: the output panels (16 columns each) are split over the thread lanes; each lane walks
/// K in blocks of `kc` and M in blocks of `mc`, packs its A block into 6-row slivers `[kc][6]`, and
/// runs the 6×16 micro-kernel (12 `SIMD8<Float>` accumulators, `addingProduct` → `vfmadd231ps`).
/// The naive reference is `Reference.matmul`; `MatmulTests` check agreement within 1e-4 relative.
public enum Matmul {
    /// Blocking: K in equal blocks of at most `kcMax` (a hidden size of 896 or 1024 is one block, so each
    /// C tile is written once instead of read and rewritten per 256-deep block: +30 % on 512×896×4864
    /// here). M in blocks of up to `mc` rows: each lane's share of W (8.7 MB of F32 panels for a
    /// 896×4864 layer on 2 lanes) streams from L3 once per M block, which costs more than reading A's
    /// slivers from L3 instead of L2, so a 512-token canvas is one block (2026-11-30, Zen 3, 2 lanes:
    /// 147 / 132 GFLOPS on 512×896×4864 / 512×4864×896 against 129 / 125 with mc = 96, i.e. A in L2).
    static let mr = 6, nr = 16, kcMax = 1024, mc = 516

    /// `isa` picks the micro-kernel (`ISA.current` unless a test compares paths): F32 weights on an
    /// AVX-512 CPU go through `gemmF32AVX512`, BF16 weights on an AVX512-BF16 CPU through `gemmBF16`
    /// (activations rounded to BF16), int8 on AVX512-VNNI through `gemmInt8VNNI` (activations
    /// quantised); everything else runs the AVX2 6×16 tile, widening BF16/int8 to F32.
    public static func gemm(_ x: UnsafePointer<Float>, m: Int, _ w: PackedMatrix,
                            _ y: UnsafeMutablePointer<Float>, accumulate: Bool = false, pool: ThreadPool, isa: ISA = .current) {
        switch w.format {
        case .f32 where isa >= .avx512 && m >= 4 && ISA.supported.contains(.avx512): gemmF32AVX512(x, m: m, w, y, accumulate: accumulate, pool: pool)
        case .f32: gemm(F32Panel.self, x, m: m, w, y, accumulate: accumulate, pool: pool)
        case .bf16 where isa >= .avx512bf16 && m >= 4: gemmBF16(x, m: m, w, y, accumulate: accumulate, pool: pool)
        case .bf16: gemm(BF16Panel.self, x, m: m, w, y, accumulate: accumulate, pool: pool)
        case .int8 where ISA.vnni(isa) && m >= 4: gemmInt8VNNI(x, m: m, w, y, accumulate: accumulate, pool: pool)
        case .int8: gemm(Int8Panel.self, x, m: m, w, y, accumulate: accumulate, pool: pool)
        }
    }

    static func gemm<F: PanelFormat>(_ format: F.Type, _ x: UnsafePointer<Float>, m: Int, _ w: PackedMatrix,
                                     _ y: UnsafeMutablePointer<Float>, accumulate: Bool, pool: ThreadPool) {
        let k = w.cols, n = w.rows
        guard m > 0, n > 0 else { return }
        if m < 4 {
            for i in 0..<m { gemv(F.self, x + i * k, w, y + i * n, accumulate: accumulate, pool: pool) }
            return
        }
        // K in equal blocks of at most kcMax (multiple of 4).
        let kBlocks = (k + kcMax - 1) / kcMax
        let kc = ((k + kBlocks - 1) / kBlocks + 3) / 4 * 4
        pool.forEachRange(w.panelCount) { panels in
            let aPack = UnsafeMutablePointer<Float>.allocate(capacity: min(mc, (m + mr - 1) / mr * mr) * kc)
            // BF16 and int8 panels are widened once per (k block, M block) into a [kb][16] F32 (≤ 64 KiB, L2)
            // block (int8 outputs are scaled at the store), so the conversion is amortised over the
            // M block's micro-tiles instead of repeated in every one.
            let widen = F.bytesPerK != F32Panel.bytesPerK
            let bWide = UnsafeMutablePointer<Float>.allocate(capacity: widen ? kc * 16 : 1)
            defer { aPack.deallocate(); bWide.deallocate() }
            var k0 = 0
            while k0 < k {
                let kb = min(kc, k - k0)
                var m0 = 0
                while m0 < m {
                    let mb = min(mc, m - m0)
                    packA(x + m0 * k + k0, lda: k, rows: mb, depth: kb, into: aPack)
                    for p in panels {
                        let bPanel = UnsafeRawPointer(w.storage) + p * w.panelBytes + k0 * F.bytesPerK
                        let col0 = p * 16, cols = min(16, n - col0)
                        let scale = scales(F.self, w, panel: p)
                        if widen {
                            let raw = UnsafeMutableRawPointer(bWide)
                            for kk in 0..<kb {
                                let (b0, b1) = F.load(bPanel, kk)
                                raw.storeBytes(of: b0, toByteOffset: kk * 64, as: SIMD8<Float>.self)
                                raw.storeBytes(of: b1, toByteOffset: kk * 64 + 32, as: SIMD8<Float>.self)
                            }
                        }
                        var i = 0
                        while i < mb {
                            let rows = min(mr, mb - i)
                            if widen {
                                micro6x16(F32Panel.self, kb, aPack + i * kb, UnsafeRawPointer(bWide), y + (m0 + i) * n + col0, ldc: n,
                                          rows: rows, cols: cols, add: accumulate || k0 > 0, scale: scale)
                            } else {
                                micro6x16(F.self, kb, aPack + i * kb, bPanel, y + (m0 + i) * n + col0, ldc: n,
                                          rows: rows, cols: cols, add: accumulate || k0 > 0, scale: nil)
                            }
                            i += mr
                        }
                    }
                    m0 += mb
                }
                k0 += kb
            }
        }
    }

    /// The per-row scales of panel `p` as two SIMD8 halves (int8); nil for unscaled formats.
    @inline(__always)
    static func scales<F: PanelFormat>(_ format: F.Type, _ w: PackedMatrix, panel p: Int) -> (SIMD8<Float>, SIMD8<Float>)? {
        guard F.scaled, let s = w.scales else { return nil }
        let raw = UnsafeRawPointer(s + p * 16)
        return (raw.loadUnaligned(as: SIMD8<Float>.self), raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
    }

    /// Packs rows×depth of A (row stride `lda`) into slivers of 6 rows: sliver s is `[depth][6]`,
    /// zero-padded past `rows`. Full slivers read six row pointers with no per-element test: every
    /// lane packs all of A, and the generic loop took 3.3 ms of a 512×4864 A here (≈ 10 % of the
    /// down-projection's GEMM) against 0.7 ms for this one.
    @inline(__always)
    static func packA(_ a: UnsafePointer<Float>, lda: Int, rows: Int, depth: Int, into dst: UnsafeMutablePointer<Float>) {
        var s = 0
        while s < rows {
            let out = dst + s * depth
            let r = min(mr, rows - s)
            if r == mr {
                let a0 = a + s * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda
                for kk in 0..<depth {
                    let o = out + kk * mr
                    o[0] = a0[kk]; o[1] = a1[kk]; o[2] = a2[kk]; o[3] = a3[kk]; o[4] = a4[kk]; o[5] = a5[kk]
                }
            } else {
                for kk in 0..<depth {
                    for j in 0..<mr { out[kk * mr + j] = j < r ? a[(s + j) * lda + kk] : 0 }
                }
            }
            s += mr
        }
    }

    @inline(__always)
    static func micro6x16<F: PanelFormat>(_ format: F.Type, _ depth: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer,
                          _ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, add: Bool,
                          scale: (SIMD8<Float>, SIMD8<Float>)?) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        // One k step: two B halves, six broadcasts of A, twelve FMAs.
        @inline(__always) func step(_ kk: Int) {
            let (b0, b1) = F.load(b, kk)
            let ap = a + kk * 6
            var av = SIMD8<Float>(repeating: ap[0]); c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: ap[1]); c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: ap[2]); c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: ap[3]); c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: ap[4]); c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: ap[5]); c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
        }
        // Unrolled by 4: with one step per iteration the loop overhead and the A stream from L2 left
        // the FMA pipes idle (~50 GFLOPS of ~93 per core here; 4 steps per iteration: ~80 in a C model).
        var kk = 0
        while kk + 4 <= depth { step(kk); step(kk + 1); step(kk + 2); step(kk + 3); kk += 4 }
        while kk < depth { step(kk); kk += 1 }
        if let (s0, s1) = scale {
            c00 *= s0; c01 *= s1; c10 *= s0; c11 *= s1; c20 *= s0; c21 *= s1
            c30 *= s0; c31 *= s1; c40 *= s0; c41 *= s1; c50 *= s0; c51 *= s1
        }
        store(c00, c01, row: 0, c, ldc: ldc, rows: rows, cols: cols, add: add)
        store(c10, c11, row: 1, c, ldc: ldc, rows: rows, cols: cols, add: add)
        store(c20, c21, row: 2, c, ldc: ldc, rows: rows, cols: cols, add: add)
        store(c30, c31, row: 3, c, ldc: ldc, rows: rows, cols: cols, add: add)
        store(c40, c41, row: 4, c, ldc: ldc, rows: rows, cols: cols, add: add)
        store(c50, c51, row: 5, c, ldc: ldc, rows: rows, cols: cols, add: add)
    }

    /// Writes (or adds) one accumulator row of the 6×16 tile, clipped to `rows`×`cols`.
    @inline(__always)
    static func store(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, row r: Int, _ c: UnsafeMutablePointer<Float>,
                      ldc: Int, rows: Int, cols: Int, add: Bool) {
        guard r < rows else { return }
        let dst = c + r * ldc
        if cols == 16 {
            let raw = UnsafeMutableRawPointer(dst)
            var a = v0, b = v1
            if add {
                a += raw.loadUnaligned(as: SIMD8<Float>.self)
                b += raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            }
            raw.storeBytes(of: a, as: SIMD8<Float>.self)
            raw.storeBytes(of: b, toByteOffset: 32, as: SIMD8<Float>.self)
        } else {
            for j in 0..<cols {
                let v = j < 8 ? v0[j] : v1[j - 8]
                dst[j] = add ? dst[j] + v : v
            }
        }
    }

    /// y[N] = W[N, K] · x[K] (+ y): memory-bound; each lane streams its panels once.
    public static func gemv(_ x: UnsafePointer<Float>, _ w: PackedMatrix, _ y: UnsafeMutablePointer<Float>,
                            accumulate: Bool = false, pool: ThreadPool) {
        switch w.format {
        case .f32: gemv(F32Panel.self, x, w, y, accumulate: accumulate, pool: pool)
        case .bf16: gemv(BF16Panel.self, x, w, y, accumulate: accumulate, pool: pool)
        case .int8: gemv(Int8Panel.self, x, w, y, accumulate: accumulate, pool: pool)
        }
    }

    static func gemv<F: PanelFormat>(_ format: F.Type, _ x: UnsafePointer<Float>, _ w: PackedMatrix, _ y: UnsafeMutablePointer<Float>,
                                     accumulate: Bool, pool: ThreadPool) {
        let k = w.cols, n = w.rows
        pool.forEachRange(w.panelCount, minimumPerLane: 8) { panels in
            for p in panels {
                let rb = UnsafeRawPointer(w.storage) + p * w.panelBytes
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
                for kk in 0..<k {
                    let xv = SIMD8<Float>(repeating: x[kk])
                    let (b0, b1) = F.load(rb, kk)
                    a0 = a0.addingProduct(xv, b0)
                    a1 = a1.addingProduct(xv, b1)
                }
                if let (s0, s1) = scales(F.self, w, panel: p) { a0 *= s0; a1 *= s1 }
                let col0 = p * 16
                for j in 0..<min(16, n - col0) {
                    let v = j < 8 ? a0[j] : a1[j - 8]
                    y[col0 + j] = accumulate ? y[col0 + j] + v : v
                }
            }
        }
    }
}
