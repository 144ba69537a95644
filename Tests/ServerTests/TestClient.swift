import Foundation
import Testing
@testable import LSP
@testable import Server
import Completion

/// An in-process LSP client: the server runs on a real `Connection` over pipes.
final class TestClient: @unchecked Sendable {
    let toServer = Pipe(), fromServer = Pipe()
    let server: LanguageServer
    let lock = NSCondition()
    var inbox: [Message] = []
    var exitCode: Int32?
    var nextID = 100
    var framer = MessageFramer()

    init(engine: Backend? = nil, loadError: String? = nil, initialize: JSONValue? = [:]) {
        let e = engine
        server = LanguageServer { _ in
            if let e { return e }
            throw CompletionError.noModel(reason: loadError ?? "test has no model")
        }
        server.log = { _ in }
        let conn = Connection(input: toServer.fileHandleForReading.fileDescriptor, output: fromServer.fileHandleForWriting.fileDescriptor)
        conn.log = { _ in }
        server.onExit = { [weak self] code in
            guard let self else { return }
            self.lock.lock(); self.exitCode = code; self.lock.broadcast(); self.lock.unlock()
        }
        conn.start(handler: server)
        let t = Thread { [self] in readLoop() }
        t.start()
        if let initialize { _ = request("initialize", ["capabilities": initialize]) ; notify("initialized", [:]) }
    }

    func readLoop() {
        let h = fromServer.fileHandleForReading
        while true {
            let d = h.availableData
            if d.isEmpty { return }
            for ev in framer.feed(Array(d)) {
                guard case .body(let b) = ev, let v = try? JSONParser.parse(b), case .success(let m) = Message.from(v) else { continue }
                // Answer the server's own requests (progress tokens, applyEdit) like an editor would.
                if case let .request(id, method, _) = m {
                    let result: JSONValue = method == "workspace/applyEdit" ? ["applied": true] : .null
                    sendRaw(MessageFramer.frame(Message.response(id: id, result: .success(result)).json.serialized()))
                }
                lock.lock(); inbox.append(m); lock.broadcast(); lock.unlock()
            }
        }
    }

    func sendRaw(_ bytes: [UInt8]) { toServer.fileHandleForWriting.write(Data(bytes)) }
    func send(_ m: Message) { sendRaw(MessageFramer.frame(m.json.serialized())) }
    func notify(_ method: String, _ params: JSONValue) { send(.notification(method: method, params: params)) }

    @discardableResult
    func sendRequest(_ method: String, _ params: JSONValue) -> RequestID {
        lock.lock(); let id = RequestID.int(nextID); nextID += 1; lock.unlock()
        send(.request(id: id, method: method, params: params))
        return id
    }

    func wait(timeout: Double = 20, _ match: (Message) -> Bool) -> Message? {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock(); defer { lock.unlock() }
        while true {
            if let i = inbox.firstIndex(where: match) { return inbox.remove(at: i) }
            if !lock.wait(until: deadline) { return nil }
        }
    }

    func response(_ id: RequestID, timeout: Double = 20) -> Result<JSONValue, ResponseError>? {
        guard case .response(_, let r)? = wait(timeout: timeout, { if case .response(let rid, _) = $0 { return rid == id }; return false }) else { return nil }
        return r
    }

    func request(_ method: String, _ params: JSONValue, timeout: Double = 20) -> Result<JSONValue, ResponseError>? {
        response(sendRequest(method, params), timeout: timeout)
    }

    func notification(_ method: String, timeout: Double = 20, where pred: (JSONValue) -> Bool = { _ in true }) -> JSONValue? {
        guard case .notification(_, let p)? = wait(timeout: timeout, { if case .notification(let m, let p) = $0 { return m == method && pred(p) }; return false }) else { return nil }
        return p
    }

    func count(_ method: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        return inbox.filter { if case .notification(let m, _) = $0 { return m == method }; return false }.count
    }

    func waitExit(timeout: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock(); defer { lock.unlock() }
        while exitCode == nil { if !lock.wait(until: deadline) { break } }
        return exitCode
    }

    func open(_ uri: String, _ text: String, version: Int = 1, language: String = "python") {
        notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri), "languageId": .string(language), "version": .int(version), "text": .string(text)]])
    }

    /// The server's copy of a document (read on its state queue).
    func serverText(_ uri: String) -> String? { server.state.sync { server.documents[uri]?.text } }
    func waitReady() { _ = notification("unmask/status") { $0["state"]?.stringValue == "ready" || $0["state"]?.stringValue == "error" } }
}

/// A scripted engine: inserts `insert` at the cursor after `steps` steps of `stepMs`, emitting a frame
/// per step and checking cancellation between steps.
final class ScriptedEngine: Backend, @unchecked Sendable {
    var insert = "hello()"
    /// When set, the suggestion replaces this range instead of inserting at the cursor.
    var replace: Swift.Range<Int>?
    var steps = 3
    var stepMs = 5
    var requests: [CompletionRequest] = []
    let lock = NSLock()
    var summary: [String: String] { ["model": "scripted"] }

    func complete(_ r: CompletionRequest, settings: EngineSettings, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        lock.lock(); requests.append(r); lock.unlock()
        for s in 1...steps {
            if cancel.isCancelled { return CompletionResult(edits: [], cancelled: true) }
            if let d = r.deadline, ContinuousClock.now >= d { return CompletionResult(edits: [CompletionEdit(range: r.cursor..<r.cursor, newText: String(insert.prefix(s)))], early: true) }
            usleep(useconds_t(stepMs * 1000))
            onFrame(CanvasFrame(range: r.cursor..<r.cursor, text: String(insert.prefix(s)) + CanvasFrame.maskGlyph, maskedRanges: [s..<(s + 3)], step: s, steps: steps))
        }
        switch r.kind {
        case .fill, .rewrite, .repair, .edit, .nextEdit:
            let sel = r.selection ?? (r.cursor..<r.cursor)
            return CompletionResult(edits: [CompletionEdit(range: sel, newText: insert)])
        default:
            var result = CompletionResult(edits: [CompletionEdit(range: replace ?? r.cursor..<r.cursor, newText: insert)], milliseconds: Double(steps * stepMs))
            result.alternatives = (1..<max(1, r.suggestions)).map { CompletionEdit(range: r.cursor..<r.cursor, newText: insert + "\($0)") }
            return result
        }
    }
}
