/// The next edit after the user's last one: where that edit leaves the code inconsistent.
/// 1. A renamed name: the last edit turned one use of `old` into `new` (both names, `old` still used
///    elsewhere and `new` not used before): each other use of `old` becomes `new`, a use at a time
///    through the repair gate (the region around it must not become less likely).
/// 2. Otherwise the code around the last edit (`window` lines either side) is repaired (`Repairer`):
///    a changed signature's call sites, a typo the edit made; the same margins, "no edit found" otherwise.
struct NextEditFinder {
    let decoder: LocalDecoder
    /// Lines either side of the last edit that the repair looks at.
    static let window = 6
    /// At most this many uses of a renamed name are proposed at once.
    static let maxUses = 32

    func nextEdit(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        guard let last = r.recentEdits.last, last.range.upperBound <= r.utf8.count else {
            var none = CompletionResult(edits: [])
            none.explanation = "no recent edit in this document to follow"
            return none
        }
        if let rename = Self.rename(last, in: r.utf8) {
            return try propagate(rename, r, cancel: cancel)
        }
        var around = r
        around.kind = .repair
        around.selection = Self.lines(around: last.range, in: r.utf8, count: Self.window)
        var result = try Repairer(decoder: decoder).repair(around, cancel: cancel, onFrame: onFrame)
        if result.edits.isEmpty, let why = result.explanation { result.explanation = why.replacingOccurrences(of: "no repair found", with: "no next edit found") }
        return result
    }

    /// The name the last edit changed, before and after, when it is a rename.
    static func rename(_ e: RecentEdit, in u: [UInt8]) -> (old: String, new: String, at: Swift.Range<Int>)? {
        guard let word = Identifiers.word(in: u, around: e.range.lowerBound) ?? Identifiers.word(in: u, around: e.range.upperBound),
              word.lowerBound <= e.range.lowerBound, word.upperBound >= e.range.upperBound else { return nil }
        let new = String(decoding: u[word], as: UTF8.self)
        let old = String(decoding: u[word.lowerBound..<e.range.lowerBound], as: UTF8.self) + e.removed
            + String(decoding: u[e.range.upperBound..<word.upperBound], as: UTF8.self)
        guard old != new, Identifiers.isName(old), Identifiers.isName(new) else { return nil }
        let ids = Identifiers(u).occurrences
        guard let uses = ids[old], !uses.isEmpty, (ids[new]?.count ?? 0) == 1 else { return nil }
        return (old, new, word)
    }

    /// Every other use of the old name renamed at once, when the lines holding them and the edit do
    /// not become less likely (scored together: one use at a time would be outvoted by the others).
    func propagate(_ rename: (old: String, new: String, at: Swift.Range<Int>), _ r: CompletionRequest, cancel: CancellationToken) throws -> CompletionResult {
        let uses = Array((Identifiers(r.utf8).occurrences[rename.old] ?? []).prefix(Self.maxUses))
        var result = CompletionResult(edits: [])
        guard let first = uses.first, let last = uses.last else { return result }
        let region = Self.lines(around: min(first.lowerBound, rename.at.lowerBound)..<max(last.upperBound, rename.at.upperBound), in: r.utf8, count: 0)
        let old = Array(r.utf8[region])
        var new = old
        for use in uses.reversed() {
            new.replaceSubrange((use.lowerBound - region.lowerBound)..<(use.upperBound - region.lowerBound), with: Array(rename.new.utf8))
        }
        let scorer = RegionScorer(decoder: decoder)
        guard let a = try scorer.score(r, region: region, text: old, forwards: &result.forwards, cancel: cancel),
              let b = try scorer.score(r, region: region, text: new, forwards: &result.forwards, cancel: cancel) else { return .cancelled }
        if b.mean >= a.mean { result.edits = uses.map { CompletionEdit(range: $0, newText: rename.new) } }
        else { result.explanation = String(format: "no next edit found: renaming the other uses of %@ to %@ makes the code less likely (mean log p %.2f vs %.2f)", rename.old, rename.new, b.mean, a.mean) }
        return result
    }

    /// Whole lines from `count` lines before `range` to `count` lines after it (the last newline excluded).
    static func lines(around range: Swift.Range<Int>, in u: [UInt8], count: Int) -> Swift.Range<Int> {
        var a = min(range.lowerBound, u.count), b = min(range.upperBound, u.count)
        var n = 0
        while a > 0 { if u[a - 1] == 10 { if n == count { break }; n += 1 }; a -= 1 }
        n = 0
        while b < u.count { if u[b] == 10 { if n == count { break }; n += 1 }; b += 1 }
        return a..<b
    }
}
