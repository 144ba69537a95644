import Foundation

/// A remote engine over HTTP: vLLM / SGLang (`openai`: `/chat/completions` or `/completions`) or
/// Inception's Mercury (`inception`: `/fim/completions`, `/edit/completions`, `/apply/completions`).
/// Text in, text out: the same request kinds, shapes and post-processing as the local engine; streamed
/// answers become canvas frames; cancellation closes the connection. The API key is read once from the
/// environment variable `remote.apiKeyEnv` names and is never logged, traced or put in a message.
public final class RemoteBackend: Backend, @unchecked Sendable {
    let kind: BackendKind
    let remote: RemoteSettings
    let api: RemoteAPI
    let base: URL
    let model: String
    private let key: String?
    let http = HTTPTransport()
    let cache = SuggestionCache()
    private let lock = NSLock()
    /// `completions`: the server answered 400 to `suffix` once, so the prompt-only template is used.
    private var suffixRejected = false
    private let timings = RequestTimings()
    /// Actions wait this long at most for a 429's `Retry-After` before their one retry.
    static let maxRetryAfter = 30

    public init(backend: BackendKind, remote: RemoteSettings, environment: [String: String] = ProcessInfo.processInfo.environment) throws(RemoteError) {
        guard backend != .local else { throw .unsupported("RemoteBackend needs backend openai or inception") }
        guard let text = remote.url, !text.isEmpty else { throw .missingSetting("remote.url") }
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else { throw .badURL(text) }
        guard let model = remote.model, !model.isEmpty else { throw .missingSetting("remote.model") }
        if let name = remote.apiKeyEnv {
            guard let k = environment[name], !k.isEmpty else { throw .keyEnvUnset(name: name) }
            key = k
        } else { key = nil }
        self.kind = backend; self.remote = remote; self.base = url; self.model = model
        api = remote.api(for: backend)
    }

    public var summary: [String: String] {
        return ["backend": kind.rawValue, "url": base.absoluteString, "model": model, "api": api.rawValue,
                "apiKey": remote.apiKeyEnv.map { "from $\($0)" } ?? "none",
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
            guard let g = try generate(r, hole: shape.hole, lines: lines, settings: settings, action: false, cancel: cancel, onFrame: onFrame) else { return .cancelled }
            result = CompletionResult(edits: [], networkMilliseconds: g.networkMs)
            if let e = shape.suggestion(g.text, r) {
                result.edits = [e]
                cache.remember(r, insert: e.newText, range: e.range, early: false)
            }
        case .fill, .infill, .rewrite:
            result = CompletionResult(edits: [])
            for hole in try RemotePrompt.holes(r) {
                guard let g = try generate(r, hole: hole, lines: .free, settings: settings, action: true, cancel: cancel, onFrame: onFrame) else { return .cancelled }
                result.networkMilliseconds += g.networkMs
                if let e = RemotePrompt.fillEdit(g.text, hole: hole, r) { result.edits.append(e) }
            }
        case .repair, .nextEdit:
            guard let g = try repair(r, settings: settings, cancel: cancel) else { return .cancelled }
            result = g
        case .edit:
            guard let g = try instructionEdit(r, cancel: cancel) else { return .cancelled }
            result = g
        }
        result.milliseconds = Double((ContinuousClock.now - t0) / .microseconds(1)) / 1000
        timings.record(r.kind, milliseconds: result.milliseconds)
        return result
    }

    // MARK: Context

    func context(_ r: CompletionRequest, hole: Swift.Range<Int>, settings: EngineSettings) -> (prefix: String, suffix: String) {
        RemotePrompt.context(r, hole: hole, contextTokens: settings.contextTokens)
    }

    func fileName(_ r: CompletionRequest) -> String { RemotePrompt.fileName(r) }

    // MARK: Generation (fill in the middle)

