/// Inline ghost text at the cursor. The hole's shape follows the line: mid-line (text right of the
/// cursor stays and is never duplicated), finishing the line, or the next lines from a blank line.
/// Asked for several suggestions, it adds the second most likely length and branches at the least
/// certain slots, keeping the distinct ones.
struct InlineCompleter {
    let decoder: LocalDecoder
    let cache: SuggestionCache

    func complete(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        if r.suggestions <= 1, let hit = cache.hit(r) { return hit }
        let shape = InlineShape(r, maxTokens: decoder.settings.maxTokens, multiline: decoder.settings.inlineMultiline)
        let fill = try decoder.denoise(r, hole: shape.hole, maskCount: shape.slots, cancel: cancel, onFrame: onFrame)
        if fill.cancelled { return .cancelled }
        guard let best = shape.suggestion(fill.text, r) else { return CompletionResult(edits: [], early: fill.early, forwards: fill.forwards) }
        cache.remember(r, insert: best.newText, range: best.range, early: fill.early)
        var result = CompletionResult(edits: [best], early: fill.early, forwards: fill.forwards)
        if r.suggestions > 1 && !fill.early {
            var seen: Set<String> = [best.newText]
            for candidate in alternatives(of: fill, count: r.suggestions - 1) {
                let alt = try decoder.alternative(of: fill, branch: candidate.branch, lengthChoice: candidate.lengthChoice, hole: shape.hole, cancel: cancel)
                if alt.cancelled { return .cancelled }
                result.forwards += alt.forwards
                if let e = shape.suggestion(alt.text, r), seen.insert(e.newText).inserted { result.alternatives.append(e) }
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
}
