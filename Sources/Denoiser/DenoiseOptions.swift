import Foundation

/// Which positions get committed at each step.
public enum Algorithm: String, Sendable, CaseIterable {
    /// Dream `origin`: each masked position is committed with probability 1 − s/t (random order).
    case origin
    /// Dream `maskgit_plus`: confidence = probability of the chosen token.
    case maskgitPlus = "maskgit_plus"
    /// Dream `topk_margin`: confidence = p(top-1) − p(top-2).
    case topkMargin = "topk_margin"
    /// Dream `entropy`: confidence = Σ p·log p (negative entropy).
    case entropy
    /// LLaDA block schedule with `low_confidence` remasking (confidence = p of the chosen token).
    case lowConfidence = "low_confidence"
    /// LLaDA block schedule with `random` remasking.
    case random
    /// Fast-dLLM threshold decoding: the most confident masked position plus every one with p ≥ τ.
    case threshold

    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "-", with: "_") {
        case "origin": self = .origin
        case "maskgit_plus", "maskgit": self = .maskgitPlus
        case "topk_margin", "margin": self = .topkMargin
        case "entropy": self = .entropy
        case "low_confidence", "llada": self = .lowConfidence
        case "random": self = .random
        case "threshold", "confidence_threshold", "fast_dllm": self = .threshold
        default: return nil
        }
    }
}

/// Everything that steers one denoising run. All knobs are plain values; the seed fixes any randomness.
public struct DenoiseOptions: Sendable {
    public var algorithm: Algorithm = .threshold
    /// Forward passes for the Dream/LLaDA schedules; for `threshold`, a budget per block (it stops
    /// earlier when every slot is done, and commits more per step when confidences stay below τ).
    /// With the `trailingRun` end rule, the step that decides a hole's length commits nothing else and
    /// is not counted: a 24-slot hole at `steps` 2 takes 3 forwards.
    public var steps: Int = 32
    /// Fast-dLLM τ.
    public var threshold: Float = 0.9
    /// If set, exactly this many positions are committed per forward (1 = the autoregressive-equivalent
    /// baseline); the length step of the `trailingRun` end rule commits only the end run.
    public var tokensPerStep: Int?
    /// Block length for the LLaDA schedule and for cached decoding (nil: the whole middle is one block).
    public var blockLength: Int?
    public var temperature: Float = 0
    public var topP: Float = 1
    public var topK: Int = 0
    public var eps: Double = 1e-3
    /// Reuse prefix/suffix keys and values between refreshes (DualCache).
    public var useCache = true
    public var seed: UInt64 = 0
    /// When reached between steps, the current draft is returned with masked slots filled by argmax.
    public var deadline: ContinuousClock.Instant?
    /// Ids never produced (mask, expand when over budget, specials); ids ≥ `vocabularyLimit` are never produced.
    public var forbidden: Set<Int32> = []
    /// Slot constraints, by offset in the middle (0 = the first slot): that slot may take only these ids
    /// (token healing gives slot 0 the tokens that continue the prefix's removed last token).
    public var allowedAt: [Int: Set<Int32>] = [:]
    public var vocabularyLimit: Int?
    /// Dream-Coder's pad penalty: subtracted from the end tokens' logits (pad/eos), scaled by the
    /// fraction of the hole still masked, so a hole ends early only when the model is sure.
    public var endPenalty: Float = 0
    /// Threshold decoding: a slot whose token equals a neighbour's committed in the same step waits a
    /// step (parallel commits of a weak model otherwise stutter: "under under Apache").
    public var deferRepeats = false
    /// How a hole's length is decided when the model has end ids (pad/eos) and no `<|expand|>`.
    public var endRule: EndRule = .token
    /// Which end run the length step commits: 0 the most likely, 1 the second most likely (an
    /// alternative suggestion of another length), and so on.
    public var lengthChoice = 0
    /// DreamOn-style expansion budget (extra slots the model may add with `<|expand|>`).
    public var maxExpansions = 32

    public init() {}

    /// The ranges user-facing settings are validated against (the settings table reads them from here).
    public static let thresholdRange: ClosedRange<Double> = 0.01...1
    public static let stepsRange = 1...1024

    /// Options a caller built by hand are checked once, with the same ranges as the settings table.
    func validate() throws {
        guard Self.stepsRange.contains(steps) else {
            throw DenoiserError.invalidOption(name: "steps", value: "\(steps)", hint: "must be in \(Self.stepsRange)")
        }
        if let k = tokensPerStep, k < 1 { throw DenoiserError.invalidOption(name: "tokens-per-step", value: "\(k)", hint: "must be at least 1") }
        if let b = blockLength, b < 1 { throw DenoiserError.invalidOption(name: "block length", value: "\(b)", hint: "must be at least 1") }
        guard threshold >= Float(Self.thresholdRange.lowerBound) && threshold <= Float(Self.thresholdRange.upperBound) else {
            throw DenoiserError.invalidOption(name: "threshold", value: "\(threshold)", hint: "τ must be in \(Self.thresholdRange)")
        }
    }
}

/// How end ids (pad/eos) shorten a hole.
public enum EndRule: String, Sendable, CaseIterable {
    /// As the published samplers do: an end id is a token like any other, committed when its slot's
    /// turn comes; every masked slot after it then becomes the same end id.
    case token
    /// Length first: at the first step, the hole's tail is split at the most likely boundary between content
    /// and end slots (each slot's end probability taken as independent) and the end part is committed
    /// at once; content slots are then drawn from the distribution conditioned on "not an end id".
    /// One step decides the length instead of one step per trailing pad.
    case trailingRun = "run"
}

/// What a run produced.
public struct DenoiseResult: Sendable {
    /// The middle as committed (mask/pad/eos included), for inspection.
    public var rawMiddle: [Int32]
    /// The middle with pad/eos slots removed.
    public var tokens: [Int32]
    /// The tokens of each hole (one entry unless the spec had a template with several holes), end slots removed.
    public var holeTokens: [[Int32]] = []
    public var forwards: Int
    public var steps: Int
    /// Stopped at the deadline; still-masked slots were filled by argmax.
    public var early: Bool
    public var cancelled: Bool
    /// Mean log-probability of the committed tokens (for ranking candidate lengths).
    public var meanLogProb: Double
    public var committedPerStep: [Int]
    /// Per middle slot, the proposal it was committed from (nil for fixed, end-run and unfinished slots).
    public var decisions: [Proposal?] = []
}

public enum DenoiserError: Error, CustomStringConvertible, Equatable {
    case noMaskToken(model: String)
    case invalidOption(name: String, value: String, hint: String)
    case emptyHole
    /// A DiffusionGemma generation_config.json key with a value (or a name) the sampler cannot honour.
    case invalidGenerationConfig(path: String, key: String, value: String)

    public var description: String {
        switch self {
        case let .noMaskToken(m): return "the model \(m) has no mask token (config mask_token_id and tokenizer mask_token are both missing). Hint: masked-diffusion infill needs a model trained with a mask token."
        case let .invalidOption(n, v, h): return "invalid \(n) \(v): \(h)"
        case .emptyHole: return "the hole is empty: nothing to fill. Hint: give --tokens N > 0 or select a non-empty range."
        case let .invalidGenerationConfig(p, k, v): return "\(p): '\(k)' = \(v) is not a setting of the entropy-bound sampler Unmask implements (max_denoising_steps, sampler_config.entropy_bound, t_min, t_max, stability_threshold, confidence_threshold, max_new_tokens). Hint: remove the key or correct its value."
        }
    }
}
