import Foundation
import LSP
import Completion

/// Edits that change code the user wrote (fill, rewrite, repair, instruction edits, next edits) are
/// proposals: each answer carries a `WorkspaceEdit` whose edits are annotated `needsConfirmation`
/// (VS Code shows its refactor preview; Neovim's plugin shows a diff), and the server applies one
/// through `workspace/applyEdit` only when the command's arguments ask for it (`apply: true`).
extension LanguageServer {
    static let editCommands: [String: CompletionKind] = ["unmask.fill": .fill, "unmask.rewrite": .rewrite, "unmask.repair": .repair,
                                                         "unmask.edit": .edit, "unmask.nextEdit": .nextEdit]

    /// `unmask.fill|rewrite|repair|edit|nextEdit` with `{uri, range, instruction?, apply?}`: queued behind
    /// a model load like inline requests; answers `{edits, edit, message?, early, ms}`.
    func editCommand(_ id: RequestID, _ kind: CompletionKind, _ arg: JSONValue?, _ c: Connection) throws {
        guard let arg, case .object = arg, let uri = arg["uri"]?.stringValue else {
            throw ResponseError.invalidParams("field 'arguments[0]' must be {uri, range\(kind == .edit ? ", instruction" : "")}")
        }
        let doc = try document(uri)
        let range: Swift.Range<Int>
        if let r = arg["range"], r != .null {
            let a = try JSONBridge.decode(Range.self, from: r)
            let lo = doc.offset(of: a.start, encoding: encoding), hi = doc.offset(of: a.end, encoding: encoding)
            guard a.start.line < doc.lineStarts.count, a.end.line < doc.lineStarts.count else {
                throw ResponseError.invalidParams("field 'arguments[0].range' (lines \(a.start.line)-\(a.end.line)) is outside \(uri), which has \(doc.lineStarts.count) lines; the document is unchanged")
            }
            guard lo.offset <= hi.offset else { throw ResponseError.invalidParams("field 'arguments[0].range' has start after end") }
            range = lo.offset..<hi.offset
        } else if kind == .nextEdit, let p = arg["position"] {
            let o = doc.offset(of: try JSONBridge.decode(Position.self, from: p), encoding: encoding).offset
            range = o..<o
        } else {
            throw ResponseError.invalidParams("field 'arguments[0].range' is missing")
        }
        var req = CompletionRequest(kind: kind, uri: doc.uri, version: doc.version, languageID: doc.languageID, utf8: doc.bytes,
                                    cursor: range.lowerBound, selection: range, deadline: nil)
        if kind == .edit {
            guard let instruction = arg["instruction"]?.stringValue, !instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ResponseError.invalidParams("field 'arguments[0].instruction' must say what to change (it is empty)")
            }
            req.instruction = instruction
        }
        if kind == .nextEdit { req.selection = nil; req.recentEdits = doc.recentEdits }
        let apply = arg["apply"]?.boolValue ?? false
        let progress: JSONValue? = progressSupported ? beginProgress(c, title: "Unmask: \(Self.title(kind))") : nil
        let job = Job(id: id, request: req, document: doc, token: register(id), encoding: encoding, settings: settings, progress: progress)
        let applyOK = applyEditSupported
        run(job, c) { [self] result in
            if let progress { endProgress(c, progress, result.edits.isEmpty ? result.explanation ?? "no change" : "\(result.edits.count) edit(s)") }
            let wsEdit = workspaceEdit(result, doc, job.encoding, kind)
            if apply && !result.edits.isEmpty {
                if applyOK { applyEdit(c, wsEdit, label: "Unmask: \(Self.title(kind))") }
                else { showMessage(c, 2, "Unmask: this editor cannot apply edits sent by the server (no workspace.applyEdit capability); the edit is in the command's answer") }
            }
            var o: [String: JSONValue] = ["edits": .int(result.edits.count), "edit": wsEdit, "early": .bool(result.early), "ms": .int(Int(result.milliseconds))]
            if let m = result.explanation { o["message"] = .string(m) }
            return .object(o)
        }
    }

    /// `unmask/nextEdit {textDocument, position}` → `{edits: TextEdit[], range: Range | null, message?}`:
    /// the edit the user's recent edits in that document call for next.
    func nextEdit(_ id: RequestID, _ params: JSONValue, _ c: Connection) throws {
        guard let uri = params["textDocument"]?["uri"]?.stringValue, let pos = params["position"] else {
            throw ResponseError.invalidParams("unmask/nextEdit needs {textDocument: {uri}, position}")
        }
        let doc = try document(uri)
        let p = try JSONBridge.decode(Position.self, from: pos)
        guard p.line < doc.lineStarts.count else { reply(c, id, .success(["edits": [], "range": .null])); return }
        let o = doc.offset(of: p, encoding: encoding).offset
        var req = CompletionRequest(kind: .nextEdit, uri: doc.uri, version: doc.version, languageID: doc.languageID, utf8: doc.bytes, cursor: o)
        req.recentEdits = doc.recentEdits
        let job = Job(id: id, request: req, document: doc, token: register(id), encoding: encoding, settings: settings, progress: nil)
        run(job, c) { result in
            let edits: [JSONValue] = result.edits.map { e in
                ["range": Range(start: doc.position(of: e.range.lowerBound, encoding: job.encoding), end: doc.position(of: e.range.upperBound, encoding: job.encoding)).json,
                 "newText": .string(e.newText)]
            }
            var out: [String: JSONValue] = ["edits": .array(edits), "range": .null]
            if let lo = result.edits.map(\.range.lowerBound).min(), let hi = result.edits.map(\.range.upperBound).max() {
                out["range"] = Range(start: doc.position(of: lo, encoding: job.encoding), end: doc.position(of: hi, encoding: job.encoding)).json
            }
            if let m = result.explanation { out["message"] = .string(m) }
            return .object(out)
        }
    }

    static func title(_ k: CompletionKind) -> String {
        switch k {
        case .nextEdit: return "next edit"
        case .edit: return "edit"
        default: return k.rawValue
        }
    }

    /// The proposal as a WorkspaceEdit: `documentChanges` with the document's version and edits
    /// annotated `needsConfirmation` (label and a description of each change), and the same edits as
    /// plain `changes` for clients without versioned edits.
    func workspaceEdit(_ result: CompletionResult, _ doc: TextDocument, _ enc: PositionEncoding, _ kind: CompletionKind) -> JSONValue {
        let annotation = "unmask.\(kind.rawValue)"
        var plain: [JSONValue] = [], annotated: [JSONValue] = [], lines: [String] = []
        for e in result.edits {
            let r = Range(start: doc.position(of: e.range.lowerBound, encoding: enc), end: doc.position(of: e.range.upperBound, encoding: enc))
            plain.append(["range": r.json, "newText": .string(e.newText)])
            annotated.append(["range": r.json, "newText": .string(e.newText), "annotationId": .string(annotation)])
            func short(_ s: String) -> String { let t = s.replacingOccurrences(of: "\n", with: "⏎"); return t.count > 60 ? String(t.prefix(57)) + "…" : t }
            lines.append("line \(r.start.line + 1): '\(short(String(decoding: doc.bytes[e.range], as: UTF8.self)))' → '\(short(e.newText))'")
        }
        return [
            "changes": [doc.uri: .array(plain)],
            "documentChanges": [["textDocument": ["uri": .string(doc.uri), "version": .int(doc.version)], "edits": .array(annotated)]],
            "changeAnnotations": [annotation: ["label": .string("Unmask: \(Self.title(kind))"), "needsConfirmation": true,
                                               "description": .string(lines.isEmpty ? "no change" : lines.joined(separator: "; "))]],
        ]
    }

    /// `workspace/applyEdit`; a client that refuses it is told the document was left as it was.
    func applyEdit(_ c: Connection, _ edit: JSONValue, label: String) {
        c.request("workspace/applyEdit", ["label": .string(label), "edit": edit]) { [self] r in
            switch r {
            case .success(let v) where v["applied"]?.boolValue == false:
                let why = v["failureReason"]?.stringValue ?? "no reason given"
                state.async { self.showMessage(c, 2, "Unmask: the editor did not apply the edit (\(why)); the document is unchanged") }
            case .failure(let e):
                state.async { self.showMessage(c, 2, "Unmask: workspace/applyEdit failed (\(e)); the document is unchanged") }
            default: break
            }
        }
    }
}
