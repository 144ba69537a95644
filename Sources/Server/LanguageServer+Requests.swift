import Foundation
import LSP
import Completion

extension LanguageServer {
    /// Snapshot of what a worker needs, taken on `state`.
    struct Job {
        let id: RequestID
        let request: CompletionRequest
        let document: TextDocument
        let token: CancellationToken
        let encoding: PositionEncoding
        /// The settings when the request arrived (a later change does not affect it).
        let settings: Settings
        let progress: JSONValue?
    }

    func document(_ uri: String) throws -> TextDocument {
        guard let d = documents[uri] else {
            throw ResponseError.invalidParams("document \(uri) is not open; the client must send textDocument/didOpen before requests on it")
        }
        return d
    }

    func register(_ id: RequestID) -> CancellationToken {
        let t = CancellationToken()
        answerLock.lock(); tokens[id] = t; answerLock.unlock()
        return t
    }

    /// Runs a job on the inference worker and answers exactly once: the result, -32800 if it was
    /// cancelled or superseded, or an empty/adjusted answer when the document changed meanwhile.
    func run(_ job: Job, _ c: Connection, render: @escaping @Sendable (CompletionResult) -> JSONValue) {
        host.worker.async { [self] in
            if job.token.isCancelled { state.async { self.reply(c, job.id, .failure(.requestCancelled)) }; return }
            guard let backend = host.current.backend else {
                // The load (queued before this job on the worker) failed: inline answers are empty,
                // commands say why.
                let why = host.current.problem ?? "no model is loaded"
                state.async {
                    self.logMessage(c, 3, "no completion for \(job.document.uri): \(why)")
                    if job.request.kind == .inline { self.reply(c, job.id, .success(render(CompletionResult(edits: [])))) }
                    else { self.reply(c, job.id, .failure(.requestFailed("no model is loaded: \(why). Hint: set unmask.model to a model folder, or run unmask.reload"))) }
                }
                return
            }
            state.async { self.setStatus(c, .busy, "denoising") }
            var lastFrame = ContinuousClock.now - .seconds(1)
            let outcome: Result<CompletionResult, Error> = Result {
                try backend.complete(job.request, settings: job.settings.engine, cancel: job.token) { frame in
                    let now = ContinuousClock.now
                    guard now - lastFrame >= .milliseconds(50) else { return }
                    lastFrame = now
                    if job.settings.server.enableFrames { c.notify("unmask/canvas", self.frameJSON(frame, job)) }
                    if let t = job.progress { self.reportProgress(c, t, "step \(frame.step)/\(frame.steps)", min(99, 100 * frame.step / max(1, frame.steps))) }
                }
            }
            state.async { [self] in
                setStatus(c, .ready, "ready")
                switch outcome {
                case .success(let r):
                    if r.cancelled || job.token.isCancelled { reply(c, job.id, .failure(.requestCancelled)); return }
                    if let now = documents[job.document.uri], now.version != job.document.version {
                        // Computed for an older version: drop it.
                        reply(c, job.id, .success(render(CompletionResult(edits: []))))
                        return
                    }
                    stats.record(ms: r.milliseconds)
                    if !r.edits.isEmpty { stats.shown += 1 }
                    if r.cached { stats.cached += 1 }
                    if r.early { stats.early += 1 }
                    shownFailures.removeAll()
                    reply(c, job.id, .success(render(r)))
                case .failure(let e as BackendFailure):
                    // The engine is away or refused: the editor keeps working; inline answers are empty.
                    report(c, e)
                    if job.request.kind == .inline { reply(c, job.id, .success(render(CompletionResult(edits: [])))) }
                    else { reply(c, job.id, .failure(.requestFailed(e.description))) }
                case .failure(let e as CompletionError):
                    reply(c, job.id, .failure(.requestFailed("\(e)")))
                case .failure(let e):
                    logMessage(c, 1, "completion failed: \(e)")
                    reply(c, job.id, .failure(.requestFailed("\(e)")))
                }
            }
        }
    }

    /// One `window/showMessage` per distinct backend failure (not one per keystroke), then only
    /// `window/logMessage`, until a request succeeds again; the status names the failure.
    func report(_ c: Connection, _ e: BackendFailure) {
        setStatus(c, .error, e.description)
        if shownFailures.insert(e.failureKey).inserted { showMessage(c, 2, "Unmask: \(e.description)") } else { logMessage(c, 3, e.description) }
    }

