import Foundation

/// DiffusionGemma's sampler settings as its `generation_config.json` states them
/// (transformers generation_diffusion_gemma.py, `DiffusionGemmaGenerationConfig`); a null or absent
/// key takes transformers' default (`_get_default_generation_params`).
public struct EntropyBoundSettings: Sendable, Equatable {
    /// Denoising steps per canvas at most (`max_denoising_steps`, 48).
    public var maxDenoisingSteps = 48
    /// `sampler_config.entropy_bound` (0.1): positions are accepted, lowest entropy first, while the
    /// entropy summed over those before stays within it.
    public var entropyBound: Float = 0.1
    /// The linear temperature schedule: t_min + (t_max − t_min)·s/N at remaining step s (0.4, 0.8).
    public var tMin: Float = 0.4
    public var tMax: Float = 0.8
    /// Stop a canvas when its argmax equals the last `stability_threshold` ones (1) and the mean
    /// entropy is below `confidence_threshold` (0.005).
    public var stabilityThreshold = 1
    public var confidenceThreshold: Float = 0.005
    public var maxNewTokens = 256
    /// generation_config's eos / pad ids (nil: the model config's).
    public var eosTokenIDs: [Int32]?
    public var padTokenID: Int32?

    public init() {}

    /// Keys that do not change what is generated.
    static let bookkeeping: Set<String> = ["transformers_version", "return_dict_in_generate", "cache_implementation", "cache_config",
                                           "disable_compile", "bos_token_id", "_from_model_config", "_commit_hash", "max_length"]

    /// Reads `generation_config.json` at `path`; a missing file gives the defaults. An unknown key or
    /// another sampler class is refused by name (it would change the generation).
    public static func load(path: String) throws -> EntropyBoundSettings {
        var s = EntropyBoundSettings()
        guard let d = FileManager.default.contents(atPath: path) else { return s }
        guard let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else { throw DenoiserError.invalidGenerationConfig(path: path, key: "", value: "not a JSON object") }
        func bad(_ k: String) -> DenoiserError { .invalidGenerationConfig(path: path, key: k, value: "\(o[k] ?? "nil")") }
        func number(_ k: String) throws -> Double? {
            guard let v = o[k], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber, n.doubleValue.isFinite, n.doubleValue >= 0 else { throw bad(k) }
            return n.doubleValue
        }
        func ids(_ k: String) -> [Int32]? {
            if let n = o[k] as? NSNumber { return [Int32(truncatingIfNeeded: n.intValue)] }
            return (o[k] as? [NSNumber])?.map { Int32(truncatingIfNeeded: $0.intValue) }
        }
        for k in o.keys.sorted() {
            switch k {
            case "max_denoising_steps": if let v = try number(k) { guard v >= 1 else { throw bad(k) }; s.maxDenoisingSteps = Int(v) }
            case "t_min": if let v = try number(k) { s.tMin = Float(v) }
            case "t_max": if let v = try number(k) { s.tMax = Float(v) }
            case "stability_threshold": if let v = try number(k) { s.stabilityThreshold = Int(v) }
            case "confidence_threshold": if let v = try number(k) { s.confidenceThreshold = Float(v) }
            case "max_new_tokens": if let v = try number(k) { guard v >= 1 else { throw bad(k) }; s.maxNewTokens = Int(v) }
            case "eos_token_id": s.eosTokenIDs = ids(k)
            case "pad_token_id": s.padTokenID = ids(k)?.first
            case "sampler_config":
                guard let c = o[k], !(c is NSNull) else { continue }
                guard let sc = c as? [String: Any] else { throw bad(k) }
                if let cls = sc["_cls_name"] as? String, cls != "EntropyBoundSamplerConfig" {
                    throw DenoiserError.invalidGenerationConfig(path: path, key: "sampler_config._cls_name", value: cls)
                }
                guard let b = sc["entropy_bound"] as? NSNumber, b.doubleValue > 0 else {
                    throw DenoiserError.invalidGenerationConfig(path: path, key: "sampler_config.entropy_bound", value: "\(sc["entropy_bound"] ?? "nil")")
                }
                s.entropyBound = b.floatValue
            default:
                if !bookkeeping.contains(k) { throw bad(k) }
            }
        }
        guard s.tMin > 0, s.tMax >= s.tMin else { throw DenoiserError.invalidGenerationConfig(path: path, key: "t_min/t_max", value: "\(s.tMin)/\(s.tMax)") }
        return s
    }
}
