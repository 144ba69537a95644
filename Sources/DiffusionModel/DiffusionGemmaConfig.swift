import Foundation

/// A DiffusionGemma checkpoint's `config.json` (`model_type: diffusion_gemma`), read by its own key
/// names: the top level (`canvas_length`, the image token ids, `vision_config`, which is skipped) and
/// `text_config` (transformers/models/diffusion_gemma/configuration_diffusion_gemma.py,
/// `DiffusionGemmaTextConfig`). Global ("full_attention") layers take their head_dim and kv heads from
/// `per_layer_config` (or `global_head_dim` / `num_global_key_value_heads` in configs written before
/// `per_layer_config` was saved). Every key that changes the maths is read or refused by name.
public struct DiffusionGemmaConfig: Sendable, Equatable {
    public enum LayerType: String, Sendable { case sliding = "sliding_attention", full = "full_attention" }

    /// One layer's attention shape: sliding layers have v_proj; full layers reuse the raw keys as values.
    public struct Layer: Sendable, Equatable {
        public var type: LayerType
        public var headDim: Int
        public var kvHeads: Int
        public var rope: RotaryEmbedding
    }

    public var hiddenSize: Int            // hidden_size
    public var intermediateSize: Int      // intermediate_size (the dense MLP and self-conditioning)
    public var numHeads: Int              // num_attention_heads
    public var vocabSize: Int             // vocab_size
    public var rmsNormEps: Float          // rms_norm_eps
    public var slidingWindow: Int         // sliding_window, as saved
    public var finalLogitSoftcapping: Float?   // final_logit_softcapping
    public var numExperts: Int            // num_experts
    public var topKExperts: Int           // top_k_experts
    public var moeIntermediateSize: Int   // moe_intermediate_size
    public var maxPositions: Int          // max_position_embeddings
    public var canvasLength: Int          // canvas_length (top level)
    public var layers: [Layer]            // layer_types + per_layer_config + rope_parameters
    public var padTokenID: Int32?
    public var eosTokenIDs: [Int32]
    public var bosTokenID: Int32?

    public var numLayers: Int { layers.count }

    /// Whether `config.json` at `path` is a DiffusionGemma config (so that the loader picks this type).
    public static func isDiffusionGemma(path: String) -> Bool {
        guard let d = FileManager.default.contents(atPath: path),
              let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else { return false }
        return (o["model_type"] as? String) == "diffusion_gemma"
    }

    public static func load(path: String) throws -> DiffusionGemmaConfig {
        guard let d = FileManager.default.contents(atPath: path) else { throw ModelError.configUnreadable(path: path, reason: "file not found") }
        guard let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else {
            throw ModelError.configUnreadable(path: path, reason: "not a JSON object")
        }
        return try DiffusionGemmaConfig(json: o, path: path)
    }

