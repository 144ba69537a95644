/// Where an inline hole goes on the cursor's line, how many slots it has, how its fill is cleaned, and
/// how a fill becomes the editor's edit. Shared by the local and remote backends.
struct InlineShape {
    var hole: Swift.Range<Int>
    var slots: Int
    var post: PostProcessor.Shape
    /// Nothing (but whitespace) follows the cursor on its line.
    var restIsEmpty: Bool

    init(_ r: CompletionRequest, maxTokens: Int, multiline: EngineSettings.MultilineMode) {
        let u = r.utf8
        var lineStart = r.cursor
        while lineStart > 0 && u[lineStart - 1] != 10 && u[lineStart - 1] != 13 { lineStart -= 1 }
        var lineEnd = r.cursor
        while lineEnd < u.count && u[lineEnd] != 10 && u[lineEnd] != 13 { lineEnd += 1 }
        let before = r.slice(lineStart..<r.cursor), rest = r.slice(r.cursor..<lineEnd)
        restIsEmpty = rest.isEmpty
        var start = r.cursor, end = r.cursor
        let lines = multiline == .never ? 1 : HoleSizes.nextLinesMaxLines
        if !rest.allSatisfy(\.isWhitespace) {
            post = .midLine; slots = min(maxTokens, HoleSizes.midLine)
        } else if !before.allSatisfy(\.isWhitespace) {
            post = multiline == .always ? .lines(max: lines) : .finishLine
            slots = min(maxTokens, multiline == .always ? HoleSizes.nextLines : HoleSizes.finishLine)
            // A hole right after spaces would force the model to produce a space-less token: start it at the spaces.
            while start > lineStart && (u[start - 1] == 32 || u[start - 1] == 9) { start -= 1 }
            end = lineEnd
        } else {
            // Blank line: fill from the line start so the model chooses the indentation.
            post = .lines(max: lines); slots = min(maxTokens, HoleSizes.nextLines)
            start = lineStart; end = lineEnd
        }
        hole = start..<end
    }

    /// The editor's edit for a fill: cleaned for the shape; on a whitespace-only line whose fill starts
    /// with exactly that whitespace, the range stays at the cursor; nil when nothing but whitespace is left.
    func suggestion(_ raw: String, _ r: CompletionRequest) -> CompletionEdit? {
        let text = PostProcessor().clean(raw, shape: post, following: Substring(r.slice(hole.upperBound..<r.utf8.count)))
        if text.allSatisfy(\.isWhitespace) { return nil }
        var range = hole
        var insert = text
        let replaced = r.slice(hole.lowerBound..<r.cursor)
        if insert.hasPrefix(replaced) { insert.removeFirst(replaced.count); range = r.cursor..<hole.upperBound }
        if case .midLine = post { range = r.cursor..<r.cursor }
        if case .finishLine = post, restIsEmpty { range = range.lowerBound..<r.cursor }
        return CompletionEdit(range: range, newText: insert)
    }
}
