import Foundation
import Denoiser
import Tokenizer

/// Instruction edits ("instant edit"): the selection (or the enclosing function, or the line) and the
/// instruction go into the checkpoint's own chat template (`ChatTemplate`, rendered as transformers
/// renders it), the answer is denoised after the prompt, its code block replaces the region, and
/// only the changed bytes come back (shown as a preview).
struct InstructionEditor {
    let decoder: LocalDecoder
    var bundle: ModelBundle { decoder.bundle }

    /// The user message: the instruction, then the code in a fenced block.
    static func message(instruction: String, code: String, languageID: String) -> String {
        "\(instruction)\n\nApply this to the \(languageID) code below. Reply with the whole changed code only, in one code block.\n```\(languageID)\n\(code)\n```"
    }

    func edit(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let instruction = (r.instruction ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !instruction.isEmpty else { throw CompletionError.nothingToDo("the instruction is empty; say what to change") }
        let region = Repairer.region(r, finder: FunctionFinder())
        let code = r.slice(region)
        let template = try ChatTemplate.load(directory: bundle.directory)
        let prompt = try template.render(messages: [.object([("role", .string("user")),
                                                              ("content", .string(Self.message(instruction: instruction, code: code, languageID: r.languageID)))])])
        let tok = bundle.tokenizer
        let promptTokens = tok.encode(prompt, special: .all)
        let slots = min(tok.encode(code, special: .none).count * 3 / 2 + 16, decoder.settings.maxTokens * 8)
        guard promptTokens.count + slots <= bundle.canvasLimit else {
            throw CompletionError.nothingToDo("the instruction and the code take \(promptTokens.count + slots) tokens, more than the model's \(bundle.canvasLimit); select less code or shorten the instruction")
        }
        var options = decoder.settings.denoiseOptions(deadline: nil, slots: slots)
        options.forbidden = bundle.forbidden
        options.vocabularyLimit = tok.vocabularySize
        let spec = CanvasSpec(prefix: promptTokens, suffix: [], maskCount: slots)
        let f = try decoder.run(spec, options, healed: "", hole: region, bestOfLengths: false, cancel: cancel, onFrame: onFrame)
        if f.cancelled { return .cancelled }
        var result = CompletionResult(edits: [], early: f.early, forwards: f.forwards)
        let answer = RemotePrompt.stripFences(f.text)
        guard !answer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            result.explanation = "the model answered without code; nothing to apply"; return result
        }
        // Keep the region's own final newline convention.
        var new = answer
        if code.hasSuffix("\n") && !new.hasSuffix("\n") { new += "\n" } else if !code.hasSuffix("\n") && new.hasSuffix("\n") { new.removeLast() }
        if let e = Repairer.minimalEdit(old: Array(code.utf8), new: Array(new.utf8), at: region.lowerBound) { result.edits = [e] }
        else { result.explanation = "the model left the code as it is" }
        return result
    }
}
