import Foundation
import Kernels

/// One DiffusionGemma layer's weights, shared by the encoder and the decoder (they differ only in
/// `layer_scalar`). Tensor names: `model.decoder.layers.N.*` and
/// `model.encoder.language_model.layers.N.layer_scalar` (transformers modeling_diffusion_gemma.py,
/// `DiffusionGemmaDecoderTextLayer`; the encoder layers are the same modules).
struct GemmaLayerWeights {
    let shape: DiffusionGemmaConfig.Layer
    let inputNorm: [Float]               // [D] input_layernorm
    let qkv: PackedMatrix                // [(H + Hk + Hk?)·Dh, D]: q_proj, k_proj, then v_proj (sliding layers only)
    let qNorm: [Float]                   // [Dh]
    let kNorm: [Float]                   // [Dh]
    let o: PackedMatrix                  // [D, H·Dh]
    let postAttentionNorm: [Float]       // [D]
    let preFeedforwardNorm: [Float]      // [D] before the dense MLP
    let gateUp: PackedMatrix             // [2I, D]: mlp.gate_proj, then mlp.up_proj
    let down: PackedMatrix               // [D, I]
    let postFeedforwardNorm1: [Float]    // [D] after the dense MLP
    let router: PackedMatrix             // [E, D] router.proj (always F32: expert choices must match)
    let routerScale: [Float]             // [D] router.scale
    let perExpertScale: [Float]          // [E] router.per_expert_scale
    let preFeedforwardNorm2: [Float]     // [D] before the experts
    let expertGateUp: [PackedMatrix]     // E × [2I', D]: experts.gate_up_proj[e] (gate rows first)
    let expertDown: [PackedMatrix]       // E × [D, I']: experts.down_proj[e]
    let postFeedforwardNorm2: [Float]    // [D] after the experts
    let postFeedforwardNorm: [Float]     // [D] after their sum
    let encoderScalar: Float             // model.encoder.language_model.layers.N.layer_scalar
    let decoderScalar: Float             // model.decoder.layers.N.layer_scalar

    var hasValueProjection: Bool { shape.type == .sliding }
}

/// All of a checkpoint's text weights, packed once.
struct DiffusionGemmaWeights {
    let embed: PackedMatrix              // [V, D] embed_tokens (also the lm_head: tied)
    let embedT: PackedMatrix             // [D, V] its transpose: self-conditioning's softmax(logits) · E
    let layers: [GemmaLayerWeights]
    let finalNorm: [Float]               // [D] model.decoder.norm
    let scPreNorm: [Float]               // [D] self_conditioning.pre_norm
    let scGateUp: PackedMatrix           // [2I, D] self_conditioning.gate_proj, up_proj
    let scDown: PackedMatrix             // [D, I]
    let bytes: Int
    /// Tensors in the checkpoint that the text model does not use (the vision tower).
    let skipped: Int

    func deallocate() {
        var all = [embed, embedT, scGateUp, scDown]
        for l in layers { all += [l.qkv, l.o, l.gateUp, l.down, l.router] + l.expertGateUp + l.expertDown }
        all.forEach { $0.deallocate() }
    }

