import Foundation
import Kernels
import SafeTensors

/// Raw logits for chosen rows. `values` is [rows.count, vocabSize]; row r is the output at canvas
/// position `rows[r]`, before any logit shift (the denoiser applies the family's convention).
public struct Logits: Sendable {
    public let rows: [Int]
    public let vocabSize: Int
    public var values: [Float]
    public func row(_ r: Int) -> ArraySlice<Float> { values[(r * vocabSize)..<((r + 1) * vocabSize)] }
}

/// One layer's weights, fused for fewer, larger matmuls.
struct LayerWeights {
    let attnNorm: [Float]        // [D]
    let qkv: PackedMatrix        // [(H + 2Hk)·Dh, D]: q rows, then k, then v
    let qkvBias: [Float]?        // [(H + 2Hk)·Dh]
    let qNorm: [Float]?          // [Dh]
    let kNorm: [Float]?          // [Dh]
    let o: PackedMatrix          // [D, H·Dh]
    let oBias: [Float]?          // [D]
    let mlpNorm: [Float]         // [D]
    let gateUp: PackedMatrix     // [2I, D]: gate rows, then up
    let down: PackedMatrix       // [D, I]
}

/// A bidirectional (no causal mask) pre-norm transformer: embedding, RMSNorm, RoPE (rotate-half),
/// grouped-query attention with optional key mask and explicit positions, SwiGLU MLP, final norm,
/// and the vocabulary projection only for the rows asked for.
public final class DiffusionTransformer: @unchecked Sendable {
    public let config: ModelConfig
    public let pool: ThreadPool
    /// Embedding rows [V, D], packed; the same object as `lmHead` when the embeddings are tied.
    let embed: PackedMatrix
    let layers: [LayerWeights]
    let finalNorm: [Float]           // [D]
    let lmHead: PackedMatrix         // [V, D]
    /// cos/sin per position for the checkpoint's RoPE type (the cache re-rotation reads its inv_freq).
    public let rope: RoPETable
    /// Bytes held by weights in memory (packed, in their in-memory format).
    public let weightBytes: Int
    /// Bytes the checkpoint stores (e.g. BF16 on disk).
    public let storedParameterCount: Int

    /// How weights are held in memory: `.stored` keeps BF16 checkpoints in BF16 (exact, half the
    /// memory) and everything else in F32; `.f32` converts everything to F32; `.int8` quantises every
    /// matrix (embedding/head included) per row at load (`--quantize int8`; accuracy cost in the README).
    public enum WeightPrecision: String, Sendable, CaseIterable { case stored, f32, int8 }
    public let precision: WeightPrecision
    /// The GEMM path (`ISA.current` unless a test pins one): on AVX512-BF16, BF16 weights multiply
    /// BF16-rounded activations (tolerance in `GoldenModelTests`); `.avx2` keeps activations in F32.
    public let isa: ISA

    /// The mapped panel file this model's matrices live in (nil: they were packed in memory).
    let panelCache: PanelCache?