    func frameJSON(_ f: CanvasFrame, _ job: Job) -> JSONValue {
        let d = job.document
        let text = f.text
        // Masked glyph ranges as [start, end] offsets into `text` in the negotiated encoding.
        let masked: [JSONValue] = f.maskedRanges.map { r in
            let pre = String(decoding: Array(text.utf8)[..<r.lowerBound], as: UTF8.self)
            let s = TextDocument.length(pre, job.encoding)
            return [.int(s), .int(s + TextDocument.length(CanvasFrame.maskGlyph, job.encoding))]
        }
        return ["uri": .string(d.uri), "version": .int(d.version),
                "range": Range(start: d.position(of: f.range.lowerBound, encoding: job.encoding), end: d.position(of: f.range.upperBound, encoding: job.encoding)).json,
                "text": .string(text), "maskedRanges": .array(masked), "step": .int(f.step), "steps": .int(f.steps)]
    }

    // MARK: Code actions and commands

    func codeAction(_ id: RequestID, _ params: JSONValue, _ c: Connection) throws {
        let p = try JSONBridge.decode(CodeActionParams.self, from: params)
        _ = try document(p.textDocument.uri)
        guard settings.server.enableActions else { reply(c, id, .success([])); return }
        let arg: JSONValue = ["uri": .string(p.textDocument.uri), "range": p.range.json]
        let next: JSONValue = ["uri": .string(p.textDocument.uri), "position": p.range.start.json]
        let actions: [JSONValue] = [
            ["title": "Unmask: fill selection", "kind": "refactor.rewrite", "command": ["title": "Fill selection", "command": "unmask.fill", "arguments": [arg]]],
            ["title": "Unmask: rewrite function", "kind": "refactor.rewrite", "command": ["title": "Rewrite function", "command": "unmask.rewrite", "arguments": [arg]]],
            ["title": "Unmask: repair", "kind": "quickfix", "command": ["title": "Repair", "command": "unmask.repair", "arguments": [arg]]],
            ["title": "Unmask: next edit", "kind": "quickfix", "command": ["title": "Next edit", "command": "unmask.nextEdit", "arguments": [next]]],
        ]
        reply(c, id, .success(.array(actions)))
    }

    func executeCommand(_ id: RequestID, _ params: JSONValue, _ c: Connection) throws {
        let p = try JSONBridge.decode(ExecuteCommandParams.self, from: params)
        switch p.command {
        case "unmask.accept":
            stats.accepted += 1
            reply(c, id, .success(.null))
        case "unmask.stats":
            reply(c, id, .success(["shown": .int(stats.shown), "accepted": .int(stats.accepted), "cached": .int(stats.cached),
                                   "early": .int(stats.early), "superseded": .int(stats.cancelled), "requests": .int(stats.latencies.count),
                                   "displayed": .int(stats.displayed), "partiallyAccepted": .int(stats.partiallyAccepted), "acceptedUnits": .int(stats.acceptedUnits),
                                   "latencyP50Ms": stats.percentile(0.5).map { .double($0) } ?? .null,
                                   "latencyP95Ms": stats.percentile(0.95).map { .double($0) } ?? .null]))
        case "unmask.doctor":
            // Answered from the worker, so it reflects a model load that was under way.
            _ = register(id)
            host.worker.async { [self] in state.async { [self] in reply(c, id, .success(doctor())) } }
        case "unmask.documentHash":
            // Diagnostics for clients and soak tests: the server's copy of a document, as length + FNV-1a.
            guard let uri = p.arguments?.first?.stringValue ?? p.arguments?.first?["uri"]?.stringValue else {
                throw ResponseError.invalidParams("field 'arguments[0]' must be the document's uri")
            }
            let doc = try document(uri)
            var h: UInt64 = 0xcbf29ce484222325
            for b in doc.bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            reply(c, id, .success(["length": .int(doc.bytes.count), "fnv1a": .string(String(h, radix: 16)), "version": .int(doc.version)]))
        case "unmask.reload":
            loadEngine(c, force: true)
            reply(c, id, .success(.null))
        case let name where Self.editCommands[name] != nil:
            try editCommand(id, Self.editCommands[name]!, p.arguments?.first, c)
        default:
            throw ResponseError.invalidParams("unknown command '\(p.command)' (known: \(Self.commands.joined(separator: ", ")))")
        }
    }

    func doctor() -> JSONValue {
        var o: [String: JSONValue] = ["state": .string(engineState.rawValue), "positionEncoding": .string(encoding.rawValue),
                                      "openDocuments": .int(documents.documents.count), "version": .string(Self.version),
                                      "settings": .object(Dictionary(uniqueKeysWithValues: Settings.table.values(of: settings).map { ($0.key, JSONValue(setting: $0.value)) }))]
        let cur = host.current
        if let e = cur.backend { o["engine"] = .object(e.summary.mapValues { .string($0) }) }
        if let pr = cur.problem { o["problem"] = .string(pr) }
        return .object(o)
    }
}
