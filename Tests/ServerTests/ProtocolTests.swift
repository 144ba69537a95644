import Foundation
import Testing
@testable import LSP
@testable import Server
import Completion

func code(_ r: Result<JSONValue, ResponseError>?) -> Int? { if case .failure(let e)? = r { return e.code }; return nil }
func value(_ r: Result<JSONValue, ResponseError>?) -> JSONValue? { if case .success(let v)? = r { return v }; return nil }
func message(_ r: Result<JSONValue, ResponseError>?) -> String? { if case .failure(let e)? = r { return e.message }; return nil }

@Suite(.serialized) struct LifecycleTests {
    @Test func requestsBeforeInitializeAreRefused() {
        let c = TestClient(initialize: nil)
        #expect(code(c.request("textDocument/inlineCompletion", [:])) == -32002)
        let r = value(c.request("initialize", ["capabilities": [:]]))
        #expect(r?["capabilities"]?["positionEncoding"] == "utf-16")
        #expect(code(c.request("initialize", ["capabilities": [:]])) == -32600)
    }

    @Test func negotiatesEncodingsAndAdvertisesOnlyWhatExists() {
        let c = TestClient(initialize: nil)
        let r = value(c.request("initialize", ["capabilities": ["general": ["positionEncodings": ["utf-32", "utf-16"]]]]))
        #expect(r?["capabilities"]?["positionEncoding"] == "utf-32")
        let caps = r?["capabilities"]?.objectValue ?? [:]
        #expect(Set(caps.keys) == ["positionEncoding", "textDocumentSync", "inlineCompletionProvider", "completionProvider", "codeActionProvider", "executeCommandProvider"])
        #expect(caps["executeCommandProvider"]?["commands"]?.arrayValue?.contains("unmask.accept") == true)
        let c8 = TestClient(initialize: nil)
        #expect(value(c8.request("initialize", ["capabilities": ["general": ["positionEncodings": ["utf-8", "utf-16"]]]]))?["capabilities"]?["positionEncoding"] == "utf-8")
    }

    @Test func shutdownThenExitIsZeroAndRequestsAfterShutdownAreInvalid() {
        let c = TestClient()
        #expect(value(c.request("shutdown", .null)) == .null)
        #expect(code(c.request("textDocument/completion", [:])) == -32600)
        c.notify("exit", .null)
        #expect(c.waitExit() == 0)
    }

    @Test func exitWithoutShutdownIsOne() {
        let c = TestClient()
        c.notify("exit", .null)
        #expect(c.waitExit() == 1)
    }

    @Test func unknownMethodsAndBadParams() {
        let c = TestClient(engine: ScriptedEngine())
        #expect(code(c.request("textDocument/hover", [:])) == -32601)
        c.notify("$/setTrace", ["value": "off"])      // ignored
        c.notify("custom/thing", [:])                  // ignored
        let bad = c.request("textDocument/inlineCompletion", ["textDocument": ["uri": 5], "position": ["line": 0, "character": 0]])
        guard case .failure(let e)? = bad else { Issue.record("expected an error"); return }
        #expect(e.code == -32602 && e.message.contains("textDocument.uri"))
        let notOpen = c.request("textDocument/inlineCompletion", ["textDocument": ["uri": "file:///nope.py"], "position": ["line": 0, "character": 0]])
        guard case .failure(let e2)? = notOpen else { Issue.record("expected an error"); return }
        #expect(e2.code == -32602 && e2.message.contains("file:///nope.py"))
    }
}