    /// `panelCache`: where packed panels are kept between loads (the key says which weights, precision
    /// and layout they are): mapped when the file matches, else packed as usual and written there.
    public init(config c: ModelConfig, weights src: WeightSource, pool: ThreadPool = ThreadPool(), precision: WeightPrecision = .stored,
                isa: ISA = .current, panelCache cacheFile: (path: String, key: String)? = nil) throws {
        config = c; self.pool = pool; self.precision = precision; self.isa = isa
        let mapped = cacheFile.flatMap { PanelCache.open(path: $0.path, key: $0.key + " precision \(precision.rawValue) layout \(PanelCache.layoutVersion)") }
        var packed: [PackedMatrix] = []
        let names = WeightNames.forFamily(c.family)
        let D = c.hiddenSize, H = c.numHeads, Hk = c.numKVHeads, Dh = c.headDim, I = c.intermediateSize, V = c.vocabSize
        let tied = c.tiedEmbeddings || !src.contains(names.lmHead)
        var ls: [LayerWeights] = []
        var bytes = 0
        var params = 0
        func format(_ n: String) -> PackedMatrix.Format {
            switch precision {
            case .int8: return .int8
            case .stored: return src.storedDType(n) == "BF16" ? .bf16 : .f32
            case .f32: return .f32
            }
        }
        /// Packs [part rows × cols] tensors, one after another, straight from the source (or takes them
        /// from the mapped panel cache).
        func pack(_ parts: [(String, Int)], cols: Int) throws -> PackedMatrix {
            for (n, r) in parts { try src.expect(n, shape: [r, cols]) }
            let rows = parts.reduce(0) { $0 + $1.1 }, fmt = format(parts[0].0)
            if let mapped, let m = mapped.take(rows: rows, cols: cols, format: fmt) {
                params += rows * cols; bytes += m.byteCount; packed.append(m)
                return m
            }
            let p = PackedMatrix(rows: rows, cols: cols, format: fmt)
            do {
                var offset = 0
                for (n, r) in parts {
                    let copied: Void? = p.format == .bf16
                        ? try src.withBF16Bits(n, shape: [r, cols]) { bits in p.setRowsBF16(offset, count: r, bits: bits, pool: pool) } : nil
                    if copied == nil {
                        try src.withReader(n, shape: [r, cols]) { read in p.setRows(offset, count: r) { i, j in read(i * cols + j) } }
                    }
                    offset += r; params += r * cols
                }
            } catch { p.deallocate(); throw error }
            bytes += p.byteCount; packed.append(p)
            return p
        }
        embed = try pack([(names.embed, V)], cols: D)
        for i in 0..<c.numLayers {
            let n = { (p: WeightNames.Part) in names.name(layer: i, p) }
            var bias: [Float]?
            if c.qkvBias {
                bias = try src.floats(n(.qBias), shape: [H * Dh]) + src.floats(n(.kBias), shape: [Hk * Dh]) + src.floats(n(.vBias), shape: [Hk * Dh])
            }
            ls.append(LayerWeights(
                attnNorm: try src.floats(n(.attnNorm), shape: [D]),
                qkv: try pack([(n(.q), H * Dh), (n(.k), Hk * Dh), (n(.v), Hk * Dh)], cols: D),
                qkvBias: bias,
                qNorm: c.qkNorm ? try src.floats(n(.qNorm), shape: [Dh]) : nil,
                kNorm: c.qkNorm ? try src.floats(n(.kNorm), shape: [Dh]) : nil,
                o: try pack([(n(.o), D)], cols: H * Dh),
                oBias: c.oBias ? try src.floats(n(.oBias), shape: [D]) : nil,
                mlpNorm: try src.floats(n(.mlpNorm), shape: [D]),
                gateUp: try pack([(n(.gate), I), (n(.up), I)], cols: D),
                down: try pack([(n(.down), D)], cols: I)))
        }
        layers = ls
        finalNorm = try src.floats(names.finalNorm, shape: [D])
        // Tied embeddings, or a checkpoint saved without `lm_head.weight`: the embedding is the head.
        lmHead = tied ? embed : try pack([(names.lmHead, V)], cols: D)
        weightBytes = bytes
        storedParameterCount = params
        rope = RoPETable(inverseFrequencies: c.rope.inverseFrequencies(headDim: Dh), attentionFactor: Float(c.rope.attentionFactor),
                         positions: min(c.maxPositions, 16384))
        panelCache = mapped                  // kept alive while any matrix points into it
        if !(mapped?.complete ?? false) {
            // Best effort: a folder that cannot be written only means the next load packs again.
            if let f = cacheFile { try? PanelCache.write(path: f.path, key: f.key + " precision \(precision.rawValue) layout \(PanelCache.layoutVersion)", matrices: packed) }
        }
    }

    /// Small problems take the direct kernel; large ones the GEMM formulation (same result within 1e-5).
    func attend(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                t: Int, s: Int, heads: Int, kvHeads: Int, headDim: Int, keyMask: UnsafePointer<Bool>?, pool: ThreadPool) {
        if t * (heads / kvHeads) >= 24 && s >= 32 {
            Ops.attentionGEMM(q: q, k: k, v: v, out: out, t: t, s: s, heads: heads, kvHeads: kvHeads, headDim: headDim, keyMask: keyMask, pool: pool)
        } else {
            Ops.attention(q: q, k: k, v: v, out: out, t: t, s: s, heads: heads, kvHeads: kvHeads, headDim: headDim, keyMask: keyMask, pool: pool)
        }
    }

