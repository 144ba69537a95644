import Foundation
import LSP
import Completion

extension LanguageServer {
    /// How many suggestions an explicit (Invoked) request gets to cycle through.
    static let invokedSuggestions = 3

    /// `textDocument/inlineCompletion` (and the `textDocument/completion` fallback). Requests that
    /// cannot be for a place the user is (a line past the document's end, an older document version)
    /// and disabled features answer an empty list at once; the rest queue on the worker, after
    /// `debounceMs` for automatic requests.
    func inlineCompletion(_ id: RequestID, _ params: JSONValue, _ c: Connection, fallback: Bool) throws {
        let p = try JSONBridge.decode(InlineCompletionParams.self, from: params)
        if let kind = p.context?.triggerKind, !(0...2).contains(kind) {
            throw ResponseError.invalidParams("field 'context.triggerKind' must be 1 (Invoked) or 2 (Automatic), got \(kind)")
        }
        let doc = try document(p.textDocument.uri)
        let empty: JSONValue = fallback ? ["isIncomplete": false, "items": []] : ["items": []]
        let invoked = p.context?.invoked ?? false
        let s = settings.server
        // Requests queue behind a model load on the worker; only a disabled feature answers at once.
        guard s.enableInline, s.enableLanguages[doc.languageID] ?? s.enableLanguages["*"] ?? true else { reply(c, id, .success(empty)); return }
        if s.inlineTrigger == .manual && !invoked { reply(c, id, .success(empty)); return }
        if let v = p.textDocument.version, v != doc.version {
            logMessage(c, 4, "inline request for \(doc.uri) version \(v), but the document is at version \(doc.version); answered empty")
            reply(c, id, .success(empty)); return
        }
        guard p.position.line < doc.lineStarts.count else {
            logMessage(c, 4, "inline request at line \(p.position.line) of \(doc.uri), which has \(doc.lineStarts.count) lines; answered empty")
            reply(c, id, .success(empty)); return
        }
        let (cursor, clamped) = doc.offset(of: p.position, encoding: encoding)
        if clamped { logMessage(c, 4, "position \(p.position.line):\(p.position.character) is past the end of its line in \(doc.uri); clamped") }
        // A newer request for the same document supersedes the older one, which answers at once.
        if let old = latestInline[doc.uri] {
            answerLock.lock(); let t = tokens[old]; answerLock.unlock()
            if let t { t.cancel(); reply(c, old, .failure(.requestCancelled)); stats.cancelled += 1 }
        }
        latestInline[doc.uri] = id
        // With a selected completion-menu item, complete as if it were inserted, and extend it.
        let view: VirtualEdit
        if let sel = p.context?.selectedCompletionInfo, case let a = doc.offset(of: sel.range.start, encoding: encoding).offset,
           case let b = doc.offset(of: sel.range.end, encoding: encoding).offset, a <= b {
            view = VirtualEdit(document: doc.bytes, replacing: a..<b, with: sel.text)
        } else {
            view = .none(cursor: cursor, bytes: doc.bytes)
        }
        let neighbours = documents.recency.filter { $0 != doc.uri }.prefix(3).compactMap { documents[$0]?.text }
        var req = CompletionRequest(kind: .inline, uri: doc.uri, version: doc.version, languageID: doc.languageID, utf8: view.bytes,
                                    cursor: view.cursor, deadline: nil, neighbours: Array(neighbours))
        req.suggestions = invoked ? Self.invokedSuggestions : 1
        let deadlineMs = p.deadlineMs ?? s.deadlineMs
        let token = register(id)
        let encoding = self.encoding
        let start: @Sendable () -> Void = { [self, req] in
            var req = req
            req.deadline = .now + .milliseconds(deadlineMs)
            let job = Job(id: id, request: req, document: doc, token: token, encoding: encoding, settings: settings, progress: params["workDoneToken"])
            run(job, c) { result in
                let edits = (result.edits.prefix(1) + result.alternatives).map { view.toDocument($0) }.filter { !$0.newText.isEmpty }
                let data: JSONValue = ["early": .bool(result.early), "cached": .bool(result.cached), "ms": .int(Int(result.milliseconds)), "forwards": .int(result.forwards),
                                       "networkMs": .double(result.networkMilliseconds)]
                let items = edits.map { Self.item($0, doc: doc, cursor: cursor, encoding: encoding, fallback: fallback, data: data) }
                // An empty answer cut by the deadline says so (clients ignore the extra field).
                if items.isEmpty && result.early && !fallback { return ["items": [], "data": data] }
                return fallback ? ["isIncomplete": false, "items": .array(items)] : ["items": .array(items)]
            }
        }
        if !invoked && s.debounceMs > 0 {
            state.asyncAfter(deadline: .now() + .milliseconds(s.debounceMs)) { start() }   // superseded meanwhile: the job sees its token
        } else {
            start()
        }
    }

