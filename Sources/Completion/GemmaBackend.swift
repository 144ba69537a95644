import Foundation
import DiffusionModel
import Denoiser
import Kernels
import Tokenizer

/// DiffusionGemma run locally. It has no mask token, so a hole cannot be denoised in place: an inline,
/// fill or rewrite request becomes one user turn in the checkpoint's chat template holding the file with
/// the gap marked (`RemotePrompt.chatMessages`, the same words the remote chat engines get: what to
/// answer, then the file with `<|fill|>`), the entropy-bound sampler generates the answer after the
/// generation prompt, and the answer is cleaned as any chat answer (fences, echoed prefix or suffix
/// cut) and then as any fill (`InlineShape`, `PostProcessor`: the suffix is never duplicated).
/// Instruction edits use the same path with `InstructionEditor.message`. Repair and next edit need
/// token scores of a masked model and are refused with the reason.
public final class GemmaBackend: Backend, @unchecked Sendable {
    public let directory: String
    let model: DiffusionGemma
    let tokenizer: Tokenizer
    let template: ChatTemplate
    let sampling: EntropyBoundSettings
    let cache = SuggestionCache()
    private let timings = RequestTimings()

    public init(directory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                weights: DiffusionTransformer.WeightPrecision = .stored, log: (String) -> Void = { _ in }) throws {
        self.directory = directory
        do { tokenizer = try Tokenizer.load(directory: directory) } catch { throw ModelError.weights("\(error)") }
        template = try ChatTemplate.load(directory: directory)
        sampling = try EntropyBoundSettings.load(path: (directory as NSString).appendingPathComponent("generation_config.json"))
        model = try DiffusionGemma.load(directory: directory, precision: weights, pool: ThreadPool(threads: threads), log: log)
        if tokenizer.vocabularySize > model.config.vocabSize {
            throw ModelError.vocabularyMismatch(configVocab: model.config.vocabSize, tokenizerVocab: tokenizer.vocabularySize,
                                                hint: "The tokenizer has ids the embedding table lacks: tokenizer and weights come from different models.")
        }
    }

    public var summary: [String: String] {
        return ["backend": "local", "model": directory, "family": "diffusion_gemma (prompt infill, entropy-bound sampler)",
                "layers": "\(model.config.numLayers)", "isa": model.isa.rawValue,
                "lastTimings": timings.summary]
    }

