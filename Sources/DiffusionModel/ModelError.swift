/// Every way a model folder can be unusable; each names the file, tensor or key and the values.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case configUnreadable(path: String, reason: String)
    case unsupportedArchitecture(path: String, architectures: [String], modelType: String?)
    case missingConfigKey(path: String, key: String)
    case invalidConfigValue(path: String, key: String, value: String)
    /// A key this family's config does not have in any checkpoint Unmask knows.
    case unknownConfigKey(path: String, key: String, value: String)
    /// A key whose value needs maths the runtime does not implement (`reason` says which).
    case unimplementedConfig(path: String, key: String, value: String, reason: String)
    case missingTensor(directory: String, tensor: String)
    case wrongShape(tensor: String, expected: [Int], actual: [Int])
    case weights(String)
    case vocabularyMismatch(configVocab: Int, tokenizerVocab: Int, hint: String)
    case sequenceTooLong(length: Int, maximum: Int)
    case tokenOutOfRange(position: Int, id: Int32, vocabSize: Int)
    case rowOutOfRange(row: Int, valid: Range<Int>)
    /// Loading would need more memory than the system has free (`MemoryEstimate`).
    case notEnoughMemory(model: String, needed: Int, available: Int, precision: String, int8Needed: Int?)
    /// The caller's interrupt (a deadline or a cancellation) stopped the forward before `layer`.
    case interrupted(layer: Int)

    public var description: String {
        switch self {
        case let .configUnreadable(p, r): return "cannot read \(p): \(r). Hint: a model folder holds config.json, model.safetensors (or an index) and the tokenizer files."
        case let .unsupportedArchitecture(p, a, t): return "\(p): unsupported architecture \(a) (model_type \(t ?? "nil")). Supported: Dream/DreamOn/Dream-Coder/DiffuCoder and Open-dCoder (Qwen2 layout), CoDA and Qwen3-layout models, Llama-layout models, LLaDA, DiffusionGemma (model_type diffusion_gemma)."
        case let .missingConfigKey(p, k): return "\(p): missing key '\(k)'. Hint: this config.json is incomplete; compare it with the checkpoint's published config.json."
        case let .invalidConfigValue(p, k, v): return "\(p): key '\(k)' has invalid value \(v). Hint: compare config.json with the checkpoint's published one; a hand edit or a broken download gives values like this."
        case let .unknownConfigKey(p, k, v): return "\(p): unknown key '\(k)' (value \(v)). Unmask refuses keys it does not know, since a key it ignored could change the model's maths. Hint: if the key is bookkeeping (training, logging), delete it from config.json; otherwise this checkpoint needs support Unmask lacks."
        case let .unimplementedConfig(p, k, v, r): return "\(p): key '\(k)' = \(v) needs \(r), which Unmask does not implement; loading it anyway would give wrong answers. Hint: use a checkpoint without it, or a remote engine (backend: openai) that runs this model."
        case let .missingTensor(d, t): return "\(d): tensor '\(t)' is missing from the checkpoint. Hint: the weights do not belong to this config, or a shard is missing."
        case let .wrongShape(t, e, a): return "tensor '\(t)' has shape \(a), expected \(e) from config.json."
        case let .weights(s): return s
        case let .vocabularyMismatch(c, t, h): return "the tokenizer has \(t) tokens but config.json's vocab_size is \(c). \(h)"
        case let .sequenceTooLong(l, m): return "a canvas of \(l) tokens exceeds the model's \(m) positions. Hint: lower contextTokens or maxTokens."
        case let .tokenOutOfRange(p, id, v): return "token id \(id) at position \(p) is outside the embedding table (\(v) rows)."
        case let .rowOutOfRange(r, v): return "logit row \(r) is not a position of this forward (\(v.lowerBound)..<\(v.upperBound))."
        case let .notEnoughMemory(m, n, a, p, i):
            let gb = { (b: Int) in String(format: "%.1f GB", Double(b) / 1e9) }
            let int8 = i.map { "weights: int8 (about \(gb($0)))" + ($0 <= a ? "" : ", which does not fit either") + ", " } ?? ""
            return "\(m) needs about \(gb(n)) of memory with weights: \(p), but \(gb(a)) is available; loading it would swap. Hint: \(int8)a smaller model, closing other programs, or a remote engine (backend: openai)."
        case let .interrupted(l): return "the forward was interrupted before layer \(l) (a deadline or a cancellation)."
        }
    }
}
