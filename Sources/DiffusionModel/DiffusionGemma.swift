import Foundation
import Kernels
import SafeTensors

/// DiffusionGemma's text model (transformers models/diffusion_gemma/modeling_diffusion_gemma.py is the
/// spec; the pitfalls are listed in ../shared/research/dllm-2026.md §1.4). One backbone runs in two modes:
/// the **encoder** runs the prompt (and later each committed canvas) causally and writes its keys and
/// values into a `GemmaCache`; the **decoder** runs a canvas bidirectionally over [cache ; canvas] with
/// no mask and writes nothing. A layer:
///
///     h = input_ln(x); q = rope(q_norm(Wq h)); k = rope(k_norm(Wk h)); v = n0(sliding ? Wv h : Wk h)
///     x += post_attn_ln(Wo attn(q, k, v))                          attention scale 1
///     x = (x + post_ff_ln(post_ff_ln_1(mlp(pre_ff_ln(x))) + post_ff_ln_2(moe(pre_ff_ln_2(x), route(x))))) · layer_scalar
///
/// with RMSNorm x·rsqrt(mean x² + eps)·w (plain w; `n0` has none), GELU-tanh MLPs, and the router
/// softmax(Wr(n0(x)·scale/√D)) → top-k, renormalised, × per_expert_scale. Decoder input:
/// n0(E[canvas]·√D + SC(softmax(previous logits)·E·√D)) with SC a GELU-tanh MLP after `pre_norm`;
/// output: 30·tanh((norm(x)·Eᵀ)/30) (final_logit_softcapping). Everything is computed in F32 (BF16 or
/// int8 weights are widened, or multiplied on the ISA path `isa` picks).
public final class DiffusionGemma: @unchecked Sendable {
    public let config: DiffusionGemmaConfig
    public let pool: ThreadPool
    public let isa: ISA
    let weights: DiffusionGemmaWeights
    /// cos/sin per layer type (sliding: default RoPE on all dims; full: proportional, partly zero angles).
    let ropes: [DiffusionGemmaConfig.LayerType: RoPETable]
    public var weightBytes: Int { weights.bytes }
    /// Checkpoint tensors the text model does not use (the vision tower), for one log line at load.
    public var skippedTensors: Int { weights.skipped }

    public init(config c: DiffusionGemmaConfig, weights src: WeightSource, pool: ThreadPool = ThreadPool(),
                precision: DiffusionTransformer.WeightPrecision = .stored, isa: ISA = .current) throws {
        config = c; self.pool = pool; self.isa = isa
        weights = try DiffusionGemmaWeights(config: c, source: src, precision: precision, pool: pool, tensorNames: (src as? Checkpoint)?.tensorNames)
        var r: [DiffusionGemmaConfig.LayerType: RoPETable] = [:]
        for l in c.layers where r[l.type] == nil {
            r[l.type] = RoPETable(inverseFrequencies: l.rope.inverseFrequencies(headDim: l.headDim), attentionFactor: Float(l.rope.attentionFactor),
                                  positions: min(c.maxPositions, 32_768))
        }
        ropes = r
    }

    deinit { weights.deallocate() }

    /// Loads a checkpoint folder: config.json, the memory check (before any weight is mapped), the
    /// weights. `log` gets one line about the tensors skipped (the vision tower).
    public static func load(directory: String, precision: DiffusionTransformer.WeightPrecision = .stored, pool: ThreadPool = ThreadPool(),
                            isa: ISA = .current, memoryAvailable: Int? = MemoryEstimate.availableBytes(), log: (String) -> Void = { _ in }) throws -> DiffusionGemma {
        let cfg = try DiffusionGemmaConfig.load(path: (directory as NSString).appendingPathComponent("config.json"))
        let ckpt: Checkpoint
        do { ckpt = try Checkpoint(directory: directory) } catch { throw ModelError.weights("\(error)") }
        let storedBF16 = ckpt.storedDType("model.decoder.embed_tokens.weight") == "BF16"
        try MemoryEstimate(gemma: cfg, precision: precision, storedBF16: storedBF16).check(available: memoryAvailable, model: directory, gemma: cfg, storedBF16: storedBF16)
        let m = try DiffusionGemma(config: cfg, weights: ckpt, pool: pool, precision: precision, isa: isa)
        if m.skippedTensors > 0 { log("\(directory): \(m.skippedTensors) vision-tower tensors skipped (text only)") }
        return m
    }

    public func emptyCache() -> GemmaCache { GemmaCache(config: config) }

