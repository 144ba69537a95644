/// Inline ghost text at the cursor. The hole's shape follows the line: mid-line (text right of the
/// cursor stays and is never duplicated), finishing the line, or the next lines from a blank line.
struct InlineCompleter {
    let decoder: LocalDecoder
    let cache: SuggestionCache
    let post = PostProcessor()

    func complete(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        if let hit = cache.hit(r) { return hit }
        let u = r.utf8, maxTokens = decoder.settings.maxTokens
        var lineStart = r.cursor
        while lineStart > 0 && u[lineStart - 1] != 10 && u[lineStart - 1] != 13 { lineStart -= 1 }
        var lineEnd = r.cursor
        while lineEnd < u.count && u[lineEnd] != 10 && u[lineEnd] != 13 { lineEnd += 1 }
        let before = r.slice(lineStart..<r.cursor), rest = r.slice(r.cursor..<lineEnd)
        let shape: PostProcessor.Shape
        var holeStart = r.cursor, holeEnd = r.cursor, n: Int
        if !rest.allSatisfy(\.isWhitespace) {
            shape = .midLine; n = min(maxTokens, HoleSizes.midLine)
        } else if !before.allSatisfy(\.isWhitespace) {
            shape = .finishLine; n = min(maxTokens, HoleSizes.finishLine)
            // A hole right after spaces would force the model to produce a space-less token: start it at the spaces.
            while holeStart > lineStart && (u[holeStart - 1] == 32 || u[holeStart - 1] == 9) { holeStart -= 1 }
            holeEnd = lineEnd
        } else {
            // Blank line: fill from the line start so the model chooses the indentation.
            shape = .lines(max: HoleSizes.nextLinesMaxLines); n = min(maxTokens, HoleSizes.nextLines)
            holeStart = lineStart; holeEnd = lineEnd
        }
        var fill = try decoder.denoise(r, hole: holeStart..<holeEnd, maskCount: n, cancel: cancel, onFrame: onFrame)
        if fill.cancelled { return .cancelled }
        fill.text = post.clean(fill.text, shape: shape, following: Substring(r.slice(holeEnd..<u.count)))
        if fill.text.allSatisfy(\.isWhitespace) { return CompletionResult(edits: [], early: fill.early, forwards: fill.forwards) }
        // On a whitespace-only line whose fill starts with exactly that whitespace, keep the range at the cursor.
        var range = holeStart..<holeEnd
        var text = fill.text
        let replaced = r.slice(holeStart..<r.cursor)
        if text.hasPrefix(replaced) { text.removeFirst(replaced.count); range = r.cursor..<holeEnd }
        if case .midLine = shape { range = r.cursor..<r.cursor }
        if case .finishLine = shape, rest.isEmpty { range = range.lowerBound..<r.cursor }
        cache.remember(r, insert: text, range: range, early: fill.early)
        return CompletionResult(edits: [CompletionEdit(range: range, newText: text)], early: fill.early, forwards: fill.forwards)
    }
}
