import Foundation
import Completion
import Denoiser
import DiffusionModel

/// Options every model-using command shares, and engine construction from them.
enum Common {
    static let modelOptions: Set<String> = ["model", "steps", "threshold", "algorithm", "temperature", "tokens-per-step", "seed", "threads", "block", "end-penalty", "end-rule", "quantize", "weights"]
    static let modelSwitches: Set<String> = ["no-cache", "no-defer-repeats", "no-token-healing"]

    static let modelHelp = """
      --model DIR            model folder (default: the embedded model, \(ModelLocator.defaultName))
      --steps S              forward-pass budget per hole (default: threshold 1 per 12 slots, at least 2; others 16)
      --threshold T          Fast-dLLM confidence threshold (default 0.9)
      --algorithm A          threshold | maskgit_plus | topk_margin | entropy | origin | low_confidence | random
      --tokens-per-step K    commit exactly K tokens per forward (1 = autoregressive-equivalent baseline)
      --temperature X        sampling temperature (default 0: greedy, deterministic)
      --seed N               RNG seed for sampling
      --end-penalty P        logit penalty on padding/end tokens, annealed as the hole fills (default 0)
      --end-rule R           run (default: the end run is decided in one step) | token (as published samplers)
      --no-defer-repeats     let parallel commits repeat a neighbour's token in the same step
      --no-token-healing     keep a hole that starts mid-word at the prefix's token boundary
      --quantize int8        quantise every weight matrix per row at load (a quarter of F32's memory)
      --weights W            stored (default: BF16 stays BF16) | f32 | int8
      --no-cache             recompute the whole canvas at every step
      --threads N            worker threads (default: all cores)
    """

    static func settings(_ a: Arguments) throws -> EngineSettings {
        var s = EngineSettings()
        s.model = a.values["model"]
        if let v = try a.int("steps") { guard v > 0 else { throw Arguments.Failure(description: "--steps must be at least 1, got \(v)") }; s.steps = v }
        if let v = try a.float("threshold") { guard v > 0 && v <= 1 else { throw Arguments.Failure(description: "--threshold must be in (0, 1], got \(v)") }; s.threshold = v }
        if let v = a.values["algorithm"] {
            guard let alg = Algorithm(name: v) else { throw Arguments.Failure(description: "--algorithm '\(v)' is not one of \(Algorithm.allCases.map(\.rawValue).joined(separator: ", "))") }
            s.algorithm = alg
        }
        if let v = try a.float("temperature") { s.temperature = v }
        if let v = try a.int("seed") { s.seed = UInt64(max(0, v)) }
        if let v = try a.float("end-penalty") { s.endPenalty = v }
        if let v = a.values["end-rule"] {
            guard let r = EndRule(rawValue: v) else { throw Arguments.Failure(description: "--end-rule '\(v)' is not one of \(EndRule.allCases.map(\.rawValue).joined(separator: ", "))") }
            s.endRule = r
        }
        if a.switches.contains("no-cache") { s.useCache = false }
        if let q = a.values["quantize"] {
            guard q == "int8" else { throw Arguments.Failure(description: "--quantize '\(q)': only int8 is supported") }
            s.weights = .int8
        }
        if let w = try weights(a) { s.weights = w }
        if a.switches.contains("no-defer-repeats") { s.deferRepeats = false }
        if a.switches.contains("no-token-healing") { s.tokenHealing = false }
        return s
    }

    /// `--weights stored|f32|int8`, shared by every command that builds a model.
    static func weights(_ a: Arguments) throws -> DiffusionTransformer.WeightPrecision? {
        guard let v = a.values["weights"] else { return nil }
        guard let w = DiffusionTransformer.WeightPrecision(rawValue: v) else {
            throw Arguments.Failure(description: "--weights '\(v)' is not one of \(DiffusionTransformer.WeightPrecision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return w
    }

    static func bundle(_ s: EngineSettings, threads: Int?) throws -> ModelBundle {
        guard let dir = s.model ?? ModelLocator.defaultModel() else {
            throw Arguments.Failure(description: "no model: the embedded model \(ModelLocator.defaultName) was not found next to the binary or in ./models. Hint: pass --model DIR or set UNMASK_MODEL.")
        }
        return try ModelBundle(directory: dir, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, weights: s.weights)
    }

    /// An engine whose denoiser honours `--tokens-per-step`.
    static func engine(_ a: Arguments) throws -> DiffusionEngine {
        let s = try settings(a)
        let e = DiffusionEngine(bundle: try bundle(s, threads: try a.int("threads")), settings: s)
        if let k = try a.int("tokens-per-step") {
            guard k > 0 else { throw Arguments.Failure(description: "--tokens-per-step must be at least 1, got \(k)") }
            e.tokensPerStep = k
        }
        if let b = try a.int("block") { e.blockLength = b }
        return e
    }
}