    /// The encoder over `tokens` at positions cache.length…: writes every layer's keys and values into
    /// `cache` (causal; sliding layers see their last `sliding_window` positions). Interrupted or failed,
    /// it leaves `cache` as it was.
    public func encode(_ tokens: [Int32], into cache: inout GemmaCache, interrupt: (() -> Bool)? = nil) throws {
        var next = cache
        try encode(tokens, next: &next, interrupt: interrupt)
        cache = next
    }

    private func encode(_ tokens: [Int32], next cache: inout GemmaCache, interrupt: (() -> Bool)?) throws {
        try check(tokens, after: cache.length)
        let T = tokens.count, D = config.hiddenSize
        let x = UnsafeMutablePointer<Float>.allocate(capacity: T * D)        // [T, D] residual stream
        defer { x.deallocate() }
        embed(tokens, into: x)
        let start = cache.length
        let positions = Array(start..<(start + T))
        for (l, w) in weights.layers.enumerated() {
            if interrupt?() == true { throw ModelError.interrupted(layer: l) }
            // Query at position p sees key positions a ≤ p (and p − a < sliding_window on sliding layers);
            // key j of [cached ; new] is at position first + j.
            let first = cache.firstPosition(l), window = config.slidingWindow, sliding = w.shape.type == .sliding
            let visible: (Int) -> Range<Int> = { t in
                let p = start + t
                return (sliding ? max(0, p - window + 1 - first) : 0)..<(p - first + 1)
            }
            _ = try layer(l, x, T, positions: positions, cachedKeys: cache.keys[l], cachedValues: cache.values[l], scalar: w.encoderScalar,
                          visible: visible) { k, v in cache.append(layer: l, keys: k, values: v, count: T) }
        }
        cache.advance(by: T)
    }

    /// One decoder pass over `canvas` (positions cache.length…) attending to [cache ; canvas] with no
    /// mask. `selfConditioning`: the previous step's processed logits [C, V] (nil at the first step: the
    /// signal is zero). Returns the soft-capped logits [C, V], before temperature. `interrupt` is asked
    /// before every layer and before the vocabulary projection (`bench gemma` times the phases by it).
    public func decode(_ canvas: [Int32], cache: GemmaCache, selfConditioning: [Float]? = nil, interrupt: (() -> Bool)? = nil) throws -> [Float] {
        try runDecoder(canvas, cache: cache, selfConditioning: selfConditioning, interrupt: interrupt).logits
    }

    /// `decode`, also returning the experts each canvas position went to in every layer ([layer][position],
    /// descending gate), which tests compare with the reference's router.
    public func decodeWithRoutes(_ canvas: [Int32], cache: GemmaCache, selfConditioning: [Float]? = nil) throws -> (logits: [Float], routes: [[[Int]]]) {
        try runDecoder(canvas, cache: cache, selfConditioning: selfConditioning, interrupt: nil)
    }

