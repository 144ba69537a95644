import Foundation

/// The text a text-in, text-out engine is given for a hole, and what is done to its answer: the remote
/// engines, and DiffusionGemma run locally (`GemmaBackend`, which has no mask token and gets the chat
/// form).
///
/// - `chat`: a system message saying what to answer and one user message holding the file with the
///   gap marked `<|fill|>` (vLLM and SGLang accept no `suffix` for diffusion models, so the suffix
///   travels in the prompt). Instruct models like to add fences and repeat the code around the gap;
///   `cleanChatAnswer` strips both.
/// - `completions`: `prompt` = prefix with `suffix` as its own field where the server accepts it, or the
///   prompt-only template `<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>`.
/// - `fim` (Inception): `prompt` and `suffix` as they are.
enum RemotePrompt {
    static let gap = "<|fill|>"

    /// The text before and after `hole`, cut at line boundaries to the context budget (about four
    /// bytes a token; two thirds before the hole, one third after): what is sent, and nothing more.
    static func context(_ r: CompletionRequest, hole: Swift.Range<Int>, contextTokens: Int) -> (prefix: String, suffix: String) {
        let budget = contextTokens * 4
        var start = max(0, hole.lowerBound - budget * 2 / 3)
        if start > 0 { while start < hole.lowerBound && r.utf8[start - 1] != 10 { start += 1 } }
        var end = min(r.utf8.count, hole.upperBound + budget / 3)
        if end < r.utf8.count { while end > hole.upperBound && r.utf8[end - 1] != 10 { end -= 1 } }
        return (r.slice(start..<hole.lowerBound), r.slice(hole.upperBound..<end))
    }

    /// An inline request's shape for a text engine, which continues from the cursor: the line's
    /// indentation and the spaces before the cursor are part of its prompt (the local hole starts
    /// earlier for the tokenizer's sake); and how many lines its answer may take.
    static func inlineShape(_ r: CompletionRequest, settings: EngineSettings) -> (shape: InlineShape, lines: LineShape) {
        var shape = InlineShape(r, maxTokens: settings.maxTokens, multiline: settings.inlineMultiline)
        shape.hole = r.cursor..<shape.hole.upperBound
        if case .lines = shape.post { return (shape, .someLines) }
        return (shape, .restOfLine)
    }

    static func fileName(_ r: CompletionRequest) -> String { URL(string: r.uri)?.lastPathComponent ?? r.uri }

    /// The holes of a fill, infill or rewrite: the selection (or the cursor); a fill's selection with
    /// marker holes in it gives those; a rewrite takes the selection or the enclosing function's body.
    static func holes(_ r: CompletionRequest) throws -> [Swift.Range<Int>] {
        if r.kind == .rewrite {
            guard let body = r.selection.flatMap({ $0.isEmpty ? nil : $0 }) ?? FunctionFinder().enclosingBody(in: r.text, at: r.cursor, languageID: r.languageID) else {
                throw CompletionError.nothingToDo("no enclosing function found at the cursor; select the code to rewrite")
            }
            return [body]
        }
        if r.kind == .fill, let sel = r.selection {
            let markers = EditCompleter.markerHoles(in: r.slice(sel), at: sel.lowerBound)
            if !markers.isEmpty { return markers }
        }
        return [r.selection ?? (r.cursor..<r.cursor)]
    }

    /// A fill's answer for `hole`, cleaned like the local engine's (`PostProcessor`: nothing the
    /// following text already has), cut to `maxLines`; nil when a rewrite changes nothing.
    static func fillEdit(_ answer: String, hole: Swift.Range<Int>, _ r: CompletionRequest) -> CompletionEdit? {
        var text = PostProcessor().clean(answer, shape: .free, following: Substring(r.slice(hole.upperBound..<r.utf8.count)))
        if let m = r.maxLines {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > m { text = lines.prefix(m).joined(separator: "\n") + "\n" }
        }
        return r.kind == .rewrite && text == r.slice(hole) ? nil : CompletionEdit(range: hole, newText: text)
    }

