import Foundation
import Denoiser
import DiffusionModel

/// What a backend needs to answer a request: the model, how to denoise, and the hole and context
/// budgets. An immutable value per change: the server passes the current one with every request.
/// Every field is a row of `EngineSettings.table`, which validates editor settings and CLI flags.
public struct EngineSettings: Sendable, Equatable {
    public var backend: BackendKind = .local
    public var remote = RemoteSettings()
    public var model: String?
    public var weights: DiffusionTransformer.WeightPrecision = .stored
    public var algorithm: Algorithm = .threshold
    /// nil: automatic (see `steps(forSlots:)`).
    public var steps: Int?
    public var threshold: Float = 0.9
    public var temperature: Float = 0
    public var seed = 0
    /// Dream-Coder's pad penalty (its default is 3). With the `run` end rule it is a prior towards
    /// longer fills; on the embedded model 0 measured best (held-out single-line exact 3.5 % at 0, 2 % at 1).
    public var endPenalty: Float = 0
    public var endRule: EndRule = .trailingRun
    public var deferRepeats = true
    public var tokenHealing = true
    public var useCache = true
    /// Baseline knob: commit exactly this many tokens per forward (1 = autoregressive-equivalent).
    public var tokensPerStep: Int?
    /// Block length for cached decoding (nil: the whole hole is one block; LLaDA's schedules: 32).
    public var blockLength: Int?
    /// Largest hole, in tokens.
    public var maxTokens = 48
    /// Prefix + suffix token budget (capped by the model's own window).
    public var contextTokens = 1024
    /// Whether inline suggestions may span lines.
    public var inlineMultiline: MultilineMode = .auto
    /// Context reuse across keystrokes: requests between full refreshes of the cached context (0: off).
    /// A refresh is a full forward that the deadline does not cut (the cache must be rebuilt): with
    /// 8, `unmask bench typing` on the 0.5B shape (2026-12-01, Zen 4) had p95 2.8 s; with 32, p50 304 ms
    /// and p95 358 ms, at held-out exact match equal to no reuse (7.33 % both, 300 cases).
    public var contextReuse = 32
    /// Repair: a token the model gives less than this probability (masked, both sides in view) is suspicious.
    public var repairSuspicion: Float = 0.02
    /// Repair: a spelling fix must make its name this many nats likelier (all its tokens masked at
    /// once), a symbol fix the region twice that. `unmask bench repair` on the embedded model, 80
    /// held-out regions in 4 languages: 3 changes 1.88 % of clean lines, 5 changes 0.94 %, 7 changes
    /// 0.42 % and fixes 31/80 identifier typos (86 % of changed lines are fixes), 9 changes none and
    /// fixes 29/80; 7 is the largest that still fixes the typo of the README's example.
    public var repairMargin: Float = 7

    public init() {}

    public enum MultilineMode: String, Sendable, CaseIterable {
        /// One line after code on the cursor's line; up to 8 lines from a blank line.
        case auto
        /// Always one line.
        case never
        /// Up to 8 lines, also after code on the cursor's line.
        case always
    }