    /// Top-level keys: bookkeeping, the image tokens (unused for text) and the vision tower's config.
    static let topKeys: Set<String> = ["text_config", "vision_config", "canvas_length", "boi_token_id", "eoi_token_id", "image_token_id",
                                       "tie_word_embeddings", "initializer_range", "pad_token_id", "eos_token_id", "bos_token_id"]
    /// `text_config` keys read below (or, for the dropout and initialiser, without effect at inference).
    static let textKeys: Set<String> = ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                                        "num_key_value_heads", "head_dim", "global_head_dim", "num_global_key_value_heads", "per_layer_config",
                                        "hidden_activation", "max_position_embeddings", "initializer_range", "rms_norm_eps", "pad_token_id",
                                        "eos_token_id", "bos_token_id", "tie_word_embeddings", "rope_parameters", "attention_bias",
                                        "attention_dropout", "sliding_window", "layer_types", "final_logit_softcapping",
                                        "use_bidirectional_attention", "num_experts", "top_k_experts", "moe_intermediate_size",
                                        "attention_k_eq_v", "enable_moe_block", "use_double_wide_mlp", "num_kv_shared_layers",
                                        "hidden_size_per_layer_input", "vocab_size_per_layer_input"]

    public init(json top: [String: Any], path: String) throws {
        guard (top["model_type"] as? String) == "diffusion_gemma" else {
            throw ModelError.unsupportedArchitecture(path: path, architectures: top["architectures"] as? [String] ?? [], modelType: top["model_type"] as? String)
        }
        guard let o = top["text_config"] as? [String: Any] else { throw ModelError.missingConfigKey(path: path, key: "text_config") }
        for k in top.keys.sorted() where !Self.topKeys.contains(k) && !ConfigKeys.bookkeeping.contains(k) && !k.hasPrefix("_") {
            throw ModelError.unknownConfigKey(path: path, key: k, value: "\(top[k]!)")
        }
        for k in o.keys.sorted() where !Self.textKeys.contains(k) && !ConfigKeys.bookkeeping.contains(k) && !k.hasPrefix("_") {
            throw ModelError.unknownConfigKey(path: path, key: "text_config.\(k)", value: "\(o[k]!)")
        }
        func refuse(_ k: String, _ reason: String) -> ModelError { .unimplementedConfig(path: path, key: "text_config.\(k)", value: "\(o[k] ?? "nil")", reason: reason) }
        func int(_ k: String, in d: [String: Any] = o, prefix: String = "text_config.") throws -> Int {
            guard let v = d[k] else { throw ModelError.missingConfigKey(path: path, key: prefix + k) }
            guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded(), n.intValue > 0, n.doubleValue <= ConfigKeys.maximumSize else {
                throw ModelError.invalidConfigValue(path: path, key: prefix + k, value: "\(v)")
            }
            return n.intValue
        }
        func ids(_ k: String) -> [Int32] {
            if let n = o[k] as? NSNumber { return [Int32(truncatingIfNeeded: n.intValue)] }
            return (o[k] as? [NSNumber])?.map { Int32(truncatingIfNeeded: $0.intValue) } ?? []
        }
        hiddenSize = try int("hidden_size"); intermediateSize = try int("intermediate_size"); numHeads = try int("num_attention_heads")
        vocabSize = try int("vocab_size"); slidingWindow = try int("sliding_window")
        numExperts = try int("num_experts"); topKExperts = try int("top_k_experts"); moeIntermediateSize = try int("moe_intermediate_size")
        maxPositions = o["max_position_embeddings"] == nil ? 131_072 : try int("max_position_embeddings")
        canvasLength = (top["canvas_length"] as? NSNumber)?.intValue ?? 256
        rmsNormEps = Float((o["rms_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-6)
        switch o["final_logit_softcapping"] {
        case nil: finalLogitSoftcapping = 30                     // transformers' class default
        case is NSNull: finalLogitSoftcapping = nil
        case let cap as NSNumber where cap.doubleValue > 0 && cap.doubleValue.isFinite: finalLogitSoftcapping = cap.floatValue
        case let v?: throw ModelError.invalidConfigValue(path: path, key: "text_config.final_logit_softcapping", value: "\(v) (a positive number or null)")
        }
        padTokenID = ids("pad_token_id").first; eosTokenIDs = ids("eos_token_id"); bosTokenID = ids("bos_token_id").first
        guard topKExperts <= numExperts else { throw ModelError.invalidConfigValue(path: path, key: "text_config.top_k_experts", value: "\(topKExperts) (more than num_experts \(numExperts))") }
        guard canvasLength > 0 else { throw ModelError.invalidConfigValue(path: path, key: "canvas_length", value: "\(canvasLength)") }

        // The maths this runtime implements; anything else is refused by name.
        if let act = o["hidden_activation"] as? String, act != "gelu_pytorch_tanh" { throw refuse("hidden_activation", "activations other than gelu_pytorch_tanh") }
        if o["attention_bias"] as? Bool == true { throw refuse("attention_bias", "attention projections with biases") }
        if let b = o["use_bidirectional_attention"] as? String, b == "all" { throw refuse("use_bidirectional_attention", "a bidirectional encoder (the encoder is causal)") }
        if o["attention_k_eq_v"] as? Bool == false { throw refuse("attention_k_eq_v", "global layers with their own v_proj") }
        if let n = o["num_kv_shared_layers"] as? NSNumber, n.intValue != 0 { throw refuse("num_kv_shared_layers", "layers sharing another layer's keys and values") }
        if let n = o["hidden_size_per_layer_input"] as? NSNumber, n.intValue != 0 { throw refuse("hidden_size_per_layer_input", "per-layer input embeddings") }
        if o["use_double_wide_mlp"] as? Bool == true { throw refuse("use_double_wide_mlp", "double-width MLPs") }
        if o["enable_moe_block"] as? Bool == false { throw refuse("enable_moe_block", "layers without the mixture-of-experts block") }
        if o["tie_word_embeddings"] as? Bool == false || top["tie_word_embeddings"] as? Bool == false {
            throw ModelError.unimplementedConfig(path: path, key: "tie_word_embeddings", value: "false", reason: "an lm_head separate from the embeddings")
        }

        let n = try int("num_hidden_layers")
        var types: [LayerType]
        if let list = o["layer_types"] {
            guard let names = list as? [String], names.count == n else { throw refuse("layer_types", "a layer_types list that is not one name per layer") }
            types = try names.map { name in
                guard let t = LayerType(rawValue: name) else { throw refuse("layer_types", "\(name) layers (sliding_attention and full_attention only)") }
                return t
            }
        } else {
            types = (0..<n).map { ($0 + 1) % 6 == 0 ? .full : .sliding }     // transformers' default 5:1 pattern
        }
        types[n - 1] = .full                                                 // the reference forces it too
        let headDim = try int("head_dim"), kvHeads = try int("num_key_value_heads")
        // per_layer_config: {"<layer index>": {"head_dim": …, "num_key_value_heads": …}} as saved; older
        // configs: global_head_dim (default 512) and num_global_key_value_heads for the full layers.
        var overrides: [Int: [String: Any]] = [:]
        if let plc = o["per_layer_config"] {
            guard let d = plc as? [String: Any] else { throw refuse("per_layer_config", "a per_layer_config that is not an object") }
            for (k, v) in d {
                guard let i = Int(k), i >= 0, i < n, let e = v as? [String: Any] else { throw refuse("per_layer_config", "the entry '\(k)' (a layer index with an object)") }
                for key in e.keys where key != "head_dim" && key != "num_key_value_heads" {
                    throw ModelError.unimplementedConfig(path: path, key: "text_config.per_layer_config.\(k).\(key)", value: "\(e[key]!)", reason: "a per-layer override Unmask does not know")
                }
                overrides[i] = e
            }
        } else {
            let g = (o["global_head_dim"] as? NSNumber)?.intValue ?? 512
            let gkv = (o["num_global_key_value_heads"] as? NSNumber)?.intValue
            for i in 0..<n where types[i] == .full { overrides[i] = ["head_dim": g, "num_key_value_heads": gkv ?? kvHeads] }
        }
        // rope_parameters: one object per layer type.
        let ropeObject = o["rope_parameters"] as? [String: Any] ?? [
            "sliding_attention": ["rope_type": "default", "rope_theta": 10_000.0],
            "full_attention": ["rope_type": "proportional", "partial_rotary_factor": 0.25, "rope_theta": 1_000_000.0]]
        var ropes: [LayerType: RotaryEmbedding] = [:]
        for t in Set(types) {
            guard let p = ropeObject[t.rawValue] as? [String: Any] else { throw ModelError.missingConfigKey(path: path, key: "text_config.rope_parameters.\(t.rawValue)") }
            ropes[t] = try RotaryEmbedding.parse(p, at: "text_config.rope_parameters.\(t.rawValue)", path: path, defaultTheta: 10_000, maxPositions: maxPositions)
        }
        let heads = numHeads
        layers = try (0..<n).map { i in
            let e = overrides[i] ?? [:]
            let dh = try e["head_dim"] == nil ? headDim : int("head_dim", in: e, prefix: "text_config.per_layer_config.\(i).")
            let kv = try e["num_key_value_heads"] == nil ? kvHeads : int("num_key_value_heads", in: e, prefix: "text_config.per_layer_config.\(i).")
            guard heads % kv == 0 else { throw ModelError.invalidConfigValue(path: path, key: "text_config.num_key_value_heads", value: "\(kv) (must divide \(heads) heads, layer \(i))") }
            guard dh % 2 == 0 else { throw ModelError.invalidConfigValue(path: path, key: "text_config.head_dim", value: "\(dh) (RoPE needs an even head_dim, layer \(i))") }
            return Layer(type: types[i], headDim: dh, kvHeads: kv, rope: ropes[types[i]]!)
        }
    }

    /// Parameters in the weight matrices (the embedding counted once: the lm_head is tied).
    public var parameterCount: Int {
        let d = Double(hiddenSize), e = Double(numExperts)
        let perLayer = layers.map { l in
            d * Double(l.headDim) * Double(2 * numHeads + (l.type == .sliding ? 2 : 1) * l.kvHeads)
                + 3 * d * Double(intermediateSize) + d * e + e * 3 * d * Double(moeIntermediateSize)
        }
        return ModelConfig.count(perLayer.reduce(0, +) + Double(vocabSize) * d + 3 * d * Double(intermediateSize))
    }
}