    /// The text for `hole`, streamed into frames as it arrives; nil when cancelled.
    func generate(_ r: CompletionRequest, hole: Swift.Range<Int>, lines: RemotePrompt.LineShape, settings: EngineSettings, action: Bool,
                  cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> (text: String, networkMs: Double)? {
        let (prefix, suffix) = context(r, hole: hole, settings: settings)
        var body: [String: Any] = ["model": model, "max_tokens": remote.maxTokens, "stream": true]
        if let stop = lines.stops { body["stop"] = stop }
        let path: String
        switch api {
        case .fim:
            path = "fim/completions"; body["prompt"] = prefix; body["suffix"] = suffix
        case .chat:
            path = "chat/completions"; body["temperature"] = 0
            body["messages"] = RemotePrompt.chatMessages(prefix: prefix, suffix: suffix, language: r.languageID, file: fileName(r), lines: lines)
            body["stop"] = nil
        case .completions:
            path = "completions"; body["temperature"] = 0
            if rejectsSuffix { body["prompt"] = RemotePrompt.completionsTemplate(prefix: prefix, suffix: suffix) }
            else { body["prompt"] = prefix; body["suffix"] = suffix }
        }
        let t0 = ContinuousClock.now
        func frame(_ text: String, _ n: Int) { onFrame(CanvasFrame(range: hole, text: text, maskedRanges: [], step: n, steps: 0)) }
        var answer: String?
        do {
            answer = try call(path, body, action: action, cancel: cancel, onText: frame)
        } catch RemoteError.status(_, 400, let detail) where api == .completions && !rejectsSuffix && detail.lowercased().contains("suffix") {
            // vLLM: "suffix is not currently supported". Fall back to the template, once, and remember.
            lock.lock(); suffixRejected = true; lock.unlock()
            body["prompt"] = RemotePrompt.completionsTemplate(prefix: prefix, suffix: suffix); body["suffix"] = nil
            answer = try call(path, body, action: action, cancel: cancel, onText: frame)
        }
        guard var text = answer else { return nil }
        if api == .chat { text = RemotePrompt.cleanChatAnswer(text, prefix: prefix, suffix: suffix) }
        return (text, Double((ContinuousClock.now - t0) / .microseconds(1)) / 1000)
    }

    var rejectsSuffix: Bool { lock.lock(); defer { lock.unlock() }; return suffixRejected }

    // MARK: Repair

    /// Inception: the next-edit model on the region (`/edit/completions`); chat: an instruction to fix
    /// mistakes with as few changes as possible. Only the changed part comes back.
    /// `.nextEdit` sends the region around the cursor with the recent edits as diffs (Inception's
    /// next-edit format), or asks the chat model to continue the user's edit.
    func repair(_ r: CompletionRequest, settings: EngineSettings, cancel: CancellationToken) throws -> CompletionResult? {
        let region = r.kind == .nextEdit ? NextEditFinder.lines(around: r.cursor..<r.cursor, in: r.utf8, count: NextEditFinder.window)
            : Repairer.region(r, finder: FunctionFinder())
        let old = r.slice(region)
        let (before, after) = context(r, hole: region, settings: settings)
        let diffs = r.recentEdits.map { "--- \(fileName(r))\n+++ \(fileName(r))\n-\($0.removed)\n+\($0.inserted)" }
        let t0 = ContinuousClock.now
        let answer: String?
        switch (kind, api) {
        case (.inception, _):
            let cursor = r.kind == .nextEdit ? r.cursor - region.lowerBound : nil
            let msg = RemotePrompt.editMessage(file: fileName(r), before: before, region: old, cursorInRegion: cursor, after: after, diffs: diffs)
            answer = try call("edit/completions", ["model": model, "max_tokens": remote.maxTokens * 8, "messages": [["role": "user", "content": msg]]],
                              action: true, cancel: cancel, onText: { _, _ in })
        case (_, .chat):
            let system = r.kind == .nextEdit
                ? "The user is editing code. Given their recent edits, make the edit that should come next in this region (for example the other uses of a renamed name), changing as little as possible. Reply with the region's code only, in one code block."
                : "You fix mistakes in code (typos, wrong names, wrong operators) changing as little as possible. Reply with the corrected code only, in one code block."
            let user = (diffs.isEmpty || r.kind != .nextEdit ? "" : "Recent edits:\n\(diffs.joined(separator: "\n"))\n\n") + "File: \(fileName(r))\n```\(r.languageID)\n\(old)\n```"
            answer = try call("chat/completions", ["model": model, "max_tokens": remote.maxTokens * 8, "temperature": 0,
                                                   "messages": [["role": "system", "content": system], ["role": "user", "content": user]]],
                              action: true, cancel: cancel, onText: { _, _ in })
        default:
            throw RemoteError.unsupported("repair needs a chat or Inception backend (remote.api is \(api.rawValue)). Hint: set remote.api to chat")
        }
        guard let answer else { return nil }
        let fixed = RemotePrompt.stripFences(answer)
        let edit = Repairer.minimalEdit(old: Array(old.utf8), new: Array(fixed.utf8), at: region.lowerBound)
        return CompletionResult(edits: edit.map { [$0] } ?? [], networkMilliseconds: Double((ContinuousClock.now - t0) / .microseconds(1)) / 1000)
    }

    /// Instruction edits: the instruction and the region as one chat message (both engines speak
    /// `chat/completions`); the answer's code block replaces the region, changed bytes only.
    func instructionEdit(_ r: CompletionRequest, cancel: CancellationToken) throws -> CompletionResult? {
        let instruction = (r.instruction ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !instruction.isEmpty else { throw CompletionError.nothingToDo("the instruction is empty; say what to change") }
        let region = Repairer.region(r, finder: FunctionFinder())
        let old = r.slice(region)
        let t0 = ContinuousClock.now
        let msg = InstructionEditor.message(instruction: instruction, code: old, languageID: r.languageID)
        guard let answer = try call("chat/completions", ["model": model, "max_tokens": remote.maxTokens * 8, "temperature": 0,
                                                         "messages": [["role": "user", "content": msg]]], action: true, cancel: cancel, onText: { _, _ in }) else { return nil }
        var new = RemotePrompt.stripFences(answer)
        if old.hasSuffix("\n") && !new.hasSuffix("\n") { new += "\n" }
        let edit = Repairer.minimalEdit(old: Array(old.utf8), new: Array(new.utf8), at: region.lowerBound)
        return CompletionResult(edits: edit.map { [$0] } ?? [], networkMilliseconds: Double((ContinuousClock.now - t0) / .microseconds(1)) / 1000)
    }

    // MARK: HTTP

    /// POSTs `body` to `base/path`, streaming where the answer is an event stream, and returns the
    /// answer's text (nil when cancelled). A 429 on an action waits for `Retry-After` once and retries.
    func call(_ path: String, _ body: [String: Any], action: Bool, cancel: CancellationToken,
              onText: (String, Int) -> Void) throws -> String? {
        let url = base.appendingPathComponent(path)
        var headers = ["Content-Type": "application/json", "Accept": "application/json, text/event-stream"]
        if let key { headers["Authorization"] = "Bearer \(key)" }
        guard let data = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) else {
            throw RemoteError.unsupported("the request to \(url.absoluteString) could not be encoded as JSON")
        }
        var retried = false
        while true {
            var events = ServerSentEvents()
            var text = "", n = 0, done = false
            var streamError: RemoteError?
            let response = try http.post(url, headers: headers, body: data, timeoutMs: remote.timeoutMs, cancel: cancel) { chunk in
                for event in events.feed(chunk) {
                    if event == "[DONE]" { done = true; continue }
                    do throws(RemoteError) { text += try Self.delta(event, url: url) } catch { streamError = error }
                    n += 1
                    onText(text, n)
                }
            }
            guard let response else { return nil }
            if response.status == 429, action, !retried, let wait = Int(response.headers["retry-after"] ?? ""), wait <= Self.maxRetryAfter {
                retried = true
                let until = ContinuousClock.now + .seconds(wait)
                while ContinuousClock.now < until { if cancel.isCancelled { return nil }; usleep(20_000) }
                continue
            }
            try Self.check(response, url: url, model: model, keyEnv: remote.apiKeyEnv, keySet: key != nil)
            if response.isEventStream {
                if let streamError { throw streamError }
                if !done && events.cutMidEvent { throw RemoteError.streamCut(url: url.absoluteString) }
                return text
            }
            return try Self.text(of: response.body, url: url)
        }
    }

    /// A failed status as the error a user can act on.
    static func check(_ r: HTTPResponse, url: URL, model: String, keyEnv: String?, keySet: Bool) throws(RemoteError) {
        let u = url.absoluteString
        guard !(200..<300).contains(r.status) else { return }
        let detail = errorDetail(r.body)
        switch r.status {
        case 401, 403: throw .unauthorized(url: u, status: r.status, keyEnv: keyEnv, keySet: keySet)
        case 404: throw .unknownModel(url: u, model: model, detail: detail)
        case 429: throw .rateLimited(url: u, retryAfter: Int(r.headers["retry-after"] ?? ""))
        case 400 where detail.lowercased().contains("model") && (detail.contains("not exist") || detail.contains("not found")):
            throw .unknownModel(url: u, model: model, detail: detail)
        default: throw .status(url: u, status: r.status, detail: detail)
        }
    }

    /// The message of an OpenAI-style error body (`{"error": {"message"}}` or vLLM's `{"message"}`), else its start.
    static func errorDetail(_ body: Data) -> String {
        if let o = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let e = o["error"] as? [String: Any], let m = e["message"] as? String { return m }
            if let m = o["message"] as? String { return m }
            if let m = o["detail"] as? String { return m }
        }
        return String(String(decoding: body.prefix(200), as: UTF8.self).prefix { $0 != "\n" })
    }

