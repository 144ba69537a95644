import Foundation

/// RoPE as a checkpoint's `config.json` states it: transformers ≥ 5 writes `rope_parameters`
/// `{rope_theta, rope_type, …}` (or one such object per layer type); older configs have a top-level
/// `rope_theta` and an optional `rope_scaling` `{type | rope_type, factor, …}`. Both read the same way
/// (transformers/modeling_rope_utils.py: `standardize_rope_params` reads the legacy keys,
/// `ROPE_INIT_FUNCTIONS` computes inv_freq and the attention factor). Types implemented: default,
/// linear, dynamic, yarn, llama3, proportional (DiffusionGemma's global layers); longrope and anything
/// else are refused by name.
public struct RotaryEmbedding: Sendable, Equatable {
    public enum Scaling: Sendable, Equatable {
        /// `default`: inv_freq_i = θ^(−2i/d).
        case none
        /// `linear`: inv_freq / factor (`_compute_linear_scaling_rope_parameters`).
        case linear(factor: Double)
        /// `dynamic` (NTK): transformers recomputes θ only for sequences longer than
        /// max_position_embeddings (`dynamic_frequency_update`); no canvas here is that long
        /// (`ModelError.sequenceTooLong`), so within range it is the plain table.
        case dynamic(factor: Double)
        /// `yarn` (`_compute_yarn_parameters`): a ramp between interpolated and extrapolated frequencies,
        /// cos/sin multiplied by the attention factor.
        case yarn(factor: Double, betaFast: Double, betaSlow: Double, originalMaxPositions: Int, truncate: Bool)
        /// `llama3` (`_compute_llama3_parameters`): low frequencies divided by factor, a smooth blend between.
        case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositions: Int)
        /// `proportional` (`_compute_proportional_rope_parameters`): the first ⌊p·d/2⌋ angles are the plain
        /// ones of the full head_dim d, the rest 0 (those dimensions are not rotated), all divided by factor.
        case proportional(partialRotaryFactor: Double, factor: Double)
    }

    public var theta: Double
    public var scaling: Scaling
    /// Multiplies cos and sin (YaRN's mscale; 1 otherwise).
    public var attentionFactor: Double

    public init(theta: Double, scaling: Scaling = .none, attentionFactor: Double = 1) {
        self.theta = theta; self.scaling = scaling; self.attentionFactor = attentionFactor
    }

    /// inv_freq [headDim/2] for this type, in Double then rounded (transformers: float32 throughout;
    /// the difference is within the golden tolerance).
    public func inverseFrequencies(headDim d: Int) -> [Float] {
        let half = d / 2
        let plain = (0..<half).map { i in 1.0 / pow(theta, Double(2 * i) / Double(d)) }
        switch scaling {
        case .none, .dynamic:
            return plain.map(Float.init)
        case let .linear(factor):
            return plain.map { Float($0 / factor) }
        case let .proportional(p, factor):
            let angles = Int((p * Double(d) / 2).rounded(.down))
            return (0..<half).map { i in i < angles ? Float(plain[i] / factor) : 0 }
        case let .yarn(factor, betaFast, betaSlow, original, truncate):
            // Dimension where a frequency makes `rotations` turns over the original context.
            func correctionDim(_ rotations: Double) -> Double {
                Double(d) * log(Double(original) / (rotations * 2 * Double.pi)) / (2 * log(theta))
            }
            var low = correctionDim(betaFast), high = correctionDim(betaSlow)
            if truncate { low = low.rounded(.down); high = high.rounded(.up) }
            low = max(low, 0); high = min(high, Double(d - 1))
            if low == high { high += 0.001 }
            return (0..<half).map { i in
                let ramp = min(max((Double(i) - low) / (high - low), 0), 1)
                let extrapolation = 1 - ramp
                return Float(plain[i] / factor * (1 - extrapolation) + plain[i] * extrapolation)
            }
        case let .llama3(factor, lowFreq, highFreq, original):
            let lowWavelength = Double(original) / lowFreq, highWavelength = Double(original) / highFreq
            return plain.map { f in
                let wavelength = 2 * Double.pi / f
                if wavelength < highWavelength { return Float(f) }
                if wavelength > lowWavelength { return Float(f / factor) }
                let smooth = (Double(original) / wavelength - lowFreq) / (highFreq - lowFreq)
                return Float((1 - smooth) * f / factor + smooth * f)
            }
        }
    }

    /// Keys a RoPE parameter object may hold; any other key is refused (it would change the maths).
    static let parameterKeys: Set<String> = ["rope_theta", "rope_type", "type", "factor", "attention_factor", "beta_fast", "beta_slow",
                                             "mscale", "mscale_all_dim", "original_max_position_embeddings", "truncate",
                                             "low_freq_factor", "high_freq_factor", "partial_rotary_factor"]

    /// Reads RoPE from the config object `o` (see the type's comment). `defaultTheta` is the family's
    /// (transformers' `default_theta`); `maxPositions` is max_position_embeddings (YaRN's factor default).
    static func read(_ o: [String: Any], path: String, defaultTheta: Double, maxPositions: Int) throws -> RotaryEmbedding {
        var params: [String: Any]
        var where_ = "rope_parameters"
        if let rp = o["rope_parameters"], !(rp is NSNull) {
            guard let d = rp as? [String: Any] else { throw ModelError.invalidConfigValue(path: path, key: "rope_parameters", value: "\(rp) (an object)") }
            if d["rope_type"] == nil && d["rope_theta"] == nil, let full = d["full_attention"] as? [String: Any] {
                // One object per layer type; every layer is full attention (ConfigKeys refuses the others).
                params = full; where_ = "rope_parameters.full_attention"
            } else {
                params = d
            }
        } else {
            params = [:]
            if let rs = o["rope_scaling"], !(rs is NSNull) {
                guard let d = rs as? [String: Any] else { throw ModelError.invalidConfigValue(path: path, key: "rope_scaling", value: "\(rs) (an object)") }
                params = d; where_ = "rope_scaling"
            }
            if let t = o["rope_theta"] { params["rope_theta"] = t }
        }
        return try parse(params, at: where_, path: path, defaultTheta: defaultTheta, maxPositions: maxPositions)
    }

    /// One RoPE parameter object (`where_` names it in errors: `rope_parameters.full_attention`, …).
    static func parse(_ params: [String: Any], at where_: String, path: String, defaultTheta: Double, maxPositions: Int) throws -> RotaryEmbedding {
        for k in params.keys.sorted() where !parameterKeys.contains(k) {
            throw ModelError.unimplementedConfig(path: path, key: "\(where_).\(k)", value: "\(params[k]!)", reason: "a RoPE parameter Unmask does not know")
        }
        func number(_ k: String) throws -> Double? {
            guard let v = params[k], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber, n.doubleValue.isFinite, n.doubleValue > 0 else {
                throw ModelError.invalidConfigValue(path: path, key: "\(where_).\(k)", value: "\(v) (a positive number)")
            }
            return n.doubleValue
        }
        /// A parameter the RoPE type `type` cannot do without (transformers raises KeyError on it too).
        func required(_ k: String, for type: String) throws -> Double {
            guard let v = try number(k) else { throw ModelError.missingConfigKey(path: path, key: "\(where_).\(k)") }
            return v
        }
        let theta = try number("rope_theta") ?? defaultTheta
        let type = (params["rope_type"] ?? params["type"]).map { "\($0)" } ?? "default"
        if type != "proportional", let p = try number("partial_rotary_factor"), p != 1 {
            throw ModelError.unimplementedConfig(path: path, key: "\(where_).partial_rotary_factor", value: "\(p)", reason: "partial rotary embeddings")
        }
        switch type {
        case "proportional":
            return RotaryEmbedding(theta: theta, scaling: .proportional(partialRotaryFactor: try number("partial_rotary_factor") ?? 1, factor: try number("factor") ?? 1))
        case "default":
            return RotaryEmbedding(theta: theta)
        case "linear":
            return RotaryEmbedding(theta: theta, scaling: .linear(factor: try required("factor", for: type)))
        case "dynamic":
            return RotaryEmbedding(theta: theta, scaling: .dynamic(factor: try required("factor", for: type)))
        case "llama3":
            return RotaryEmbedding(theta: theta, scaling: .llama3(
                factor: try required("factor", for: type), lowFreqFactor: try required("low_freq_factor", for: type),
                highFreqFactor: try required("high_freq_factor", for: type),
                originalMaxPositions: Int(try required("original_max_position_embeddings", for: type))))
        case "yarn":
            let original = Int(try required("original_max_position_embeddings", for: type))
            let factor = try number("factor") ?? Double(maxPositions) / Double(original)
            // get_mscale(scale, m) = 0.1·m·ln(scale) + 1 for scale > 1.
            func mscale(_ m: Double) -> Double { factor <= 1 ? 1 : 0.1 * m * log(factor) + 1 }
            var attention = try number("attention_factor")
            if attention == nil {
                if let m = try number("mscale"), let all = try number("mscale_all_dim") { attention = mscale(m) / mscale(all) } else { attention = mscale(1) }
            }
            let truncate = params["truncate"] as? Bool ?? true
            return RotaryEmbedding(theta: theta, scaling: .yarn(factor: factor, betaFast: try number("beta_fast") ?? 32, betaSlow: try number("beta_slow") ?? 1,
                                                                originalMaxPositions: original, truncate: truncate),
                                   attentionFactor: attention!)
        default:
            throw ModelError.unimplementedConfig(path: path, key: "\(where_).rope_type", value: "\"\(type)\"",
                                                 reason: "RoPE type \(type) (implemented: default, linear, dynamic, yarn, llama3, proportional)")
        }
    }
}