@Suite(.serialized) struct BadInputTests {
    @Test func invalidJSONAndNonObjectsAndBatchesAnswerAndKeepServing() {
        let c = TestClient(engine: ScriptedEngine())
        c.sendRaw(MessageFramer.frame(Array("{not json".utf8)))
        guard case .response(let id, .failure(let e))? = c.wait({ if case .response(nil, _) = $0 { return true }; return false }) else { Issue.record("no parse error"); return }
        #expect(id == nil && e.code == -32700)
        c.sendRaw(MessageFramer.frame(Array("42".utf8)))
        #expect(code(c.wait { if case .response(nil, _) = $0 { return true }; return false }.flatMap { if case .response(_, let r) = $0 { return r }; return nil }) == -32600)
        c.sendRaw(MessageFramer.frame(Array(#"[{"jsonrpc":"2.0","id":1,"method":"shutdown"}]"#.utf8)))
        #expect(code(c.wait { if case .response(nil, _) = $0 { return true }; return false }.flatMap { if case .response(_, let r) = $0 { return r }; return nil }) == -32600)
        // Malformed headers are skipped; the next good frame is served.
        c.sendRaw(Array("Content-Length: nope\r\n\r\n".utf8))
        #expect(value(c.request("workspace/executeCommand", ["command": "unmask.stats"]))?["shown"] == 0)
    }

    @Test func invalidUTF8InABodyIsRepaired() {
        let c = TestClient(engine: ScriptedEngine())
        let body = Array(#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///u.py","languageId":"python","version":1,"text":"a"#.utf8) + [0xFF] + Array("b\"}}}".utf8)
        c.sendRaw(MessageFramer.frame(body))
        _ = c.request("workspace/executeCommand", ["command": "unmask.stats"])
        #expect(c.serverText("file:///u.py") == "a\u{FFFD}b")
    }

    @Test func badChangesLoseNothing() {
        let c = TestClient(engine: ScriptedEngine())
        c.open("file:///a.py", "one\ntwo\n", version: 3)
        c.notify("textDocument/didChange", ["textDocument": ["uri": "file:///never.py", "version": 2], "contentChanges": [["text": "x"]]])
        c.notify("textDocument/didChange", ["textDocument": ["uri": "file:///a.py", "version": 2], "contentChanges": [["text": "stale"]]])
        c.notify("textDocument/didChange", ["textDocument": ["uri": "file:///a.py", "version": 4],
                                            "contentChanges": [["range": ["start": ["line": 1, "character": 2], "end": ["line": 0, "character": 0]], "text": "bad"]]])
        _ = c.request("workspace/executeCommand", ["command": "unmask.stats"])
        #expect(c.serverText("file:///a.py") == "one\ntwo\n")
        // Past-the-end positions clamp rather than crash.
        c.notify("textDocument/didChange", ["textDocument": ["uri": "file:///a.py", "version": 5],
                                            "contentChanges": [["range": ["start": ["line": 0, "character": 99], "end": ["line": 0, "character": 120]], "text": "!"]]])
        _ = c.request("workspace/executeCommand", ["command": "unmask.stats"])
        #expect(c.serverText("file:///a.py") == "one!\ntwo\n")
    }

    @Test func hugeDocument() {
        let c = TestClient(engine: ScriptedEngine())
        let big = String(repeating: "x = 1  # filler line of a generated file\n", count: 1_250_000)   // 50 MB
        c.open("file:///big.py", big)
        c.notify("textDocument/didChange", ["textDocument": ["uri": "file:///big.py", "version": 2],
                                            "contentChanges": [["range": ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 1]], "text": "y"]]])
        _ = c.request("workspace/executeCommand", ["command": "unmask.stats"], timeout: 120)
        let t = c.serverText("file:///big.py")
        #expect(t?.utf8.count == big.utf8.count && t?.hasPrefix("y = 1") == true)
    }
}

@Suite(.serialized) struct DocumentSyncTests {
    @Test func incrementalAndFullChanges() {
        let c = TestClient(engine: ScriptedEngine())
        c.open("file:///d.swift", "let a = 1\r\nlet 😀 = 2\rlet c = 3\n", language: "swift")
        // UTF-16: the emoji is 2 units; replace "2" on line 1 (after "let 😀 = ").
        c.notify("textDocument/didChange", ["textDocument": ["uri": "file:///d.swift", "version": 2],
                                            "contentChanges": [["range": ["start": ["line": 1, "character": 9], "end": ["line": 1, "character": 10]], "text": "42"],
                                                               ["range": ["start": ["line": 2, "character": 4], "end": ["line": 2, "character": 5]], "text": "cc"]]])
        _ = c.request("workspace/executeCommand", ["command": "unmask.stats"])
        #expect(c.serverText("file:///d.swift") == "let a = 1\r\nlet 😀 = 42\rlet cc = 3\n")
        c.notify("textDocument/didChange", ["textDocument": ["uri": "file:///d.swift", "version": 3], "contentChanges": [["text": "fresh"]]])
        c.notify("textDocument/didClose", ["textDocument": ["uri": "file:///d.swift"]])
        c.open("file:///e.swift", "x")
        _ = c.request("workspace/executeCommand", ["command": "unmask.stats"])
        #expect(c.serverText("file:///d.swift") == nil)
    }
}

@Suite(.serialized) struct CompletionRoutingTests {
    @Test func inlineCompletionReturnsItemsWithAcceptCommand() {
        let e = ScriptedEngine()
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.py", "def f():\n    return \n")
        let r = value(c.request("textDocument/inlineCompletion", ["textDocument": ["uri": "file:///a.py"], "position": ["line": 1, "character": 11],
                                                                   "context": ["triggerKind": 2]]))
        let item = r?["items"]?.arrayValue?.first
        #expect(item?["insertText"] == "hello()")
        // Insert-only: no range, so no editor draws the ghost text over what follows the cursor.
        #expect(item?["range"] == nil)
        #expect(item?["command"]?["command"] == "unmask.accept")
        #expect(e.requests.last?.cursor == "def f():\n    return ".utf8.count)
        _ = c.request("workspace/executeCommand", ["command": "unmask.accept", "arguments": [["uri": "file:///a.py"]]])
        let stats = value(c.request("workspace/executeCommand", ["command": "unmask.stats"]))
        #expect(stats?["shown"] == 1 && stats?["accepted"] == 1)
        // Older trigger-kind encoding (0/1) is accepted too.
        #expect(value(c.request("textDocument/inlineCompletion", ["textDocument": ["uri": "file:///a.py"], "position": ["line": 1, "character": 11], "context": ["triggerKind": 0]])) != nil)
    }

    @Test func completionFallbackUsesATextEdit() {
        let c = TestClient(engine: ScriptedEngine())
        c.waitReady()
        c.open("file:///a.py", "x = \n")
        let r = value(c.request("textDocument/completion", ["textDocument": ["uri": "file:///a.py"], "position": ["line": 0, "character": 4]]))
        let item = r?["items"]?.arrayValue?.first
        #expect(item?["textEdit"]?["newText"] == "hello()")
        #expect(r?["isIncomplete"] == false)
    }

    @Test func cancelAnswersMinus32800() {
        let e = ScriptedEngine(); e.steps = 200; e.stepMs = 10
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.py", "x = \n")
        let id = c.sendRequest("textDocument/inlineCompletion", ["textDocument": ["uri": "file:///a.py"], "position": ["line": 0, "character": 4], "deadlineMs": 60_000])
        usleep(50_000)
        c.notify("$/cancelRequest", ["id": id.json])
        #expect(code(c.response(id)) == -32800)
        // Exactly one answer: nothing else arrives for that id.
        #expect(c.response(id, timeout: 0.5) == nil)
    }

    @Test func newerRequestSupersedesOlderAndStaleVersionsAreDropped() {
        let e = ScriptedEngine(); e.steps = 100; e.stepMs = 10
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.py", "x = \n")
        let p: JSONValue = ["textDocument": ["uri": "file:///a.py"], "position": ["line": 0, "character": 4], "deadlineMs": 60_000]
        let first = c.sendRequest("textDocument/inlineCompletion", p)
        usleep(30_000)
        e.steps = 2
        let second = c.sendRequest("textDocument/inlineCompletion", p)
        #expect(code(c.response(first)) == -32800)
        #expect(value(c.response(second))?["items"]?.arrayValue?.count == 1)
        // A change while a request runs: its answer is dropped (empty), not applied to the new text.
        e.steps = 30
        let third = c.sendRequest("textDocument/inlineCompletion", p)
        usleep(30_000)
        c.notify("textDocument/didChange", ["textDocument": ["uri": "file:///a.py", "version": 2], "contentChanges": [["text": "y = \n"]]])
        let r = c.response(third)
        #expect(code(r) == -32800 || value(r)?["items"]?.arrayValue?.isEmpty == true)
    }

    @Test func deadlineGivesTheDraftFlaggedEarly() {
        let e = ScriptedEngine(); e.steps = 50; e.stepMs = 20
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.py", "x = \n")
        let r = value(c.request("textDocument/inlineCompletion", ["textDocument": ["uri": "file:///a.py"], "position": ["line": 0, "character": 4], "deadlineMs": 100]))
        let item = r?["items"]?.arrayValue?.first
        #expect(item?["data"]?["early"] == true)
        #expect((item?["insertText"]?.stringValue?.count ?? 0) > 0)
    }

    @Test func framesGoToClientsThatAskForThem() {
        let c = TestClient(engine: ScriptedEngine(), initialize: nil)
        _ = c.request("initialize", ["capabilities": [:], "initializationOptions": ["unmask": ["enable": ["frames": true]]]])
        c.waitReady()
        c.open("file:///a.py", "x = \n")
        let e = c.server.host.current.backend as! ScriptedEngine
        e.stepMs = 60
        _ = c.request("textDocument/inlineCompletion", ["textDocument": ["uri": "file:///a.py"], "position": ["line": 0, "character": 4], "deadlineMs": 5000])
        let f = c.notification("unmask/canvas")
        #expect(f?["uri"] == "file:///a.py")
        #expect(f?["maskedRanges"]?.arrayValue?.isEmpty == false)
        #expect(f?["range"]?["start"] == ["line": 0, "character": 4])
    }

    @Test func noModelMeansEmptyAnswersAndAClearMessage() {
        let c = TestClient(engine: nil, loadError: "model folder /nope does not exist")
        let shown = c.notification("window/showMessage")
        #expect(shown?["message"]?.stringValue?.contains("/nope") == true)
        #expect(c.notification("unmask/status") { $0["state"] == "error" } != nil)
        c.open("file:///a.py", "x = \n")
        let r = value(c.request("textDocument/inlineCompletion", ["textDocument": ["uri": "file:///a.py"], "position": ["line": 0, "character": 4]]))
        #expect(r?["items"] == [])
        let doctor = value(c.request("workspace/executeCommand", ["command": "unmask.doctor"]))
        #expect(doctor?["problem"]?.stringValue?.contains("/nope") == true)
    }

    /// Edits are proposals: the answer's WorkspaceEdit is annotated needsConfirmation (VS Code's
    /// preview), the server applies it only with `apply: true`, and a client's refusal is reported.
    @Test func editsArePreviewsAppliedOnlyWhenAsked() {
        let c = TestClient(engine: ScriptedEngine(), initialize: nil)
        _ = c.request("initialize", ["capabilities": ["workspace": ["applyEdit": true], "window": ["workDoneProgress": true]]])
        c.waitReady()
        c.open("file:///a.py", "def f():\n    TODO\n")
        let range: JSONValue = ["start": ["line": 1, "character": 4], "end": ["line": 1, "character": 8]]
        let actions = value(c.request("textDocument/codeAction", ["textDocument": ["uri": "file:///a.py"], "range": range, "context": ["diagnostics": []]]))?.arrayValue ?? []
        #expect(actions.compactMap { $0["command"]?["command"]?.stringValue } == ["unmask.fill", "unmask.rewrite", "unmask.repair", "unmask.nextEdit"])
        let r = value(c.request("workspace/executeCommand", ["command": "unmask.fill", "arguments": [["uri": "file:///a.py", "range": range]]]))
        #expect(r?["edits"] == 1)
        let change = r?["edit"]?["documentChanges"]?.arrayValue?.first
        #expect(change?["textDocument"]?["version"] == 1)
        #expect(change?["edits"]?.arrayValue?.first?["newText"] == "hello()" && change?["edits"]?.arrayValue?.first?["annotationId"] == "unmask.fill")
        let note = r?["edit"]?["changeAnnotations"]?["unmask.fill"]
        #expect(note?["needsConfirmation"] == true && note?["label"] == "Unmask: fill")
        #expect(note?["description"]?.stringValue?.contains("'TODO' → 'hello()'") == true)
        #expect(r?["edit"]?["changes"]?["file:///a.py"]?.arrayValue?.first?["newText"] == "hello()")
        #expect(c.notification("$/progress") != nil)
        // Not asked to apply: no workspace/applyEdit, the document is unchanged.
        #expect(c.wait(timeout: 0.3, { if case .request(_, "workspace/applyEdit", _) = $0 { return true }; return false }) == nil)
        #expect(c.serverText("file:///a.py") == "def f():\n    TODO\n")
        // Asked to apply: the server sends it.
        _ = c.request("workspace/executeCommand", ["command": "unmask.repair", "arguments": [["uri": "file:///a.py", "range": range, "apply": true]]])
        guard case .request(_, "workspace/applyEdit", let p)? = c.wait({ if case .request(_, "workspace/applyEdit", _) = $0 { return true }; return false }) else {
            Issue.record("no workspace/applyEdit"); return
        }
        #expect(p["edit"]?["documentChanges"]?.arrayValue?.first?["edits"]?.arrayValue?.first?["newText"] == "hello()")
        #expect(code(c.request("workspace/executeCommand", ["command": "unmask.nope"])) == -32602)
    }

    @Test func badEditArgumentsAreNamedAndLeaveTheDocument() {
        let c = TestClient(engine: ScriptedEngine())
        c.open("file:///a.py", "x = 1\n")
        let far: JSONValue = ["start": ["line": 40, "character": 0], "end": ["line": 41, "character": 0]]
        let r = c.request("workspace/executeCommand", ["command": "unmask.repair", "arguments": [["uri": "file:///a.py", "range": far]]])
        #expect(code(r) == -32602 && message(r)?.contains("outside file:///a.py") == true)
        let line0: JSONValue = ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 5]]
        let e = c.request("workspace/executeCommand", ["command": "unmask.edit", "arguments": [["uri": "file:///a.py", "range": line0, "instruction": "  "]]])
        #expect(code(e) == -32602 && message(e)?.contains("instruction") == true)
        #expect(code(c.request("workspace/executeCommand", ["command": "unmask.edit", "arguments": [["uri": "file:///nope.py", "range": line0, "instruction": "x"]]])) == -32602)
        #expect(c.serverText("file:///a.py") == "x = 1\n")
    }

    @Test func configurationErrorsAreShown() {
        let c = TestClient(engine: ScriptedEngine())
        c.notify("workspace/didChangeConfiguration", ["settings": ["unmask": ["steps": "many", "bogus": 1, "threshold": 0.8]]])
        let a = c.notification("window/showMessage") { $0["message"]?.stringValue?.contains("unmask.steps") == true }
        let b = c.notification("window/showMessage") { $0["message"]?.stringValue?.contains("unmask.bogus") == true }
        #expect(a != nil && b != nil)
        #expect(c.server.state.sync { c.server.settings.engine.threshold } == 0.8)
    }
}