    private func runDecoder(_ canvas: [Int32], cache: GemmaCache, selfConditioning: [Float]?, interrupt: (() -> Bool)?) throws -> (logits: [Float], routes: [[[Int]]]) {
        try check(canvas, after: cache.length)
        let C = canvas.count, D = config.hiddenSize, V = config.vocabSize, I = config.intermediateSize
        if let sc = selfConditioning, sc.count != C * V {
            throw ModelError.weights("self-conditioning logits have \(sc.count) values, expected \(C) × \(V)")
        }
        let x = UnsafeMutablePointer<Float>.allocate(capacity: C * D)        // [C, D]
        defer { x.deallocate() }
        embed(canvas, into: x)
        if let sc = selfConditioning {
            // soft = softmax(sc)·E·√D → [C, D]; x += SC(soft) = down(gelu(gate(n)) · up(n)), n = pre_norm(soft).
            let probs = UnsafeMutablePointer<Float>.allocate(capacity: C * V), soft = UnsafeMutablePointer<Float>.allocate(capacity: C * D)
            let gu = UnsafeMutablePointer<Float>.allocate(capacity: C * 2 * I)
            defer { probs.deallocate(); soft.deallocate(); gu.deallocate() }
            sc.withUnsafeBufferPointer { probs.update(from: $0.baseAddress!, count: C * V) }
            pool.forEachRange(C) { rows in for r in rows { Ops.softmax(probs + r * V, V) } }
            Matmul.gemm(probs, m: C, weights.embedT, soft, pool: pool, isa: isa)
            let scale = Float(D).squareRoot()
            for i in 0..<(C * D) { soft[i] *= scale }
            Ops.rmsNorm(soft, weights.scPreNorm, soft, rows: C, d: D, eps: config.rmsNormEps)
            Matmul.gemm(soft, m: C, weights.scGateUp, gu, pool: pool, isa: isa)
            geluGateUp(gu, rows: C, width: I)
            Matmul.gemm(gu, m: C, weights.scDown, x, accumulate: true, pool: pool, isa: isa)
        }
        Ops.rmsNormPlain(x, x, rows: C, d: D, eps: config.rmsNormEps)       // self_conditioning.post_norm (no weight)
        let start = cache.length
        let positions = Array(start..<(start + C))
        var routes: [[[Int]]] = []
        for (l, w) in weights.layers.enumerated() {
            if interrupt?() == true { throw ModelError.interrupted(layer: l) }
            routes.append(try layer(l, x, C, positions: positions, cachedKeys: cache.keys[l], cachedValues: cache.values[l], scalar: w.decoderScalar,
                                    visible: nil, store: { _, _ in }))
        }
        if interrupt?() == true { throw ModelError.interrupted(layer: config.numLayers) }     // before the vocabulary projection
        Ops.rmsNorm(x, weights.finalNorm, x, rows: C, d: D, eps: config.rmsNormEps)
        var logits = [Float](repeating: 0, count: C * V)
        logits.withUnsafeMutableBufferPointer { Matmul.gemm(x, m: C, weights.embed, $0.baseAddress!, pool: pool, isa: isa) }
        if let cap = config.finalLogitSoftcapping {
            logits.withUnsafeMutableBufferPointer { l in
                let base = l.baseAddress!
                pool.forEachRange(C) { rows in Ops.softcap(base + rows.lowerBound * V, rows.count * V, cap: cap) }
            }
        }
        return (logits, routes)
    }

