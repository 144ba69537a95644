import Foundation
import Testing
@testable import LSP
@testable import Server
import Completion

/// What an editor meets on inline requests: item shapes, requests for places the user cannot be,
/// several suggestions when asked, feedback notifications, per-language and manual modes, debounce,
/// and a selected completion-menu item.
@Suite(.serialized) struct InlineTests {
    func ask(_ c: TestClient, line: Int, character: Int, kind: Int = 2, extra: [String: JSONValue] = [:], uri: String = "file:///a.py") -> JSONValue? {
        var context: [String: JSONValue] = ["triggerKind": .int(kind)]
        for (k, v) in extra where k == "selectedCompletionInfo" { context[k] = v }
        var doc: [String: JSONValue] = ["uri": .string(uri)]
        if let v = extra["version"] { doc["version"] = v }
        return value(c.request("textDocument/inlineCompletion", ["textDocument": .object(doc), "position": ["line": .int(line), "character": .int(character)],
                                                                 "context": .object(context)]))
    }

    @Test func replacingItemsCarryTheirRangeAndInsertOnlyItemsNone() {
        let e = ScriptedEngine()
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.py", "x = foo\n")
        e.replace = 4..<7
        let item = ask(c, line: 0, character: 7)?["items"]?.arrayValue?.first
        #expect(item?["range"] == ["start": ["line": 0, "character": 4], "end": ["line": 0, "character": 7]])
        e.replace = nil
        #expect(ask(c, line: 0, character: 7)?["items"]?.arrayValue?.first?["range"] == nil)
    }

    @Test func aLinePastTheEndOrAnOlderVersionGetsNothing() {
        let e = ScriptedEngine()
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.py", "x = 1\ny = 2\n", version: 3)
        #expect(ask(c, line: 7, character: 0)?["items"] == [])                  // a line beyond the last
        #expect(ask(c, line: 1, character: 40)?["items"]?.arrayValue?.count == 1) // past a line's end: clamped
        #expect(ask(c, line: 0, character: 5, extra: ["version": 2])?["items"] == [])
        #expect(ask(c, line: 0, character: 5, extra: ["version": 3])?["items"]?.arrayValue?.count == 1)
        #expect(e.requests.count == 2)
    }

    @Test func invokedRequestsGetSeveralDistinctItemsAutomaticOne() {
        let e = ScriptedEngine()
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.py", "x = \n")
        let invoked = ask(c, line: 0, character: 4, kind: 1)?["items"]?.arrayValue ?? []
        #expect(invoked.count == LanguageServer.invokedSuggestions)
        #expect(Set(invoked.compactMap { $0["insertText"]?.stringValue }).count == invoked.count)
        #expect(e.requests.last?.suggestions == LanguageServer.invokedSuggestions)
        #expect(ask(c, line: 0, character: 4, kind: 2)?["items"]?.arrayValue?.count == 1)
        #expect(e.requests.last?.suggestions == 1)
    }

    @Test func shownAndPartialAcceptNotificationsAreCounted() {
        let c = TestClient(engine: ScriptedEngine())
        c.waitReady()
        c.notify("textDocument/didShowCompletion", ["item": ["insertText": "hello()"]])
        c.notify("textDocument/didPartiallyAcceptCompletion", ["item": ["insertText": "hello()"], "acceptedLength": 5])
        c.notify("textDocument/didPartiallyAcceptCompletion", ["item": ["insertText": "hello()"], "acceptedLength": 2])
        let stats = value(c.request("workspace/executeCommand", ["command": "unmask.stats"]))
        #expect(stats?["displayed"] == 1 && stats?["partiallyAccepted"] == 2 && stats?["acceptedUnits"] == 7)
    }

