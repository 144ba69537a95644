import Foundation

/// The weight layouts the runtime knows; each has one tensor-name table (`WeightNames`).
public enum ModelFamily: String, Sendable {
    /// Qwen2 names with q/k/v bias: Dream, Dream-Coder, DreamOn, DiffuCoder, Open-dCoder.
    case qwen2
    /// Qwen3 names, no bias, q_norm/k_norm over head_dim: CoDA and Unmask's own default model.
    case qwen3
    /// OLMo-style names `model.transformer.blocks.N.*`: LLaDA-8B Base/Instruct/1.5.
    case llada
    /// Llama names (the Qwen2 table): no q/k norm, q/k/v/o biases only with `attention_bias`.
    case llama
}

/// A checkpoint's `config.json`, read by its own key names, plus the per-model facts the denoiser needs.
public struct ModelConfig: Sendable, Equatable {
    public var family: ModelFamily
    public var architecture: String
    public var hiddenSize: Int            // hidden_size | d_model
    public var numLayers: Int             // num_hidden_layers | n_layers
    public var numHeads: Int              // num_attention_heads | n_heads
    public var numKVHeads: Int            // num_key_value_heads | n_kv_heads
    public var headDim: Int               // head_dim | hidden_size / num_heads
    public var intermediateSize: Int      // intermediate_size | mlp_hidden_size
    public var vocabSize: Int             // vocab_size | embedding_size
    public var rmsNormEps: Float
    /// rope_parameters | rope_theta + rope_scaling (`RotaryEmbedding.read`).
    public var rope: RotaryEmbedding
    public var ropeTheta: Double { rope.theta }
    public var maxPositions: Int          // max_position_embeddings | max_sequence_length
    public var tiedEmbeddings: Bool       // tie_word_embeddings | weight_tying
    public var qkvBias: Bool
    /// o_proj has a bias (Qwen3 and Llama `attention_bias`; never Qwen2).
    public var oBias: Bool
    public var qkNorm: Bool
    /// Position i is predicted from the hidden state at i−1 (Dream family, CoDA, Open-dCoder).
    public var shiftedLogits: Bool
    public var maskTokenID: Int32?
    public var padTokenID: Int32?
    public var eosTokenID: Int32?
    public var bosTokenID: Int32?
    /// DreamOn's `<|expand|>` (turns into two masks), when the model has one.
    public var expandTokenID: Int32?

    public static func load(path: String) throws -> ModelConfig {
        guard let d = FileManager.default.contents(atPath: path) else { throw ModelError.configUnreadable(path: path, reason: "file not found") }
        guard let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else {
            throw ModelError.configUnreadable(path: path, reason: "not a JSON object")
        }
        return try ModelConfig(json: o, path: path)
    }