    deinit {
        for l in layers { l.qkv.deallocate(); l.o.deallocate(); l.gateUp.deallocate(); l.down.deallocate() }
        lmHead.deallocate()
        if embed.storage != lmHead.storage { embed.deallocate() }
    }

    /// Positions the RoPE table covers (the longest canvas this model runs).
    public var maxPositions: Int { rope.positions }

    /// Full forward over `tokens` (no causal mask). `positions` default to 0..<T; `keyMask[j] == false`
    /// hides token j from every query. Returns logits for `rows` only. When `cache` is given, every
    /// slot's keys/values are stored in it for later `forwardBlock` calls.
    /// `interrupt` is asked before every layer: when it answers true the forward stops there and throws
    /// `ModelError.interrupted` (deadlines and cancellation cost at most one layer).
    public func forward(tokens: [Int32], positions: [Int]? = nil, keyMask: [Bool]? = nil, rows: [Int],
                        cache: KVCache? = nil, interrupt: (() -> Bool)? = nil) throws -> Logits {
        let T = tokens.count
        let pos = positions ?? Array(0..<T)
        try check(tokens: tokens, positions: pos, keyMask: keyMask, rows: rows, rowRange: 0..<T)
        if let cache {
            guard T <= cache.capacity else { throw ModelError.sequenceTooLong(length: T, maximum: cache.capacity) }
            cache.length = T; cache.positions = pos; cache.keyMask = keyMask
        }
        return try run(tokens: tokens, positions: pos, slotStart: 0, keyMask: keyMask, rows: rows, cache: cache, attendCount: T, interrupt: interrupt)
    }

    /// Forward over a block of `tokens` occupying canvas slots `start ..< start+count` of a filled
    /// `cache`: the block's keys/values overwrite their slots, and its queries attend to all cached
    /// slots. `rows` are canvas positions inside the block.
    public func forwardBlock(tokens: [Int32], start: Int, cache: KVCache, rows: [Int], interrupt: (() -> Bool)? = nil) throws -> Logits {
        guard start >= 0, start + tokens.count <= cache.length else {
            throw ModelError.sequenceTooLong(length: start + tokens.count, maximum: cache.length)
        }
        let pos = Array(cache.positions[start..<(start + tokens.count)])
        try check(tokens: tokens, positions: pos, keyMask: nil, rows: rows, rowRange: start..<(start + tokens.count))
        return try run(tokens: tokens, positions: pos, slotStart: start, keyMask: cache.keyMask, rows: rows.map { $0 - start },
                       cache: cache, attendCount: cache.length, rowOffset: start, interrupt: interrupt)
    }

    /// Validates a forward's inputs so that nothing a caller passes can index out of bounds. A block's
    /// key mask is the cache's, checked when the cache was filled, so `forwardBlock` passes nil.
    func check(tokens: [Int32], positions: [Int], keyMask: [Bool]?, rows: [Int], rowRange: Range<Int>) throws {
        for (key, count) in [("positions", positions.count), ("keyMask", keyMask?.count ?? tokens.count)] where count != tokens.count {
            throw ModelError.invalidConfigValue(path: "forward", key: key, value: "\(count) entries for \(tokens.count) tokens")
        }
        if let r = rows.first(where: { !rowRange.contains($0) }) { throw ModelError.rowOutOfRange(row: r, valid: rowRange) }
        for (i, t) in tokens.enumerated() where t < 0 || Int(t) >= config.vocabSize {
            throw ModelError.tokenOutOfRange(position: i, id: t, vocabSize: config.vocabSize)
        }
        if let m = positions.max(), m >= rope.positions { throw ModelError.sequenceTooLong(length: m + 1, maximum: rope.positions) }
        if positions.contains(where: { $0 < 0 }) { throw ModelError.invalidConfigValue(path: "positions", key: "position", value: "negative") }
    }

    /// RMSNorm of `rows` rows of width hidden_size, rows split over the pool. Shapes: x, out [rows, D]; weight [D].
    func rmsNorm(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int) {
        let D = config.hiddenSize
        pool.forEachRange(rows, minimumPerLane: 32) { r in
            Ops.rmsNorm(x + r.lowerBound * D, weight, out + r.lowerBound * D, rows: r.count, d: D, eps: config.rmsNormEps)
        }
    }