    public static let table = SettingsTable<EngineSettings>([
        .choice("backend", \.backend, layer: .engine, flag: .value("backend"),
                doc: "`local` (the model folder), `openai` (vLLM, SGLang: OpenAI-compatible HTTP) or `inception` (Mercury); nothing leaves the machine unless this is set"),
        .text("remote.url", \.remote.url, layer: .remote, flag: .value("url"), doc: "the remote engine's base URL, e.g. `http://host:8000/v1` (http or https)"),
        .text("remote.model", \.remote.model, layer: .remote, flag: .value("remote-model"),
              doc: "the model name the remote engine serves (on the command line `--model` means this when `--backend` is remote)"),
        .optionalChoice("remote.api", \.remote.api, layer: .remote, flag: .value("api"),
                        doc: "`chat`, `completions` or `fim`; unset: `chat` for `openai`, `fim` for `inception`"),
        .text("remote.apiKeyEnv", \.remote.apiKeyEnv, layer: .remote, flag: .value("api-key-env"),
              doc: "name of the environment variable (of the server process) that holds the API key; the key itself is never a setting"),
        .int("remote.timeoutMs", \.remote.timeoutMs, 100...600_000, layer: .remote, flag: .value("timeout-ms"), doc: "a remote request that takes longer fails"),
        .int("remote.maxTokens", \.remote.maxTokens, 1...8192, layer: .remote, flag: .value("remote-max-tokens"), doc: "`max_tokens` of remote requests"),
        .text("model", \.model, layer: .model, flag: .value("model"), doc: "model folder (`config.json`, weights, tokenizer files); unset: the embedded model"),
        .choice("weights", \.weights, layer: .model, flag: .value("weights"),
                doc: "in-memory weights: `stored` (BF16 stays BF16), `f32`, or `int8` (per-row quantised at load; reloads the model)"),
        .choice("algorithm", \.algorithm, layer: .denoiser, flag: .value("algorithm"),
                doc: "`threshold` (Fast-dLLM), Dream's `maskgit_plus`, `topk_margin`, `entropy`, `origin`, LLaDA's `low_confidence`, `random`"),
        .intOrAuto("steps", \.steps, DenoiseOptions.stepsRange, layer: .denoiser, flag: .value("steps"),
                   doc: "forward-pass budget per hole; auto: one per 12 slots (at least 2) for `threshold`, 16 for the other schedules"),
        .float("threshold", \.threshold, DenoiseOptions.thresholdRange,
               layer: .denoiser, flag: .value("threshold"), doc: "Fast-dLLM τ: commit every slot with p ≥ τ (and at least what the step budget needs)"),
        .float("temperature", \.temperature, 0...5, layer: .denoiser, flag: .value("temperature"), doc: "0 is greedy and deterministic"),
        .int("seed", \.seed, 0...Int(Int32.max), layer: .denoiser, flag: .value("seed"), doc: "seed of the sampler's random numbers"),
        .float("endPenalty", \.endPenalty, 0...50, layer: .denoiser, flag: .value("end-penalty"),
               doc: "Dream-Coder's logit penalty on end/pad tokens, annealed as the hole fills (a prior towards longer fills)"),
        .choice("endRule", \.endRule, layer: .denoiser, flag: .value("end-rule"),
                doc: "how a hole's length is chosen: `run` decides the trailing end run in one step; `token` as the published samplers"),
        .bool("deferRepeats", \.deferRepeats, layer: .denoiser, flag: .off("no-defer-repeats"),
              doc: "in parallel steps, a token equal to its neighbour's (committed in the same step) waits one step"),
        .bool("tokenHealing", \.tokenHealing, layer: .engine, flag: .off("no-token-healing"),
              doc: "a hole that starts inside a word takes the word's start into the hole, constrained to tokens that begin with it"),
        .bool("useCache", \.useCache, layer: .denoiser, flag: .off("no-cache"), doc: "DualCache: reuse prefix/suffix keys and values between steps"),
        .optionalInt("tokensPerStep", \.tokensPerStep, 1...1024, layer: .denoiser, flag: .value("tokens-per-step"),
                     doc: "commit exactly this many slots per forward (1 is the autoregressive-equivalent baseline); null: the algorithm decides"),
        .optionalInt("blockLength", \.blockLength, 1...4096, layer: .denoiser, flag: .value("block"),
                     doc: "slots per block for cached block decoding; null: the whole hole (LLaDA's schedules: 32)"),
        .int("maxTokens", \.maxTokens, 1...512, layer: .engine, flag: .value("max-tokens"), doc: "largest hole, in tokens"),
        .int("contextTokens", \.contextTokens, 16...32768, layer: .engine, flag: .value("context-tokens"),
             doc: "prefix + suffix token budget (capped by the model's window)"),
        .int("contextReuse", \.contextReuse, 0...64, layer: .engine, flag: .value("context-reuse"),
             doc: "inline requests reuse the last canvas's keys/values outside the edit and the hole, with a full refresh every N requests (0: off)"),
        .float("repair.suspicion", \.repairSuspicion, 0.0001...0.5, layer: .engine, flag: .value("repair-suspicion"),
               doc: "repair looks only at tokens the model gives less than this probability (each masked in turn, both sides in view)"),
        .float("repair.margin", \.repairMargin, 0...100, layer: .engine, flag: .value("repair-margin"),
               doc: "repair proposes a misspelt name's fix only when it makes the name this many nats likelier (an operator or literal fix: twice that, over the region); otherwise it answers no repair found"),
        .choice("inline.multiline", \.inlineMultiline, layer: .engine,
                doc: "`auto`: one line after code on the cursor's line, up to 8 lines from a blank line; `never`: always one line; `always`: up to 8 lines"),
    ])

    /// The step budget for a hole of `slots` masked slots: for `threshold`, one step per 12 slots (at
    /// least 2), which on the embedded model costs no measurable quality against one token per step
    /// (README, "Decoding"); 16 for the Dream/LLaDA schedules.
    public func steps(forSlots slots: Int) -> Int {
        steps ?? (algorithm == .threshold ? max(2, (slots + 11) / 12) : 16)
    }

    public func denoiseOptions(deadline: ContinuousClock.Instant?, slots: Int) -> DenoiseOptions {
        var o = DenoiseOptions()
        o.algorithm = algorithm; o.steps = steps(forSlots: slots); o.threshold = threshold; o.temperature = temperature
        o.useCache = useCache; o.seed = UInt64(seed); o.deadline = deadline; o.endPenalty = endPenalty
        o.endRule = endRule; o.deferRepeats = deferRepeats
        o.tokensPerStep = tokensPerStep; o.blockLength = blockLength
        return o
    }

    /// The settings that need a reload when they change (the rest apply to the next request).
    public var loadIdentity: [String] {
        backend == .local ? ["local", model ?? "", weights.rawValue]
            : [backend.rawValue, remote.url ?? "", remote.model ?? "", remote.api(for: backend).rawValue, remote.apiKeyEnv ?? ""]
    }
}
