import Foundation
import LSP
import Completion

/// The Unmask language server: lifecycle, document store, dispatch of completion requests to the engine,
/// configuration, commands, progress, canvas frames and status. Protocol I/O is the `Connection`'s;
/// all server state is touched only on `state` (a serial queue), inference only on the engine's worker.
public final class LanguageServer: MessageHandler, @unchecked Sendable {
    public enum Lifecycle: Sendable { case uninitialized, running, shutDown }

    public static let version = "0.1.0"
    public static let commands = ["unmask.accept", "unmask.fill", "unmask.rewrite", "unmask.repair", "unmask.edit", "unmask.nextEdit", "unmask.doctor", "unmask.stats", "unmask.reload",
                                  "unmask.documentHash"]

    let host: BackendHost
    let state = DispatchQueue(label: "unmask.state")
    var lifecycle = Lifecycle.uninitialized
    var documents = DocumentStore()
    var encoding = PositionEncoding.utf16
    var settings: Settings
    var progressSupported = false
    var applyEditSupported = false
    var stats = Statistics()
    var engineState = EngineState.loading
    var demoNoticeShown = false
    /// Backend failures already shown to the user since the last success.
    var shownFailures: Set<String> = []
    /// Requests received and not yet answered (each gets exactly one answer), and the cancellation
    /// tokens of those running on the worker.
    var open: Set<RequestID> = []
    var tokens: [RequestID: CancellationToken] = [:]
    /// Latest inline request per document, which a newer one supersedes.
    var latestInline: [String: RequestID] = [:]
    let answerLock = NSLock()
    /// Called with the process exit code after `exit`.
    public var onExit: @Sendable (Int32) -> Void = { exit($0) }
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("unmask: " + $0 + "\n").utf8)) }
    public var debugLogging = false

    public init(settings: Settings = Settings(), backendFactory: @escaping BackendHost.Factory) {
        self.settings = settings
        host = BackendHost(factory: backendFactory)
    }

    // MARK: MessageHandler (reader thread: hand off at once)

    public func handle(_ message: Message, connection: Connection) {
        state.async { [self] in dispatch(message, connection) }
    }

    public func handleProtocolError(_ description: String, connection: Connection) {
        log("protocol error: \(description)")
    }

    public func connectionClosed(_ connection: Connection) {
        state.async { [self] in
            log("input closed")
            onExit(lifecycle == .shutDown ? 0 : 1)
        }
    }

    // MARK: Dispatch (on `state`)

    func dispatch(_ message: Message, _ c: Connection) {
        switch message {
        case let .notification(method, params): notification(method, params, c)
        case let .request(id, method, params):
            answerLock.lock(); open.insert(id); answerLock.unlock()
            switch lifecycle {
            case .uninitialized where method != "initialize":
                reply(c, id, .failure(.serverNotInitialized)); return
            case .shutDown:
                reply(c, id, .failure(.invalidRequest("the server is shut down; only 'exit' is accepted"))); return
            default: break
            }
            do { try request(id, method, params, c) }
            catch let e as ResponseError { reply(c, id, .failure(e)) }
            catch { reply(c, id, .failure(.internalError("\(error)"))) }
        case .response: break
        }
    }

    /// Answers `id` once; later answers (e.g. a cancelled request finishing) are dropped.
    func reply(_ c: Connection, _ id: RequestID, _ result: Result<JSONValue, ResponseError>) {
        answerLock.lock()
        let first = open.remove(id) != nil
        tokens[id] = nil
        answerLock.unlock()
        if first { c.respond(id, result) }
    }

    func notification(_ method: String, _ params: JSONValue, _ c: Connection) {
        switch method {
        case "exit":
            onExit(lifecycle == .shutDown ? 0 : 1)
        case "initialized":
            break
        case "$/cancelRequest":
            guard let id = params["id"].flatMap(RequestID.init) else { logMessage(c, 2, "$/cancelRequest without a valid id"); return }
            answerLock.lock(); let t = tokens[id]; answerLock.unlock()
            if let t { t.cancel(); reply(c, id, .failure(.requestCancelled)) }
        case "textDocument/didOpen":
            guard lifecycle == .running else { return }
            do {
                let p = try JSONBridge.decode(DidOpenTextDocumentParams.self, from: params)
                let bytes = p.textDocument.text.utf8.count
                if bytes > settings.server.maxDocumentBytes {
                    logMessage(c, 1, "\(p.textDocument.uri): \(bytes) bytes exceeds maxDocumentBytes (\(settings.server.maxDocumentBytes)); completions are off for it")
                    return
                }
                if documents[p.textDocument.uri] == nil && documents.documents.count >= settings.server.maxOpenDocuments {
                    logMessage(c, 1, "more than maxOpenDocuments (\(settings.server.maxOpenDocuments)) open; \(p.textDocument.uri) is not tracked")
                    return
                }
                documents.open(TextDocument(uri: p.textDocument.uri, languageID: p.textDocument.languageId, version: p.textDocument.version, text: p.textDocument.text))
            } catch { logMessage(c, 1, "didOpen: \(error)") }
        case "textDocument/didChange":
            guard lifecycle == .running else { return }
            do {
                let p = try JSONBridge.decode(DidChangeTextDocumentParams.self, from: params)
                let notes = try documents.change(uri: p.textDocument.uri, version: p.textDocument.version, changes: p.contentChanges,
                                                 encoding: encoding, maxBytes: settings.server.maxDocumentBytes)
                for n in notes { logMessage(c, 3, n) }
                // A document edit supersedes its pending inline request.
                if let old = latestInline[p.textDocument.uri] { answerLock.lock(); tokens[old]?.cancel(); answerLock.unlock() }
            } catch { logMessage(c, 2, "\(error)") }
        case "textDocument/didClose":
            if let uri = params["textDocument"]?["uri"]?.stringValue { _ = documents.close(uri) }
        case "textDocument/didSave", "textDocument/didFocus": break
        case "textDocument/didShowCompletion", "textDocument/didPartiallyAcceptCompletion": completionFeedback(method, params)
        case "workspace/didChangeConfiguration":
            let s = params["settings"]
            applySettings(s?["unmask"] ?? s ?? .null, c)
        default:
            if debugLogging || !method.hasPrefix("$/") { log("ignored notification \(method)") }
        }
    }

    func request(_ id: RequestID, _ method: String, _ params: JSONValue, _ c: Connection) throws {
        switch method {
        case "initialize": initialize(id, params, c)
        case "shutdown":
            lifecycle = .shutDown
            // Every request still in flight gets its one answer now, before the shutdown reply.
            answerLock.lock(); let inFlight = tokens; answerLock.unlock()
            for (rid, t) in inFlight.sorted(by: { $0.key.description < $1.key.description }) { t.cancel(); reply(c, rid, .failure(.requestCancelled)) }
            reply(c, id, .success(.null))
        case "textDocument/inlineCompletion": try inlineCompletion(id, params, c, fallback: false)
        case "textDocument/completion": try inlineCompletion(id, params, c, fallback: true)
        case "textDocument/codeAction": try codeAction(id, params, c)
        case "workspace/executeCommand": try executeCommand(id, params, c)
        case "unmask/nextEdit": try nextEdit(id, params, c)
        default: reply(c, id, .failure(.methodNotFound(method)))
        }
    }

    // MARK: Lifecycle

    func initialize(_ id: RequestID, _ params: JSONValue, _ c: Connection) {
        guard lifecycle == .uninitialized else { reply(c, id, .failure(.invalidRequest("initialize was already received"))); return }
        let offered = params["capabilities"]?["general"]?["positionEncodings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        encoding = [PositionEncoding.utf8, .utf32, .utf16].first { offered.contains($0.rawValue) } ?? .utf16
        progressSupported = params["capabilities"]?["window"]?["workDoneProgress"]?.boolValue ?? false
        applyEditSupported = params["capabilities"]?["workspace"]?["applyEdit"]?.boolValue ?? false
        let opts = params["initializationOptions"]
        lifecycle = .running
        let caps: JSONValue = [
            "positionEncoding": .string(encoding.rawValue),
            "textDocumentSync": ["openClose": true, "change": 2, "save": false],
            "inlineCompletionProvider": true,
            "completionProvider": ["resolveProvider": false, "triggerCharacters": []],
            "codeActionProvider": ["codeActionKinds": ["refactor.rewrite", "quickfix"], "resolveProvider": false],
            "executeCommandProvider": ["commands": .array(Self.commands.map { .string($0) })],
        ]
        reply(c, id, .success(["capabilities": caps, "serverInfo": ["name": "unmask", "version": .string(Self.version)]]))
        if let o = opts, o != .null { applySettings(o["unmask"] ?? o, c, loadNow: false) }
        loadEngine(c)
    }

    /// Applies a settings object through the one settings table; every bad or unknown key is reported
    /// and keeps its value. An empty array is an empty object (an empty Lua table encodes as one).
    func applySettings(_ v: JSONValue, _ c: Connection, loadNow: Bool = true) {
        let object: [String: Any]
        switch v {
        case .object: object = Self.plain(v) as! [String: Any]
        case .array(let a) where a.isEmpty: return
        case .null: return
        default: showMessage(c, 2, "unmask settings must be an object, got \(v.typeName)"); return
        }
        let before = settings.engine.loadIdentity
        for problem in Settings.table.apply(json: object, to: &settings) { showMessage(c, 2, problem.message) }
        if loadNow && settings.engine.loadIdentity != before { loadEngine(c) }
    }

    static func plain(_ v: JSONValue) -> Any {
        switch v {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .array(let a): return a.map(plain)
        case .object(let o): return o.mapValues(plain)
        }
    }

    func loadEngine(_ c: Connection, force: Bool = false) {
        setStatus(c, .loading, "loading model \(settings.engine.model ?? "(embedded default)")")
        let token: JSONValue? = progressSupported ? beginProgress(c, title: "Unmask: loading model") : nil
        host.load(settings.engine, force: force) { [self] result in
            state.async { [self] in
                if let token { endProgress(c, token, nil) }
                switch result {
                case .success(let e):
                    let s = e.summary
                    setStatus(c, .ready, s["backend"] == "local" ? "model ready: \(s["model"] ?? "")" : "remote \(s["backend"] ?? "") \(s["model"] ?? "") at \(s["url"] ?? "")")
                    if !demoNoticeShown, s["backend"] == "local", let dir = s["model"], ModelLocator.isEmbedded(dir) {
                        demoNoticeShown = true
                        showMessage(c, 3, Self.demoNotice)
                    }
                    logMessage(c, 3, "model loaded: \(e.summary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
                case .failure(let err):
                    setStatus(c, .error, "\(err)")
                    showMessage(c, 1, "Unmask: \(err). Completions are off until unmask.model points at a working model folder.")
                }
            }
        }
    }

    // MARK: Notifications out

    func logMessage(_ c: Connection, _ type: Int, _ m: String) {
        log(m)
        c.notify("window/logMessage", ["type": .int(type), "message": .string(m)])
    }
    func showMessage(_ c: Connection, _ type: Int, _ m: String) {
        log(m)
        c.notify("window/showMessage", ["type": .int(type), "message": .string(m)])
    }
    func setStatus(_ c: Connection, _ s: EngineState, _ m: String) {
        engineState = s
        c.notify("unmask/status", ["state": .string(s.rawValue), "message": .string(m)])
    }

    /// Shown once per server start when the embedded model is the one loaded.
    static let demoNotice = "Unmask is using its embedded 4.7 M-parameter demonstration model, so suggestions will be poor. "
        + "Set unmask.model to a real checkpoint folder (README, \"Real models\"), or unmask.backend to a remote engine (README, \"Remote engines\"), for real completions."
    var progressCounter = 0
    func beginProgress(_ c: Connection, title: String) -> JSONValue {
        progressCounter += 1
        let token = JSONValue.string("unmask-progress-\(progressCounter)")
        c.request("window/workDoneProgress/create", ["token": token]) { _ in }
        c.notify("$/progress", ["token": token, "value": ["kind": "begin", "title": .string(title), "cancellable": false, "percentage": 0]])
        return token
    }
    func reportProgress(_ c: Connection, _ token: JSONValue, _ message: String, _ pct: Int) {
        c.notify("$/progress", ["token": token, "value": ["kind": "report", "message": .string(message), "percentage": .int(pct)]])
    }
    func endProgress(_ c: Connection, _ token: JSONValue, _ message: String?) {
        c.notify("$/progress", ["token": token, "value": message.map { ["kind": "end", "message": .string($0)] } ?? ["kind": "end"]])
    }
}