    /// `choices[0]`'s text in a whole JSON answer: `text` (completions, FIM) or `message.content` (chat).
    static func text(of body: Data, url: URL) throws(RemoteError) -> String {
        guard let o = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw .badBody(url: url.absoluteString, detail: body.isEmpty ? "an empty body" : "not JSON (starts \"\(String(decoding: body.prefix(40), as: UTF8.self))\")")
        }
        guard let c = (o["choices"] as? [[String: Any]])?.first else { throw .badBody(url: url.absoluteString, detail: "no choices") }
        if let t = c["text"] as? String { return t }
        if let t = (c["message"] as? [String: Any])?["content"] as? String { return t }
        throw .badBody(url: url.absoluteString, detail: "choices[0] has neither text nor message.content")
    }

    /// One streamed event's new text: `choices[0].text` or `choices[0].delta.content` (absent: "").
    static func delta(_ event: String, url: URL) throws(RemoteError) -> String {
        guard let o = try? JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any] else {
            throw .badBody(url: url.absoluteString, detail: "a stream event that is not JSON")
        }
        guard let c = (o["choices"] as? [[String: Any]])?.first else { return "" }
        if let t = c["text"] as? String { return t }
        return ((c["delta"] as? [String: Any])?["content"] as? String) ?? ""
    }
}