    /// The shared body. `rows` are indices into `tokens`; reported back as `rows + rowOffset`.
    func run(tokens: [Int32], positions: [Int], slotStart: Int, keyMask: [Bool]?, rows: [Int], cache: KVCache?,
             attendCount S: Int, rowOffset: Int = 0, interrupt: (() -> Bool)? = nil) throws -> Logits {
        let c = config
        let T = tokens.count, D = c.hiddenSize, H = c.numHeads, Hk = c.numKVHeads, Dh = c.headDim, I = c.intermediateSize
        let qkvDim = (H + 2 * Hk) * Dh, kvDim = Hk * Dh
        var x = [Float](repeating: 0, count: T * D)          // residual stream [T, D]
        var h = [Float](repeating: 0, count: T * D)          // normed input [T, D]
        var qkv = [Float](repeating: 0, count: T * qkvDim)   // [T, (H+2Hk)·Dh]
        var q = [Float](repeating: 0, count: T * H * Dh)     // [T, H, Dh]
        let kOwn = UnsafeMutablePointer<Float>.allocate(capacity: T * kvDim)   // [T, Hk, Dh] (used without a cache)
        let vOwn = UnsafeMutablePointer<Float>.allocate(capacity: T * kvDim)
        defer { kOwn.deallocate(); vOwn.deallocate() }
        var att = [Float](repeating: 0, count: T * H * Dh)   // [T, H·Dh]
        var gu = [Float](repeating: 0, count: T * 2 * I)     // [T, 2I]
        var act = [Float](repeating: 0, count: T * I)        // [T, I]
        for (i, t) in tokens.enumerated() {
            for j in 0..<D { x[i * D + j] = embed.element(Int(t), j) }
        }
        let mask: [Bool]? = keyMask
        // Rows still computed: all T until the last layer's K/V are written; from then on only the
        // requested rows matter (attention output, o-projection, MLP, head), so q and x are gathered to
        // `rows` and the rest of the last layer runs on R rows (512 → 32 rows skips ~4 % of a forward).
        var n = T
        for (li, l) in layers.enumerated() {
            if let interrupt, interrupt() { throw ModelError.interrupted(layer: li) }
            x.withUnsafeBufferPointer { xp in h.withUnsafeMutableBufferPointer { hp in l.attnNorm.withUnsafeBufferPointer { wp in
                rmsNorm(xp.baseAddress!, wp.baseAddress!, hp.baseAddress!, rows: T)
            } } }
            h.withUnsafeBufferPointer { hp in qkv.withUnsafeMutableBufferPointer { op in
                Matmul.gemm(hp.baseAddress!, m: T, l.qkv, op.baseAddress!, pool: pool, isa: isa)
            } }
            // Split q | k | v, add biases, q/k norms, RoPE; k/v land in the cache slots (or local buffers).
            let kAll = cache?.keys[li] ?? kOwn, vAll = cache?.values[li] ?? vOwn   // [S, Hk·Dh]
            let kDst = kAll + slotStart * kvDim, vDst = vAll + slotStart * kvDim
            qkv.withUnsafeMutableBufferPointer { qp in q.withUnsafeMutableBufferPointer { qOut in
                let base = qp.baseAddress!, qBase = qOut.baseAddress!
                pool.forEachRange(T, minimumPerLane: 32) { tokens in for i in tokens {
                    let r = base + i * qkvDim
                    if let b = l.qkvBias { for j in 0..<qkvDim { r[j] += b[j] } }
                    if let qn = l.qNorm, let kn = l.kNorm {
                        qn.withUnsafeBufferPointer { Ops.rmsNorm(r, $0.baseAddress!, r, rows: H, d: Dh, eps: c.rmsNormEps) }
                        kn.withUnsafeBufferPointer { Ops.rmsNorm(r + H * Dh, $0.baseAddress!, r + H * Dh, rows: Hk, d: Dh, eps: c.rmsNormEps) }
                    }
                    Ops.rope(r, heads: H, headDim: Dh, position: positions[i], table: rope)
                    Ops.rope(r + H * Dh, heads: Hk, headDim: Dh, position: positions[i], table: rope)
                    (qBase + i * H * Dh).update(from: r, count: H * Dh)
                    (kDst + i * kvDim).update(from: r + H * Dh, count: kvDim)
                    (vDst + i * kvDim).update(from: r + (H + Hk) * Dh, count: kvDim)
                } }
            } }
            if li == layers.count - 1 && rows.count < T {
                let HD = H * Dh
                var qr = [Float](repeating: 0, count: rows.count * HD), xr = [Float](repeating: 0, count: rows.count * D)
                for (r, row) in rows.enumerated() {
                    for j in 0..<HD { qr[r * HD + j] = q[row * HD + j] }
                    for j in 0..<D { xr[r * D + j] = x[row * D + j] }
                }
                q = qr; x = xr; n = rows.count
            }
            q.withUnsafeBufferPointer { qp in att.withUnsafeMutableBufferPointer { ap in
                if let mask {
                    mask.withUnsafeBufferPointer { mp in
                        attend(q: qp.baseAddress!, k: kAll, v: vAll, out: ap.baseAddress!, t: n, s: S, heads: H, kvHeads: Hk, headDim: Dh, keyMask: mp.baseAddress!, pool: pool)
                    }
                } else {
                    attend(q: qp.baseAddress!, k: kAll, v: vAll, out: ap.baseAddress!, t: n, s: S, heads: H, kvHeads: Hk, headDim: Dh, keyMask: nil, pool: pool)
                }
            } }
            att.withUnsafeBufferPointer { ap in x.withUnsafeMutableBufferPointer { xp in
                Matmul.gemm(ap.baseAddress!, m: n, l.o, xp.baseAddress!, accumulate: true, pool: pool, isa: isa)
                if let b = l.oBias { for i in 0..<n { for j in 0..<D { xp[i * D + j] += b[j] } } }
            } }
            x.withUnsafeBufferPointer { xp in h.withUnsafeMutableBufferPointer { hp in l.mlpNorm.withUnsafeBufferPointer { wp in
                rmsNorm(xp.baseAddress!, wp.baseAddress!, hp.baseAddress!, rows: n)
            } } }
            h.withUnsafeBufferPointer { hp in gu.withUnsafeMutableBufferPointer { gp in
                Matmul.gemm(hp.baseAddress!, m: n, l.gateUp, gp.baseAddress!, pool: pool, isa: isa)
            } }
            gu.withUnsafeMutableBufferPointer { gp in act.withUnsafeMutableBufferPointer { ap in
                let gBase = gp.baseAddress!, aBase = ap.baseAddress!
                pool.forEachRange(n, minimumPerLane: 4) { rows in
                    for i in rows {
                        let g = gBase + i * 2 * I
                        Ops.siluMul(g, g + I, I)
                        (aBase + i * I).update(from: g, count: I)
                    }
                }
            } }
            act.withUnsafeBufferPointer { ap in x.withUnsafeMutableBufferPointer { xp in
                Matmul.gemm(ap.baseAddress!, m: n, l.down, xp.baseAddress!, accumulate: true, pool: pool, isa: isa)
            } }
        }
        // Final norm and vocabulary projection for the requested rows only.
        let R = rows.count, V = c.vocabSize
        var hr = [Float](repeating: 0, count: R * D)
        for (r, row) in rows.enumerated() {
            let src = n == T ? row : r                       // x already holds only the requested rows
            for j in 0..<D { hr[r * D + j] = x[src * D + j] }
        }
        hr.withUnsafeMutableBufferPointer { hp in finalNorm.withUnsafeBufferPointer { wp in
            rmsNorm(hp.baseAddress!, wp.baseAddress!, hp.baseAddress!, rows: R)
        } }
        var out = [Float](repeating: 0, count: R * V)
        hr.withUnsafeBufferPointer { hp in out.withUnsafeMutableBufferPointer { op in
            Matmul.gemm(hp.baseAddress!, m: R, lmHead, op.baseAddress!, pool: pool, isa: isa)
        } }
        return Logits(rows: rows.map { $0 + rowOffset }, vocabSize: V, values: out)
    }
}