    init(config c: DiffusionGemmaConfig, source src: WeightSource, precision: DiffusionTransformer.WeightPrecision, pool: ThreadPool,
         tensorNames: [String]?) throws {
        let D = c.hiddenSize, H = c.numHeads, I = c.intermediateSize, E = c.numExperts, Ie = c.moeIntermediateSize, V = c.vocabSize
        var bytes = 0
        var used: Set<String> = []
        var packed: [PackedMatrix] = []
        func format(_ n: String, forceF32: Bool = false) -> PackedMatrix.Format {
            if forceF32 { return .f32 }
            switch precision {
            case .int8: return .int8
            case .stored: return src.storedDType(n) == "BF16" ? .bf16 : .f32
            case .f32: return .f32
            }
        }
        /// [rows, cols] parts stacked into one matrix; `slice` picks part e of a 3-D [E, rows, cols] tensor.
        func pack(_ parts: [(name: String, rows: Int, slice: (index: Int, of: Int)?)], cols: Int, forceF32: Bool = false) throws -> PackedMatrix {
            for part in parts { try src.expect(part.name, shape: part.slice.map { [$0.of, part.rows, cols] } ?? [part.rows, cols]) }
            let rows = parts.reduce(0) { $0 + $1.rows }
            let p = PackedMatrix(rows: rows, cols: cols, format: format(parts[0].name, forceF32: forceF32))
            packed.append(p)
            var offset = 0
            for part in parts {
                used.insert(part.name)
                let shape = part.slice.map { [$0.of, part.rows, cols] } ?? [part.rows, cols]
                let base = (part.slice?.index ?? 0) * part.rows * cols
                let copied: Void? = p.format == .bf16
                    ? try src.withBF16Bits(part.name, shape: shape) { bits in p.setRowsBF16(offset, count: part.rows, bits: bits + 2 * base, pool: pool) } : nil
                if copied == nil {
                    try src.withReader(part.name, shape: shape) { read in p.setRows(offset, count: part.rows) { i, j in read(base + i * cols + j) } }
                }
                offset += part.rows
            }
            bytes += p.byteCount
            return p
        }
        func vector(_ n: String, _ count: Int) throws -> [Float] { used.insert(n); return try src.floats(n, shape: [count]) }
        do {
            let d = "model.decoder."
            embed = try pack([(d + "embed_tokens.weight", V, nil)], cols: D)
            // Eᵀ, packed from the same tensor read column-wise (its shape checked by the pack above).
            let t = PackedMatrix(rows: D, cols: V, format: format(d + "embed_tokens.weight"))
            packed.append(t)
            try src.withReader(d + "embed_tokens.weight", shape: [V, D]) { read in t.setRows(0, count: D) { i, j in read(j * D + i) } }
            bytes += t.byteCount
            embedT = t
            var ls: [GemmaLayerWeights] = []
            for (i, shape) in c.layers.enumerated() {
                let n = { (s: String) in d + "layers.\(i)." + s }
                let Dh = shape.headDim, Hk = shape.kvHeads
                var qkvParts: [(name: String, rows: Int, slice: (index: Int, of: Int)?)] = [(n("self_attn.q_proj.weight"), H * Dh, nil), (n("self_attn.k_proj.weight"), Hk * Dh, nil)]
                if shape.type == .sliding { qkvParts.append((n("self_attn.v_proj.weight"), Hk * Dh, nil)) }
                ls.append(GemmaLayerWeights(
                    shape: shape,
                    inputNorm: try vector(n("input_layernorm.weight"), D),
                    qkv: try pack(qkvParts, cols: D),
                    qNorm: try vector(n("self_attn.q_norm.weight"), Dh),
                    kNorm: try vector(n("self_attn.k_norm.weight"), Dh),
                    o: try pack([(n("self_attn.o_proj.weight"), D, nil)], cols: H * Dh),
                    postAttentionNorm: try vector(n("post_attention_layernorm.weight"), D),
                    preFeedforwardNorm: try vector(n("pre_feedforward_layernorm.weight"), D),
                    gateUp: try pack([(n("mlp.gate_proj.weight"), I, nil), (n("mlp.up_proj.weight"), I, nil)], cols: D),
                    down: try pack([(n("mlp.down_proj.weight"), D, nil)], cols: I),
                    postFeedforwardNorm1: try vector(n("post_feedforward_layernorm_1.weight"), D),
                    router: try pack([(n("router.proj.weight"), E, nil)], cols: D, forceF32: true),
                    routerScale: try vector(n("router.scale"), D),
                    perExpertScale: try vector(n("router.per_expert_scale"), E),
                    preFeedforwardNorm2: try vector(n("pre_feedforward_layernorm_2.weight"), D),
                    expertGateUp: try (0..<E).map { e in try pack([(n("experts.gate_up_proj"), 2 * Ie, (e, E))], cols: D) },
                    expertDown: try (0..<E).map { e in try pack([(n("experts.down_proj"), D, (e, E))], cols: Ie) },
                    postFeedforwardNorm2: try vector(n("post_feedforward_layernorm_2.weight"), D),
                    postFeedforwardNorm: try vector(n("post_feedforward_layernorm.weight"), D),
                    encoderScalar: try vector("model.encoder.language_model.layers.\(i).layer_scalar", 1)[0],
                    decoderScalar: try vector(n("layer_scalar"), 1)[0]))
            }
            layers = ls
            finalNorm = try vector(d + "norm.weight", D)
            scPreNorm = try vector(d + "self_conditioning.pre_norm.weight", D)
            scGateUp = try pack([(d + "self_conditioning.gate_proj.weight", I, nil), (d + "self_conditioning.up_proj.weight", I, nil)], cols: D)
            scDown = try pack([(d + "self_conditioning.down_proj.weight", D, nil)], cols: I)
        } catch {
            packed.forEach { $0.deallocate() }
            throw error
        }
        self.bytes = bytes
        if let names = tensorNames {
            let unused = names.filter { !used.contains($0) }
            // Only the vision tower (and its projection into the text model) may go unused.
            if let other = unused.first(where: { !$0.hasPrefix("model.encoder.vision_tower.") && !$0.hasPrefix("model.encoder.embed_vision.") }) {
                packed.forEach { $0.deallocate() }
                throw ModelError.weights("tensor '\(other)' is not part of the DiffusionGemma text model Unmask implements; loading without it could give wrong answers. Hint: this checkpoint has a layout Unmask does not know.")
            }
            skipped = unused.count
        } else { skipped = 0 }
    }
}
