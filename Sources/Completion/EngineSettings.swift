import Foundation
import Denoiser
import DiffusionModel

/// Every knob of the engine, with defaults tuned for this machine. Read from the editor's
/// `initializationOptions` / `workspace/didChangeConfiguration` under `unmask`.
public struct EngineSettings: Sendable, Equatable {
    public var model: String?
    /// In-memory weight format: `stored` (BF16 stays BF16), `f32`, or `int8` (per-row quantised at load).
    public var weights: DiffusionTransformer.WeightPrecision = .stored
    /// Forward-pass budget per hole. nil: automatic — for `threshold`, one step per 12 slots (at least 2),
    /// which on the embedded model costs no measurable quality against one token per step
    /// (README, "Decoding"); 16 for the Dream/LLaDA schedules.
    public var steps: Int?
    public var threshold: Float = 0.9
    public var algorithm: Algorithm = .threshold
    public var temperature: Float = 0
    /// Largest hole, in tokens.
    public var maxTokens = 48
    public var deadlineMs = 300
    /// Prefix + suffix token budget (capped by the model's own window).
    public var contextTokens = 1024
    public var debounceMs = 0
    public var useCache = true
    public var enableInline = true
    public var enableActions = true
    public var enableFrames = true
    public var seed: UInt64 = 0
    /// Logit penalty on pad/end tokens early in decoding (Dream-Coder's pad penalty, whose default is 3).
    /// With the `run` end rule it acts as a prior towards longer fills; on the embedded model 0 measured
    /// best (held-out single-line exact 3.5 % at 0, 2 % at 1).
    public var endPenalty: Float = 0
    /// How a hole's length is chosen (see `EndRule`): `run` decides the end run in one step.
    public var endRule: EndRule = .trailingRun
    /// See `DenoiseOptions.deferRepeats`.
    public var deferRepeats = true
    /// Token healing: when a hole starts inside a word, the prefix's tokens that spell the word's start
    /// (up to four, as many as some token still begins with) are moved into the hole and the first slot
    /// may only take tokens that begin with them, so the model is not forced to continue from a token
    /// boundary the tokenizer would never produce ("requ|" → " require", not "requ" + "ire").
    public var tokenHealing = true
    /// Limits that refuse rather than slow down.
    public var maxDocumentBytes = 64 << 20
    public var maxOpenDocuments = 500

    public init() {}

    public static let knownKeys: Set<String> = ["model", "weights", "steps", "threshold", "algorithm", "temperature", "maxTokens", "deadlineMs",
                                                "contextTokens", "debounceMs", "useCache", "enable", "seed", "endPenalty", "endRule", "deferRepeats", "tokenHealing", "maxDocumentBytes", "maxOpenDocuments"]

    /// Applies one setting; returns a message when the key is unknown or the value ill-typed (nothing is changed then).
    public mutating func apply(_ key: String, _ value: Any) -> String? {
        func int(_ lo: Int, _ hi: Int) -> Int? {
            if let i = value as? Int, i >= lo, i <= hi { return i }
            if let d = value as? Double, d == d.rounded(), d >= Double(lo), d <= Double(hi) { return Int(d) }
            return nil
        }
        func float(_ lo: Float, _ hi: Float) -> Float? {
            let d = (value as? Double) ?? (value as? Int).map(Double.init)
            guard let d, Float(d) >= lo, Float(d) <= hi else { return nil }
            return Float(d)
        }
        func bad(_ expect: String) -> String { "unmask.\(key): expected \(expect), got \(value)" }
        switch key {
        case "model":
            guard let s = value as? String else { return bad("a folder path") }
            model = s.isEmpty ? nil : s
        case "weights":
            guard let t = value as? String, let w = DiffusionTransformer.WeightPrecision(rawValue: t) else {
                return bad("one of \(DiffusionTransformer.WeightPrecision.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            weights = w
        case "steps":
            if let t = value as? String, t == "auto" { steps = nil; return nil }
            guard let v = int(1, 1024) else { return bad("an integer 1...1024 or \"auto\"") }; steps = v
        case "threshold": guard let v = float(0.01, 1) else { return bad("a number in (0, 1]") }; threshold = v
        case "algorithm":
            guard let s = value as? String, let a = Algorithm(name: s) else { return bad("one of \(Algorithm.allCases.map(\.rawValue).joined(separator: ", "))") }
            algorithm = a
        case "temperature": guard let v = float(0, 5) else { return bad("a number 0...5") }; temperature = v
        case "endPenalty": guard let v = float(0, 50) else { return bad("a number 0...50") }; endPenalty = v
        case "endRule":
            guard let s = value as? String, let r = EndRule(rawValue: s) else { return bad("one of \(EndRule.allCases.map(\.rawValue).joined(separator: ", "))") }
            endRule = r
        case "maxTokens": guard let v = int(1, 512) else { return bad("an integer 1...512") }; maxTokens = v
        case "deadlineMs": guard let v = int(10, 600_000) else { return bad("an integer 10...600000") }; deadlineMs = v
        case "contextTokens": guard let v = int(16, 32768) else { return bad("an integer 16...32768") }; contextTokens = v
        case "debounceMs": guard let v = int(0, 5000) else { return bad("an integer 0...5000") }; debounceMs = v
        case "useCache": guard let b = value as? Bool else { return bad("true or false") }; useCache = b
        case "deferRepeats": guard let b = value as? Bool else { return bad("true or false") }; deferRepeats = b
        case "tokenHealing": guard let b = value as? Bool else { return bad("true or false") }; tokenHealing = b
        case "seed": guard let v = int(0, Int.max) else { return bad("a non-negative integer") }; seed = UInt64(v)
        case "maxDocumentBytes": guard let v = int(1024, 1 << 30) else { return bad("an integer 1024...2^30") }; maxDocumentBytes = v
        case "maxOpenDocuments": guard let v = int(1, 100_000) else { return bad("an integer 1...100000") }; maxOpenDocuments = v
        case "enable":
            guard let o = value as? [String: Any] else { return bad("an object {inline, actions, frames}") }
            for (k, v) in o {
                guard let b = v as? Bool else { return "unmask.enable.\(k): expected true or false, got \(v)" }
                switch k {
                case "inline": enableInline = b
                case "actions": enableActions = b
                case "frames": enableFrames = b
                default: return "unmask.enable.\(k): unknown switch (known: inline, actions, frames)"
                }
            }
        default:
            return "unmask.\(key): unknown setting (known: \(Self.knownKeys.sorted().joined(separator: ", ")))"
        }
        return nil
    }

    /// The step budget for a hole of `slots` masked slots.
    public func steps(forSlots slots: Int) -> Int {
        steps ?? (algorithm == .threshold ? max(2, (slots + 11) / 12) : 16)
    }

    public func denoiseOptions(deadline: ContinuousClock.Instant?, slots: Int) -> DenoiseOptions {
        var o = DenoiseOptions()
        o.algorithm = algorithm; o.steps = steps(forSlots: slots); o.threshold = threshold; o.temperature = temperature
        o.useCache = useCache; o.seed = seed; o.deadline = deadline; o.endPenalty = endPenalty
        o.endRule = endRule
        o.deferRepeats = deferRepeats
        return o
    }
}
