import Foundation
import Testing
@testable import Completion

@Suite struct RemotePieceTests {
    @Test func serverSentEventsArriveWhateverTheChunking() {
        let stream = Array("data: {\"a\":1}\n\n: comment\ndata: line one\ndata: line two\r\n\r\ndata: [DONE]\n\n".utf8)
        for size in [1, 2, 3, 7, stream.count] {
            var p = ServerSentEvents()
            var events: [String] = []
            var i = 0
            while i < stream.count { events += p.feed(stream[i..<min(stream.count, i + size)]); i += size }
            #expect(events == ["{\"a\":1}", "line one\nline two", "[DONE]"], "chunks of \(size)")
            #expect(!p.cutMidEvent)
        }
        var cut = ServerSentEvents()
        #expect(cut.feed(Array("data: {\"a\":1}\n\ndata: {\"b\"".utf8)) == ["{\"a\":1}"])
        #expect(cut.cutMidEvent)
    }

    @Test func chatAnswersLoseFencesAndEchoes() {
        let prefix = "def main(value):\n    ", suffix = "\n    return value\n"
        #expect(RemotePrompt.cleanChatAnswer("```python\n    print(value)\n    return value\n```", prefix: prefix, suffix: suffix) == "print(value)")
        #expect(RemotePrompt.cleanChatAnswer("print(value)", prefix: prefix, suffix: suffix) == "print(value)")
        // A short accidental overlap is not an echo: "x" both ends the prefix and starts the answer.
        #expect(RemotePrompt.cleanChatAnswer("x + 1", prefix: "y = x", suffix: "") == "x + 1")
        #expect(RemotePrompt.stripFences("here you go:\n```swift\nlet a = 1\n```\nthanks") == "let a = 1")
        #expect(RemotePrompt.stripFences("no fences") == "no fences")
    }

    @Test func nextEditMessagesFollowInceptionsFormat() {
        let m = RemotePrompt.editMessage(file: "a.py", before: "import os\n", region: "x = 1\n", cursorInRegion: 4, after: "print(x)\n")
        #expect(m.contains("<|current_file_content|>\ncurrent_file_path: a.py\nimport os\n<|code_to_edit|>\nx = <|cursor|>1\n\n<|/code_to_edit|>"))
        #expect(m.contains("<|recently_viewed_code_snippets|>") && m.contains("<|edit_diff_history|>"))
        #expect(RemotePrompt.applyMessage(original: "a", update: "b") == "<|original_code|>\na\n<|/original_code|>\n\n<|update_snippet|>\nb\n<|/update_snippet|>")
    }

    @Test func settingsARemoteBackendCannotUseAreNamedAndTheKeyIsNeverInTheSummary() throws {
        var r = RemoteSettings(); r.url = "http://127.0.0.1:9/v1"; r.model = "m"; r.apiKeyEnv = "UNMASK_TEST_KEY"
        #expect(throws: RemoteError.keyEnvUnset(name: "UNMASK_TEST_KEY")) { try RemoteBackend(backend: .inception, remote: r, environment: [:]) }
        let b = try RemoteBackend(backend: .inception, remote: r, environment: ["UNMASK_TEST_KEY": "secret-123"])
        #expect(b.api == .fim && !b.summary.values.joined().contains("secret-123"))
        r.url = "localhost:8000"
        #expect(throws: RemoteError.badURL("localhost:8000")) { try RemoteBackend(backend: .openai, remote: r, environment: ["UNMASK_TEST_KEY": "k"]) }
        #expect(RemoteError.unauthorized(url: "u", status: 401, keyEnv: "K", keySet: false).description.contains("K, which is not set"))
    }

    @Test func changingTheEndpointReloadsButNotTheTimeout() {
        var a = EngineSettings(); a.backend = .openai; a.remote.url = "http://h/v1"; a.remote.model = "m"
        var b = a; b.remote.timeoutMs = 99
        #expect(a.loadIdentity == b.loadIdentity)
        b.remote.model = "other"
        #expect(a.loadIdentity != b.loadIdentity)
        #expect(a.remote.api(for: .openai) == .chat && a.remote.api(for: .inception) == .fim)
    }
}
