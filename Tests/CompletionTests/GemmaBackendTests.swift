import Foundation
import Testing
import DiffusionModel
@testable import Completion

private let chatModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/diffusion-gemma/chat").path

/// DiffusionGemma through the completion path on the tiny `chat` fixture (random weights, byte-level
/// tokenizer, Gemma-style chat template, 3 denoising steps): its answers are noise, so these tests check
/// what is asked (the prompt holds the prefix, the gap marker and the suffix, in the chat template), the
/// shapes of the answers, the deadline, and the refusals.
@Suite struct GemmaBackendTests {
    static let text = "def add(a, b):\n    return a + b\n\ndef mul(a, b):\n    return \n\nprint(mul(2, 3))\n"
    func request(_ kind: CompletionKind, cursor: Int, selection: Range<Int>? = nil, deadline: ContinuousClock.Instant? = nil) -> CompletionRequest {
        CompletionRequest(kind: kind, uri: "file:///m.py", version: 1, languageID: "python", text: Self.text, cursor: cursor, selection: selection, deadline: deadline)
    }
    var cursor: Int { Self.text.utf8.count - "\n\nprint(mul(2, 3))\n".utf8.count }

    @Test func aDiffusionGemmaFolderGetsTheGemmaBackend() throws {
        var s = EngineSettings()
        s.model = chatModel
        #expect(try Backends.make(s, threads: 1) is GemmaBackend)
    }

    @Test func theHoleIsAskedForAsOneChatTurnWithPrefixGapAndSuffix() throws {
        let b = try GemmaBackend(directory: chatModel, threads: 1)
        let r = request(.inline, cursor: cursor)
        let (prefix, suffix) = RemotePrompt.context(r, hole: r.cursor..<r.cursor, contextTokens: 1024)
        let turn = RemotePrompt.chatMessages(prefix: prefix, suffix: suffix, language: "python", file: "m.py", lines: .restOfLine).map { $0["content"]! }.joined(separator: "\n\n")
        let prompt = try b.template.render(messages: [.object([("role", .string("user")), ("content", .string(turn))])], addGenerationPrompt: true)
        #expect(prompt.hasPrefix("<bos><|turn>user\n") && prompt.hasSuffix("<turn|>\n<|turn>model\n"))
        let gap = try #require(prompt.range(of: "<|fill|>", options: .backwards))
        #expect(prompt[..<gap.lowerBound].hasSuffix("def mul(a, b):\n    return "))
        #expect(prompt[gap.upperBound...].hasPrefix("\n\nprint(mul(2, 3))"))
        #expect(b.tokenizer.encode(prompt, special: .all).first == 2, "<bos> is one special token")
    }

    @Test func inlineAndFillAnswerAtTheirHoles() throws {
        let b = try GemmaBackend(directory: chatModel, threads: 1)
        var s = EngineSettings()
        s.maxTokens = 8
        let inline = try b.complete(request(.inline, cursor: cursor), settings: s, cancel: CancellationToken(), onFrame: { _ in })
        #expect(inline.forwards >= 1 && !inline.early)
        for e in inline.edits {
            #expect(e.range.lowerBound == cursor && !e.newText.contains("\n"), "an inline answer is the rest of the line at the cursor")
        }
        let sel = cursor..<cursor
        let fill = try b.complete(request(.fill, cursor: cursor, selection: sel), settings: s, cancel: CancellationToken(), onFrame: { _ in })
        #expect(fill.edits.allSatisfy { $0.range == sel })
    }

    @Test func aPassedDeadlineAnswersEarlyAndACancelledRequestIsCancelled() throws {
        let b = try GemmaBackend(directory: chatModel, threads: 1)
        let late = try b.complete(request(.inline, cursor: cursor, deadline: .now - .seconds(1)), settings: EngineSettings(), cancel: CancellationToken(), onFrame: { _ in })
        #expect(late.early && late.edits.isEmpty && late.forwards == 0)
        let token = CancellationToken()
        token.cancel()
        #expect(try b.complete(request(.inline, cursor: cursor), settings: EngineSettings(), cancel: token, onFrame: { _ in }).cancelled)
    }

    @Test func repairIsRefusedWithTheReason() throws {
        let b = try GemmaBackend(directory: chatModel, threads: 1)
        #expect { try b.complete(request(.repair, cursor: 0, selection: 0..<10), settings: EngineSettings(), cancel: CancellationToken(), onFrame: { _ in }) }
            throws: { "\($0)".contains("no mask token") }
    }
}