    public init(json o: [String: Any], path: String) throws {
        let archs = (o["architectures"] as? [String]) ?? []
        let modelType = o["model_type"] as? String
        func int(_ keys: String...) throws -> Int {
            for k in keys {
                if let v = o[k] {
                    guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded(), n.intValue > 0, n.doubleValue <= ConfigKeys.maximumSize else {
                        throw ModelError.invalidConfigValue(path: path, key: k, value: "\(v)")
                    }
                    return n.intValue
                }
            }
            throw ModelError.missingConfigKey(path: path, key: keys.joined(separator: " or "))
        }
        /// An optional size: absent or null → nil; present → checked as `int` checks it.
        func optInt(_ k: String) throws -> Int? { o[k] == nil || o[k] is NSNull ? nil : try int(k) }
        func optID(_ k: String) -> Int32? {
            if let n = o[k] as? NSNumber { return Int32(truncatingIfNeeded: n.intValue) }
            if let a = o[k] as? [NSNumber], let f = a.first { return Int32(truncatingIfNeeded: f.intValue) }
            return nil
        }
        func double(_ k: String, _ def: Double) throws -> Double {
            guard let v = o[k] else { return def }
            guard let n = v as? NSNumber, n.doubleValue > 0 else { throw ModelError.invalidConfigValue(path: path, key: k, value: "\(v)") }
            return n.doubleValue
        }
        let a = archs.first ?? ""
        let mt = (modelType ?? "").lowercased()
        if a == "LLaDAModelLM" || mt == "llada" {
            family = .llada
        } else if a.hasPrefix("Llama") || mt == "llama" {
            family = .llama
        } else if a.hasPrefix("Qwen3") || mt == "qwen3" || a == "CoDALanguageModel" || mt == "coda" {
            family = .qwen3
        } else if a.hasPrefix("Qwen2") || mt == "qwen2" || a == "DreamModel" || mt == "dream" {
            family = .qwen2
        } else {
            throw ModelError.unsupportedArchitecture(path: path, architectures: archs, modelType: modelType)
        }
        architecture = a.isEmpty ? (modelType ?? "") : a
        try ConfigKeys.check(o, family: family, path: path)
        switch family {
        case .llada:
            hiddenSize = try int("d_model"); numLayers = try int("n_layers"); numHeads = try int("n_heads")
            numKVHeads = try optInt("n_kv_heads") ?? (o["multi_query_attention"] as? Bool == true ? 1 : numHeads)
            intermediateSize = try int("mlp_hidden_size")
            vocabSize = try int("embedding_size", "vocab_size")
            maxPositions = try int("max_sequence_length")
            tiedEmbeddings = o["weight_tying"] as? Bool ?? false
            qkvBias = o["include_qkv_bias"] as? Bool ?? false
            oBias = false
            qkNorm = false                   // attention_layer_norm (over d_model) is refused by ConfigKeys
            shiftedLogits = o["shift_logits"] as? Bool ?? false
            maskTokenID = optID("mask_token_id") ?? 126336
            rmsNormEps = Float(try double("rms_norm_eps", 1e-5))
            rope = try RotaryEmbedding.read(o, path: path, defaultTheta: 500000, maxPositions: maxPositions)
            headDim = hiddenSize / numHeads
        case .qwen2, .qwen3, .llama:
            hiddenSize = try int("hidden_size"); numLayers = try int("num_hidden_layers"); numHeads = try int("num_attention_heads")
            numKVHeads = try optInt("num_key_value_heads") ?? numHeads
            intermediateSize = try int("intermediate_size")
            vocabSize = try int("vocab_size")
            maxPositions = try optInt("max_position_embeddings") ?? 32768
            let tieDefault = family == .qwen3 && a != "CoDALanguageModel"
            tiedEmbeddings = o["tie_word_embeddings"] as? Bool ?? tieDefault
            // transformers: Qwen2 always has q/k/v biases and none on o_proj; Qwen3 and Llama put
            // `attention_bias` on all four projections.
            qkvBias = family == .qwen2 ? true : (o["attention_bias"] as? Bool ?? false)
            oBias = family == .qwen2 ? false : qkvBias
            qkNorm = family == .qwen3
            shiftedLogits = o["shift_logits"] as? Bool ?? true
            maskTokenID = optID("mask_token_id")
            rmsNormEps = Float(try double("rms_norm_eps", 1e-6))
            rope = try RotaryEmbedding.read(o, path: path, defaultTheta: 10000, maxPositions: maxPositions)
            headDim = try optInt("head_dim") ?? hiddenSize / numHeads
        }
        padTokenID = optID("pad_token_id"); eosTokenID = optID("eos_token_id"); bosTokenID = optID("bos_token_id")
        expandTokenID = optID("expand_token_id")
        if mt == "dream" && expandTokenID == nil && (o["_name_or_path"] as? String ?? "").lowercased().contains("dreamon") { expandTokenID = 151667 }
        guard numKVHeads > 0 else { throw ModelError.invalidConfigValue(path: path, key: "num_key_value_heads", value: "\(numKVHeads) (must be positive)") }
        guard headDim > 0 else { throw ModelError.invalidConfigValue(path: path, key: "head_dim", value: "\(headDim) (must be positive)") }
        guard numHeads % numKVHeads == 0 else {
            throw ModelError.invalidConfigValue(path: path, key: "num_key_value_heads", value: "\(numKVHeads) (must divide \(numHeads) heads)")
        }
        guard headDim % 2 == 0 else { throw ModelError.invalidConfigValue(path: path, key: "head_dim", value: "\(headDim) (RoPE needs an even head_dim)") }
        if let act = (o["hidden_act"] ?? o["activation_type"]) as? String, act != "silu" && act != "swiglu" {
            throw ModelError.invalidConfigValue(path: path, key: "hidden_act", value: "\"\(act)\" (only silu is supported)")
        }
    }

    /// The ids that end a hole (pad and eos): the one place this set is built.
    public var endTokenIDs: Set<Int32> { Set([padTokenID, eosTokenID].compactMap { $0 }) }

    /// Parameters in the weight matrices and embeddings (norms and biases are negligible).
    public var parameterCount: Int {
        // In Double: a config's sizes are only bounded each (`ConfigKeys.maximumSize`), not their products.
        let d = Double(hiddenSize)
        let attn = d * Double(headDim) * Double(2 * numHeads + 2 * numKVHeads)
        let mlp = 3 * d * Double(intermediateSize)
        return Self.count(Double(numLayers) * (attn + mlp) + Double(vocabSize) * d * (tiedEmbeddings ? 1 : 2))
    }

    /// A count computed in Double, saturated into Int.
    static func count(_ x: Double) -> Int { x >= Double(Int.max / 2) ? Int.max / 2 : Int(x) }
}