    /// The router on rows x [T, D]: each row's top-k experts (descending weight; ties to the lower index,
    /// as torch.topk) and their weights, renormalised over the k and times per_expert_scale.
    func route(_ w: GemmaLayerWeights, _ x: UnsafePointer<Float>, _ T: Int) -> (experts: [[Int]], weights: [[Float]]) {
        let D = config.hiddenSize, E = config.numExperts, k = config.topKExperts
        let h = UnsafeMutablePointer<Float>.allocate(capacity: T * D), scores = UnsafeMutablePointer<Float>.allocate(capacity: T * E)
        defer { h.deallocate(); scores.deallocate() }
        Ops.rmsNormPlain(x, h, rows: T, d: D, eps: config.rmsNormEps)
        let root = 1 / Float(D).squareRoot()
        for t in 0..<T { for i in 0..<D { h[t * D + i] *= w.routerScale[i] * root } }
        Matmul.gemm(h, m: T, w.router, scores, pool: pool, isa: isa)
        var experts: [[Int]] = [], gates: [[Float]] = []
        for t in 0..<T {
            let row = scores + t * E
            Ops.softmax(row, E)
            let top = (0..<E).sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k)
            let sum = top.reduce(Float(0)) { $0 + row[$1] }
            experts.append(Array(top)); gates.append(top.map { row[$0] / sum * w.perExpertScale[$0] })
        }
        return (experts, gates)
    }

    // MARK: - The layer

    /// Layer l on x [T, D] in place; returns each position's experts. The queries attend to
    /// [cachedKeys ; the T new keys]: `visible(t)` is query t's range of those rows (the encoder's causal
    /// window), nil when every query sees every row (the decoder, computed as GEMMs); `store` receives the
    /// new keys and values ([T, Hk·Dh] each; the encoder keeps them, the decoder does not).
    private func layer(_ l: Int, _ x: UnsafeMutablePointer<Float>, _ T: Int, positions: [Int], cachedKeys: [Float], cachedValues: [Float], scalar: Float,
                       visible: ((Int) -> Range<Int>)?, store: (UnsafePointer<Float>, UnsafePointer<Float>) -> Void) throws -> [[Int]] {
        let w = weights.layers[l]
        let D = config.hiddenSize, H = config.numHeads, Dh = w.shape.headDim, Hk = w.shape.kvHeads, I = config.intermediateSize
        let qkvWidth = w.qkv.rows, kvWidth = Hk * Dh
        let h = UnsafeMutablePointer<Float>.allocate(capacity: T * max(D, qkvWidth, H * Dh, 2 * I))
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: T * qkvWidth)      // [T, (H + Hk + Hk?)·Dh]
        defer { h.deallocate(); qkv.deallocate() }
        Ops.rmsNorm(x, w.inputNorm, h, rows: T, d: D, eps: config.rmsNormEps)
        Matmul.gemm(h, m: T, w.qkv, qkv, pool: pool, isa: isa)
        // Split, normalise per head and rotate: q [T, H, Dh], k/v [S, Hk, Dh] after the cached rows.
        let cached = cachedKeys.count / (Hk * Dh), S = cached + T
        let q = UnsafeMutablePointer<Float>.allocate(capacity: T * H * Dh)
        let k = UnsafeMutablePointer<Float>.allocate(capacity: S * kvWidth), v = UnsafeMutablePointer<Float>.allocate(capacity: S * kvWidth)
        defer { q.deallocate(); k.deallocate(); v.deallocate() }
        cachedKeys.withUnsafeBufferPointer { if cached > 0 { k.update(from: $0.baseAddress!, count: cached * kvWidth) } }
        cachedValues.withUnsafeBufferPointer { if cached > 0 { v.update(from: $0.baseAddress!, count: cached * kvWidth) } }
        let table = ropes[w.shape.type]!
        for t in 0..<T {
            let row = qkv + t * qkvWidth
            let qt = q + t * H * Dh, kt = k + (cached + t) * kvWidth, vt = v + (cached + t) * kvWidth
            qt.update(from: row, count: H * Dh)
            kt.update(from: row + H * Dh, count: kvWidth)
            vt.update(from: row + (w.hasValueProjection ? H * Dh + kvWidth : H * Dh), count: kvWidth)   // full layers: V = raw k_proj
            Ops.rmsNorm(qt, w.qNorm, qt, rows: H, d: Dh, eps: config.rmsNormEps)
            Ops.rmsNorm(kt, w.kNorm, kt, rows: Hk, d: Dh, eps: config.rmsNormEps)
            Ops.rmsNormPlain(vt, vt, rows: Hk, d: Dh, eps: config.rmsNormEps)
            Ops.rope(qt, heads: H, headDim: Dh, position: positions[t], table: table)
            Ops.rope(kt, heads: Hk, headDim: Dh, position: positions[t], table: table)
        }
        store(k + cached * kvWidth, v + cached * kvWidth)
        let attn = UnsafeMutablePointer<Float>.allocate(capacity: T * H * Dh)        // [T, H·Dh]
        defer { attn.deallocate() }
        if let visible {
            attention(q, k, v, attn, T: T, heads: H, kvHeads: Hk, headDim: Dh, visible: visible)
        } else {
            // The decoder: no mask, so attention is two GEMMs per kv head (`Ops.attentionGEMM`, which scales
            // by 1/√Dh; q is pre-multiplied by √Dh for Gemma's scale of 1).
            let root = Float(Dh).squareRoot()
            for i in 0..<(T * H * Dh) { q[i] *= root }
            Ops.attentionGEMM(q: q, k: k, v: v, out: attn, t: T, s: S, heads: H, kvHeads: Hk, headDim: Dh, keyMask: nil, pool: pool)
        }
        Matmul.gemm(attn, m: T, w.o, h, pool: pool, isa: isa)
        Ops.rmsNorm(h, w.postAttentionNorm, h, rows: T, d: D, eps: config.rmsNormEps)
        for i in 0..<(T * D) { x[i] += h[i] }
        // Dense MLP and experts, both from the residual x; their normalised sum is added back.
        let dense = UnsafeMutablePointer<Float>.allocate(capacity: T * D), moe = UnsafeMutablePointer<Float>.allocate(capacity: T * D)
        defer { dense.deallocate(); moe.deallocate() }
        Ops.rmsNorm(x, w.preFeedforwardNorm, h, rows: T, d: D, eps: config.rmsNormEps)
        let gu = UnsafeMutablePointer<Float>.allocate(capacity: T * 2 * I)
        defer { gu.deallocate() }
        Matmul.gemm(h, m: T, w.gateUp, gu, pool: pool, isa: isa)
        geluGateUp(gu, rows: T, width: I)
        Matmul.gemm(gu, m: T, w.down, dense, pool: pool, isa: isa)
        Ops.rmsNorm(dense, w.postFeedforwardNorm1, dense, rows: T, d: D, eps: config.rmsNormEps)
        let (experts, gates) = route(w, x, T)
        Ops.rmsNorm(x, w.preFeedforwardNorm2, h, rows: T, d: D, eps: config.rmsNormEps)
        runExperts(w, input: h, T: T, experts: experts, gates: gates, into: moe)
        Ops.rmsNorm(moe, w.postFeedforwardNorm2, moe, rows: T, d: D, eps: config.rmsNormEps)
        for i in 0..<(T * D) { dense[i] += moe[i] }
        Ops.rmsNorm(dense, w.postFeedforwardNorm, dense, rows: T, d: D, eps: config.rmsNormEps)
        for i in 0..<(T * D) { x[i] = (x[i] + dense[i]) * scalar }
        return experts
    }

    /// out [T, D] = Σ over each position's experts of gate · down(gelu(gate_e) · up_e): each expert runs
    /// one grouped GEMM over the positions routed to it (gathered rows), added back in expert order.
    private func runExperts(_ w: GemmaLayerWeights, input: UnsafePointer<Float>, T: Int, experts: [[Int]], gates: [[Float]],
                            into out: UnsafeMutablePointer<Float>) {
        let D = config.hiddenSize, Ie = config.moeIntermediateSize
        out.initialize(repeating: 0, count: T * D)
        var members = [[(row: Int, gate: Float)]](repeating: [], count: config.numExperts)
        for t in 0..<T { for (j, e) in experts[t].enumerated() { members[e].append((t, gates[t][j])) } }
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: T * D), gu = UnsafeMutablePointer<Float>.allocate(capacity: T * 2 * Ie)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: T * D)
        defer { rows.deallocate(); gu.deallocate(); y.deallocate() }
        for (e, group) in members.enumerated() where !group.isEmpty {
            let n = group.count
            for (i, m) in group.enumerated() { (rows + i * D).update(from: input + m.row * D, count: D) }   // [n, D]
            Matmul.gemm(rows, m: n, w.expertGateUp[e], gu, pool: pool, isa: isa)                          // [n, 2I']
            geluGateUp(gu, rows: n, width: Ie)                                                             // [n, I']
            Matmul.gemm(gu, m: n, w.expertDown[e], y, pool: pool, isa: isa)                                // [n, D]
            for (i, m) in group.enumerated() { Ops.axpy(m.gate, y + i * D, out + m.row * D, D) }
        }
    }

    /// Rows of [gate | up] (width I each, [rows, 2I]) → gelu_tanh(gate) · up packed into [rows, I].
    private func geluGateUp(_ gu: UnsafeMutablePointer<Float>, rows: Int, width I: Int) {
        for r in 0..<rows { Ops.geluTanhMul(gu + r * 2 * I, gu + r * 2 * I + I, gu + r * I, I) }
    }

    /// Attention with scale 1 (Gemma's q/k norms replace 1/√d): out [T, H·Dh] over k, v [S, Hk·Dh];
    /// query t attends to keys `visible(t)`. Work split over (query, head) pairs.
    private func attention(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                           T: Int, heads H: Int, kvHeads Hk: Int, headDim Dh: Int, visible: (Int) -> Range<Int>) {
        let group = H / Hk, kvStride = Hk * Dh
        let ranges = (0..<T).map(visible)
        let longest = ranges.map(\.count).max() ?? 0
        pool.forEachRange(T * H) { jobs in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(longest, 1))
            defer { scores.deallocate() }
            for job in jobs {
                let t = job / H, hd = job % H, kh = hd / group, range = ranges[t]
                let qv = q + (t * H + hd) * Dh, o = out + (t * H + hd) * Dh
                for (i, j) in range.enumerated() { scores[i] = Ops.dot(qv, k + j * kvStride + kh * Dh, Dh) }
                Ops.softmax(scores, range.count)
                o.initialize(repeating: 0, count: Dh)
                for (i, j) in range.enumerated() { Ops.axpy(scores[i], v + j * kvStride + kh * Dh, o, Dh) }
            }
        }
    }

    /// E[tokens]·√D into x [T, D] (the scale in F32; transformers multiplies in the weight dtype).
    private func embed(_ tokens: [Int32], into x: UnsafeMutablePointer<Float>) {
        let D = config.hiddenSize, scale = Float(D).squareRoot()
        for (t, id) in tokens.enumerated() { for i in 0..<D { x[t * D + i] = weights.embed.element(Int(id), i) * scale } }
    }

    private func check(_ tokens: [Int32], after start: Int) throws {
        guard !tokens.isEmpty else { throw ModelError.weights("an empty sequence has nothing to run") }
        for (p, id) in tokens.enumerated() where id < 0 || Int(id) >= config.vocabSize {
            throw ModelError.tokenOutOfRange(position: p, id: id, vocabSize: config.vocabSize)
        }
        if start + tokens.count > ropes.values.first!.positions {
            throw ModelError.sequenceTooLong(length: start + tokens.count, maximum: ropes.values.first!.positions)
        }
    }
}