    @Test func languagesCanBeTurnedOffAndManualModeAnswersOnlyInvoked() {
        let e = ScriptedEngine()
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.md", "# x\n", language: "markdown")
        c.open("file:///a.py", "x = \n")
        c.notify("workspace/didChangeConfiguration", ["settings": ["unmask": ["enable": ["languages": ["markdown": false]]]]])
        #expect(ask(c, line: 0, character: 3, uri: "file:///a.md")?["items"] == [])
        #expect(ask(c, line: 0, character: 4)?["items"]?.arrayValue?.count == 1)
        c.notify("workspace/didChangeConfiguration", ["settings": ["unmask": ["enable": ["languages": ["*": false, "python": true]], "inline": ["trigger": "manual"]]]])
        #expect(ask(c, line: 0, character: 4, kind: 2)?["items"] == [])
        #expect(ask(c, line: 0, character: 4, kind: 1)?["items"]?.arrayValue?.isEmpty == false)
        #expect(e.requests.allSatisfy { $0.uri == "file:///a.py" })
    }

    @Test func debounceDelaysAutomaticRequestsAndANewerOneReplacesTheWaitingOne() {
        let e = ScriptedEngine()
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.py", "x = \n")
        c.notify("workspace/didChangeConfiguration", ["settings": ["unmask": ["debounceMs": 300]]])
        let t0 = Date()
        let first = c.sendRequest("textDocument/inlineCompletion", ["textDocument": ["uri": "file:///a.py"], "position": ["line": 0, "character": 4], "context": ["triggerKind": 2]])
        let second = c.sendRequest("textDocument/inlineCompletion", ["textDocument": ["uri": "file:///a.py"], "position": ["line": 0, "character": 4], "context": ["triggerKind": 2]])
        #expect(code(c.response(first)) == -32800)
        #expect(value(c.response(second))?["items"]?.arrayValue?.count == 1)
        #expect(Date().timeIntervalSince(t0) >= 0.3)
        #expect(e.requests.count == 1)        // the replaced request never reached the engine
    }

    @Test func aSelectedMenuItemIsExtendedOnItsRange() {
        let e = ScriptedEngine()
        let c = TestClient(engine: e)
        c.waitReady()
        c.open("file:///a.py", "x = pri\n")
        let sel: JSONValue = ["range": ["start": ["line": 0, "character": 4], "end": ["line": 0, "character": 7]], "text": "print"]
        let item = ask(c, line: 0, character: 7, kind: 1, extra: ["selectedCompletionInfo": sel])?["items"]?.arrayValue?.first
        // The engine completed "x = print" at its end; the item replaces the menu item's range with it.
        #expect(e.requests.last?.text == "x = print\n" && e.requests.last?.cursor == 9)
        #expect(item?["insertText"] == "printhello()")
        #expect(item?["range"] == ["start": ["line": 0, "character": 4], "end": ["line": 0, "character": 7]])
    }

    @Test func emptySettingsArrayIsAnEmptyObjectAndSaysNothing() {
        let c = TestClient(engine: ScriptedEngine(), initialize: nil)
        _ = c.request("initialize", ["capabilities": [:], "initializationOptions": ["unmask": []]])
        c.waitReady()
        #expect(c.notification("window/showMessage", timeout: 0.5) == nil)
    }

    @Test func virtualEditsMapBackToTheDocument() {
        let doc = Array("x = pri + y\n".utf8)
        let v = VirtualEdit(document: doc, replacing: 4..<7, with: "print")        // "x = print + y\n", cursor 9
        #expect(v.cursor == 9)
        // Inserted at the cursor.
        #expect(v.toDocument(CompletionEdit(range: 9..<9, newText: "(a)")) == CompletionEdit(range: 4..<7, newText: "print(a)"))
        // Replacing past the inserted text: the real range grows by the same amount.
        #expect(v.toDocument(CompletionEdit(range: 9..<11, newText: "(a) +")) == CompletionEdit(range: 4..<9, newText: "print(a) +"))
        // Starting before the menu item's range.
        #expect(v.toDocument(CompletionEdit(range: 3..<9, newText: " printf")) == CompletionEdit(range: 3..<7, newText: " printf"))
    }
}