    /// One suggestion as an inline completion item (or a completion item for the fallback). An item that
    /// only inserts at the cursor carries no `range`, so no editor draws it over the text after the cursor.
    static func item(_ e: CompletionEdit, doc: TextDocument, cursor: Int, encoding: PositionEncoding, fallback: Bool, data: JSONValue) -> JSONValue {
        let range = Range(start: doc.position(of: e.range.lowerBound, encoding: encoding), end: doc.position(of: e.range.upperBound, encoding: encoding))
        let accept: JSONValue = ["title": "Accept Unmask suggestion", "command": "unmask.accept", "arguments": [["uri": .string(doc.uri), "length": .int(e.newText.count)]]]
        // Editors filter by the text between the range start and the cursor.
        let typed = String(decoding: doc.bytes[e.range.lowerBound..<max(e.range.lowerBound, cursor)], as: UTF8.self)
        if fallback {
            let label = e.newText.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? e.newText
            return ["label": .string(label.isEmpty ? e.newText : label), "kind": 1, "filterText": .string(typed + e.newText),
                    "textEdit": ["range": range.json, "newText": .string(e.newText)], "command": accept, "data": data]
        }
        var item: [String: JSONValue] = ["insertText": .string(e.newText), "filterText": .string(typed + e.newText), "command": accept, "data": data]
        if !(e.range.isEmpty && e.range.lowerBound == cursor) { item["range"] = range.json }
        return .object(item)
    }

    /// `textDocument/didShowCompletion` / `didPartiallyAcceptCompletion`: counted for `unmask.stats`.
    /// The rest of a partly accepted suggestion is offered again at once by the next request (typing
    /// through a suggestion needs no new denoise).
    func completionFeedback(_ method: String, _ params: JSONValue) {
        guard let p = try? JSONBridge.decode(CompletionFeedbackParams.self, from: params) else { return }
        if method == "textDocument/didShowCompletion" { stats.displayed += 1 }
        else { stats.partiallyAccepted += 1; stats.acceptedUnits += max(0, p.acceptedLength ?? 0) }
    }
}

/// The document as the backend sees it for one request: the real one, or with a selected
/// completion-menu item's text in place of its range. Edits come back in the real document's offsets.
struct VirtualEdit: Sendable {
    let bytes: [UInt8]
    let cursor: Int
    /// The replaced range in the real document and the text that replaced it.
    let replaced: Swift.Range<Int>?
    let text: [UInt8]

    static func none(cursor: Int, bytes: [UInt8]) -> VirtualEdit { VirtualEdit(bytes: bytes, cursor: cursor, replaced: nil, text: []) }

    private init(bytes: [UInt8], cursor: Int, replaced: Swift.Range<Int>?, text: [UInt8]) {
        self.bytes = bytes; self.cursor = cursor; self.replaced = replaced; self.text = text
    }

    init(document d: [UInt8], replacing r: Swift.Range<Int>, with s: String) {
        text = Array(s.utf8)
        bytes = Array(d[..<r.lowerBound]) + text + Array(d[r.upperBound...])
        cursor = r.lowerBound + text.count
        replaced = r
    }

    /// An edit of the virtual document as an edit of the real one: it covers at least the replaced
    /// range, and its text is the virtual document's after the edit over that span.
    func toDocument(_ e: CompletionEdit) -> CompletionEdit {
        guard let r = replaced else { return e }
        let vEnd = r.lowerBound + text.count                  // end of the inserted text in the virtual document
        let lower = min(e.range.lowerBound, r.lowerBound)
        let upperReal = r.upperBound + max(0, e.range.upperBound - vEnd)
        let upperVirtual = vEnd + (upperReal - r.upperBound)
        var after = bytes
        after.replaceSubrange(e.range, with: Array(e.newText.utf8))
        let length = upperVirtual - lower - e.range.count + e.newText.utf8.count
        return CompletionEdit(range: lower..<upperReal, newText: String(decoding: after[lower..<(lower + length)], as: UTF8.self))
    }
}
