/// Inline ghost text at the cursor. The hole's shape follows the line: mid-line (text right of the
/// cursor stays and is never duplicated), finishing the line, or the next lines from a blank line.
/// Asked for several suggestions, it adds the second most likely length and branches at the least
/// certain slots, keeping the distinct ones.
struct InlineCompleter {
    let decoder: LocalDecoder
    let cache: SuggestionCache
    let post = PostProcessor()

    /// Where the hole goes on the cursor's line, how many slots it has, and how the fill is cleaned.
    struct Shape {
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
    }

    func complete(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        if r.suggestions <= 1, let hit = cache.hit(r) { return hit }
        let shape = Shape(r, maxTokens: decoder.settings.maxTokens, multiline: decoder.settings.inlineMultiline)
        let fill = try decoder.denoise(r, hole: shape.hole, maskCount: shape.slots, cancel: cancel, onFrame: onFrame)
        if fill.cancelled { return .cancelled }
        guard let best = suggestion(fill.text, shape, r) else { return CompletionResult(edits: [], early: fill.early, forwards: fill.forwards) }
        cache.remember(r, insert: best.newText, range: best.range, early: fill.early)
        var result = CompletionResult(edits: [best], early: fill.early, forwards: fill.forwards)
        if r.suggestions > 1 && !fill.early {
            var seen: Set<String> = [best.newText]
            for candidate in alternatives(of: fill, count: r.suggestions - 1) {
                let alt = try decoder.alternative(of: fill, branch: candidate.branch, lengthChoice: candidate.lengthChoice, hole: shape.hole, cancel: cancel)
                if alt.cancelled { return .cancelled }
                result.forwards += alt.forwards
                if let e = suggestion(alt.text, shape, r), seen.insert(e.newText).inserted { result.alternatives.append(e) }
                if result.alternatives.count == r.suggestions - 1 { break }
            }
        }
        return result
    }

    /// What to try for alternatives, most promising first: the second most likely length, then a branch
    /// at each of the least certain content slots (smallest margin between the chosen token and the runner-up).
    func alternatives(of fill: Fill, count: Int) -> [(branch: (slot: Int, token: Int32)?, lengthChoice: Int)] {
        let uncertain = fill.result.decisions.enumerated()
            .compactMap { i, p in p.flatMap { $0.runnerUp >= 0 && $0.runnerUpLogProb > -.infinity ? (i, $0.runnerUp, $0.logProb - $0.runnerUpLogProb) : nil } }
            .sorted { $0.2 < $1.2 }
        return [(nil, 1)] + uncertain.prefix(count + 1).map { ((slot: $0.0, token: $0.1), 0) }
    }
    typealias Fill = LocalDecoder.Fill

    /// The editor's edit for a fill: cleaned for the shape; on a whitespace-only line whose fill starts
    /// with exactly that whitespace, the range stays at the cursor; nil when nothing but whitespace is left.
    func suggestion(_ raw: String, _ shape: Shape, _ r: CompletionRequest) -> CompletionEdit? {
        let text = post.clean(raw, shape: shape.post, following: Substring(r.slice(shape.hole.upperBound..<r.utf8.count)))
        if text.allSatisfy(\.isWhitespace) { return nil }
        var range = shape.hole
        var insert = text
        let replaced = r.slice(shape.hole.lowerBound..<r.cursor)
        if insert.hasPrefix(replaced) { insert.removeFirst(replaced.count); range = r.cursor..<shape.hole.upperBound }
        if case .midLine = shape.post { range = r.cursor..<r.cursor }
        if case .finishLine = shape.post, shape.restIsEmpty { range = range.lowerBound..<r.cursor }
        return CompletionEdit(range: range, newText: insert)
    }
}