    public func complete(_ r: CompletionRequest, settings: EngineSettings, cancel: CancellationToken,
                         onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let t0 = ContinuousClock.now
        try r.validate()
        var result: CompletionResult
        switch r.kind {
        case .inline:
            if let hit = cache.hit(r) { return hit }
            let (shape, lines) = RemotePrompt.inlineShape(r, settings: settings)
            guard let g = try fill(r, hole: shape.hole, lines: lines, settings: settings, cancel: cancel, onFrame: onFrame) else { return .cancelled }
            result = CompletionResult(edits: [], early: g.early, forwards: g.steps)
            if let e = shape.suggestion(g.text, r) {
                result.edits = [e]
                if !g.early { cache.remember(r, insert: e.newText, range: e.range, early: false) }
            }
        case .fill, .infill, .rewrite:
            result = CompletionResult(edits: [])
            for hole in try RemotePrompt.holes(r) {
                guard let g = try fill(r, hole: hole, lines: .free, settings: settings, cancel: cancel, onFrame: onFrame) else { return .cancelled }
                result.forwards += g.steps; result.early = result.early || g.early
                if let e = RemotePrompt.fillEdit(g.text, hole: hole, r) { result.edits.append(e) }
            }
        case .edit:
            let instruction = (r.instruction ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !instruction.isEmpty else { throw CompletionError.nothingToDo("the instruction is empty; say what to change") }
            let region = Repairer.region(r, finder: FunctionFinder())
            let old = r.slice(region)
            let maxNew = min(tokenizer.encode(old, special: .none).count * 3 / 2 + 16, settings.maxTokens * 8)
            guard let g = try generate(InstructionEditor.message(instruction: instruction, code: old, languageID: r.languageID),
                                       maxNewTokens: maxNew, settings: settings, deadline: nil, cancel: cancel, onFrame: { _, _, _ in }) else { return .cancelled }
            var new = RemotePrompt.stripFences(g.text)
            if old.hasSuffix("\n") && !new.hasSuffix("\n") { new += "\n" } else if !old.hasSuffix("\n") && new.hasSuffix("\n") { new.removeLast() }
            result = CompletionResult(edits: [], forwards: g.steps)
            if let e = Repairer.minimalEdit(old: Array(old.utf8), new: Array(new.utf8), at: region.lowerBound) { result.edits = [e] }
            else { result.explanation = "the model left the code as it is" }
        case .repair, .nextEdit:
            throw CompletionError.nothingToDo("DiffusionGemma has no mask token, so \(r.kind.rawValue) (which scores each token of the code with it masked) cannot run on it; use a masked model (Dream, DiffuCoder, Open-dCoder, CoDA, LLaDA) or backend inception")
        }
        result.milliseconds = Double((ContinuousClock.now - t0) / .microseconds(1)) / 1000
        timings.record(r.kind, milliseconds: result.milliseconds)
        return result
    }

    /// The hole's text from a chat turn holding the file with the gap marked; nil when cancelled.
    func fill(_ r: CompletionRequest, hole: Swift.Range<Int>, lines: RemotePrompt.LineShape, settings: EngineSettings,
              cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> (text: String, early: Bool, steps: Int)? {
        let (prefix, suffix) = RemotePrompt.context(r, hole: hole, contextTokens: settings.contextTokens)
        let turn = RemotePrompt.chatMessages(prefix: prefix, suffix: suffix, language: r.languageID, file: RemotePrompt.fileName(r), lines: lines)
            .map { $0["content"]! }.joined(separator: "\n\n")       // one user turn: not every template has a system role
        guard let g = try generate(turn, maxNewTokens: settings.maxTokens, settings: settings, deadline: r.deadline, cancel: cancel,
                                   onFrame: { onFrame(CanvasFrame(range: hole, text: $0, maskedRanges: [], step: $1, steps: $2)) }) else { return nil }
        var text = RemotePrompt.cleanChatAnswer(g.text, prefix: prefix, suffix: suffix)
        if let stop = lines.stops?.first, let cut = text.range(of: stop) { text = String(text[..<cut.lowerBound]) }
        return (text, g.early, g.steps)
    }

    /// `user` rendered by the chat template (generation prompt on), then sampled: `settings.steps`
    /// caps the denoising steps per canvas, `settings.seed` seeds the draws, the deadline cuts it at the
    /// next layer (the previous step's draft is the answer, flagged early). Nil when cancelled.
    func generate(_ user: String, maxNewTokens: Int, settings: EngineSettings, deadline: ContinuousClock.Instant?, cancel: CancellationToken,
                  onFrame: (String, Int, Int) -> Void) throws -> (text: String, early: Bool, steps: Int)? {
        let prompt = try template.render(messages: [.object([("role", .string("user")), ("content", .string(user))])], addGenerationPrompt: true)
        let ids = tokenizer.encode(prompt, special: .all)
        var s = sampling
        s.maxNewTokens = max(1, maxNewTokens)
        if let n = settings.steps { s.maxDenoisingSteps = n }
        var draws = SeededDraws(seed: UInt64(truncatingIfNeeded: settings.seed))
        let interrupt = { cancel.isCancelled || (deadline.map { ContinuousClock.now >= $0 } ?? false) }
        let g: EntropyBoundSampler.Generation
        do {
            g = try EntropyBoundSampler(model: model, settings: s).generate(prompt: ids, draws: &draws, interrupt: interrupt, onStep: { step in
                onFrame(self.text(Array(step.argmax)), s.maxDenoisingSteps - step.step + 1, s.maxDenoisingSteps)
                return true
            })
        } catch ModelError.interrupted {
            if cancel.isCancelled { return nil }
            return ("", true, 0)                                      // the deadline passed while the prompt was encoded
        }
        if cancel.isCancelled { return nil }
        return (text(Array(g.tokens.dropFirst(ids.count))), g.cutShort, g.steps)
    }

    /// Generated ids as text: up to the first end id, special tokens dropped.
    func text(_ ids: [Int32]) -> String {
        let ends = Set(model.config.eosTokenIDs + (sampling.eosTokenIDs ?? []) + [model.config.padTokenID].compactMap { $0 })
        let body = ids.firstIndex(where: ends.contains).map { Array(ids[..<$0]) } ?? ids
        return tokenizer.decode(body, skipSpecial: true)
    }
}