    static func chatMessages(prefix: String, suffix: String, language: String, file: String, lines: LineShape) -> [[String: String]] {
        let system = """
        You complete code. The user sends a \(language) file with one gap marked \(gap). Reply with only the code \
        that belongs in the gap (\(lines.phrase)): no explanation, no code fences, and nothing from before or after the gap.
        """
        let user = "File: \(file)\n```\(language)\n\(prefix)\(gap)\(suffix)\n```"
        return [["role": "system", "content": system], ["role": "user", "content": user]]
    }

    static func completionsTemplate(prefix: String, suffix: String) -> String {
        "<|fim_prefix|>\(prefix)<|fim_suffix|>\(suffix)<|fim_middle|>"
    }

    /// How many lines the gap should take, for the chat instruction and the stop sequences.
    enum LineShape {
        case restOfLine, someLines, free
        var phrase: String {
            switch self {
            case .restOfLine: return "the rest of one line"
            case .someLines: return "a few lines at most"
            case .free: return "as much as the gap needs"
            }
        }
        var stops: [String]? {
            switch self {
            case .restOfLine: return ["\n"]
            case .someLines: return ["\n\n"]
            case .free: return nil
            }
        }
    }

    /// Code fences removed, and text the model echoed from before or after the gap cut off: the longest
    /// tail of `prefix` (at least a whole line, or 8 characters) that the answer starts with, and the
    /// longest head of `suffix` it ends with.
    static func cleanChatAnswer(_ raw: String, prefix: String, suffix: String) -> String {
        var s = stripFences(raw)
        let pre = Array(prefix.suffix(400)), head = Array(s)
        var cut = 0
        for k in stride(from: min(pre.count, head.count), through: 1, by: -1) where Array(pre[(pre.count - k)...]) == Array(head[..<k]) {
            let whole = k == pre.count || pre[pre.count - k - 1] == "\n"
            if k >= 8 || (whole && k >= 2) { cut = k }
            break
        }
        s.removeFirst(cut)
        let suf = Array(suffix.prefix(400)), tail = Array(s)
        for k in stride(from: min(suf.count, tail.count), through: 1, by: -1) where Array(suf[..<k]) == Array(tail[(tail.count - k)...]) {
            if k >= 8 || (k >= 2 && (k == suf.count || suf[k] == "\n")) { s.removeLast(k) }
            break
        }
        return s
    }

    /// The body of the first fenced block when the answer has one (```lang … ```), else the answer.
    static func stripFences(_ s: String) -> String {
        guard let open = s.range(of: "```") else { return s }
        guard let lineEnd = s[open.upperBound...].firstIndex(of: "\n") else { return s }
        let body = s[s.index(after: lineEnd)...]
        guard let close = body.range(of: "```") else { return String(body) }
        var inner = body[..<close.lowerBound]
        if inner.last == "\n" { inner = inner.dropLast() }
        return String(inner)
    }

    // MARK: Inception's next-edit and apply formats (docs.inceptionlabs.ai, "Next edit")

    static func editMessage(file: String, before: String, region: String, cursorInRegion: Int?, after: String,
                            recent: [(file: String, code: String)] = [], diffs: [String] = []) -> String {
        var region = region
        if let c = cursorInRegion, c <= region.utf8.count {
            let i = region.utf8.index(region.utf8.startIndex, offsetBy: c)
            region.insert(contentsOf: "<|cursor|>", at: i)
        }
        let snippets = recent.map { "<|recently_viewed_code_snippet|>\ncode_snippet_file_path: \($0.file)\n\($0.code)\n<|/recently_viewed_code_snippet|>" }
        return """
        <|recently_viewed_code_snippets|>
        \(snippets.joined(separator: "\n"))
        <|/recently_viewed_code_snippets|>

        <|current_file_content|>
        current_file_path: \(file)
        \(before)<|code_to_edit|>
        \(region)
        <|/code_to_edit|>
        \(after)
        <|/current_file_content|>

        <|edit_diff_history|>
        \(diffs.joined(separator: "\n"))
        <|/edit_diff_history|>
        """
    }

    static func applyMessage(original: String, update: String) -> String {
        "<|original_code|>\n\(original)\n<|/original_code|>\n\n<|update_snippet|>\n\(update)\n<|/update_snippet|>"
    }
}
