import Foundation
import Denoiser

/// Repair that only fixes: every token of the region is scored with both sides in view; where the
/// original is unlikely, candidates come from the document's own identifiers within a small edit
/// distance, from the likeliest other token there, and from re-denoising the suspicious word; a
/// candidate is kept only when it passes the gate (`passes`: `repairMargin` nats).
/// Otherwise the answer is "no repair found", never a rewrite. Edits are the changed bytes only.
struct Repairer {
    let decoder: LocalDecoder
    let finder = FunctionFinder()
    /// At most this many suspicious words are looked at, and this many candidates scored.
    static let maxSpans = 6, maxCandidates = 16

    var bundle: ModelBundle { decoder.bundle }
    var settings: EngineSettings { decoder.settings }
    var scorer: RegionScorer { RegionScorer(decoder: decoder) }

    /// Bytes `range` of the region become `text`.
    struct Change: Hashable {
        var range: Swift.Range<Int>
        var text: String
    }

    func repair(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let region = Self.region(r, finder: finder)
        let old = Array(r.utf8[region])
        guard !old.isEmpty else { throw CompletionError.nothingToDo("the region to repair is empty") }
        var forwards = 0
        guard let base = try scorer.score(r, region: region, text: old, forwards: &forwards, cancel: cancel) else { return .cancelled }
        let prose = CodeShape(old, languageID: r.languageID).prose
        let suspicious = suspiciousSpans(base, old).filter { span in !prose.contains { $0.overlaps(span) } }
        guard !suspicious.isEmpty else {
            let lowest = base.scores.map(\.logProbability).min().map { expf($0) } ?? 1
            return noRepair(String(format: "every token is likely (the least likely has p = %.3f, the bar is %.3f)", lowest, settings.repairSuspicion), forwards)
        }
        var candidates: [Change] = []
        func add(_ c: Change) { if !candidates.contains(c) && candidates.count < Self.maxCandidates { candidates.append(c) } }
        let identifiers = Identifiers(r.utf8)
        for span in suspicious {
            identifierChanges(span, old, identifiers).forEach(add)
            alternativeChanges(span, base, old).forEach(add)
            if let c = try denoisedChange(r, region: region, span: span, base: base, old: old, forwards: &forwards, cancel: cancel) { add(c) }
            if cancel.isCancelled { return .cancelled }
        }
        var accepted: [(change: Change, gain: Float)] = []
        for c in candidates {
            guard let kind = Self.kind(of: c, old) else { continue }
            let text = Self.apply([c], to: old)
            guard let s = try scorer.score(r, region: region, text: text, forwards: &forwards, cancel: cancel) else { return .cancelled }
            var gain = s.total - base.total
            if kind == .spelling {
                // A name is judged whole: every token of it masked at once, so the context (the name's
                // other uses) must predict it; the region must also score better per token.
                let before = try scorer.wordScore(r, region: region, text: old, span: c.range, forwards: &forwards)
                let after = try scorer.wordScore(r, region: region, text: text, span: c.range.lowerBound..<(c.range.lowerBound + c.text.utf8.count), forwards: &forwards)
                guard s.mean > base.mean else { continue }
                gain = after - before
            }
            if passes(gain: gain, s, over: base, kind) { accepted.append((c, gain)) }
        }
        let chosen = try combine(accepted, r, region: region, old: old, base: base, forwards: &forwards, cancel: cancel)
        guard let chosen else { return cancel.isCancelled ? .cancelled : noRepair("no candidate made the code likelier by \(settings.repairMargin) nats", forwards) }
        let edits = chosen.sorted { $0.range.lowerBound < $1.range.lowerBound }.compactMap { c in
            Self.minimalEdit(old: Array(old[c.range]), new: Array(c.text.utf8), at: region.lowerBound + c.range.lowerBound)
        }
        return CompletionResult(edits: edits, forwards: forwards)
    }

    /// The selection, else the enclosing function's body, else the cursor's line.
    static func region(_ r: CompletionRequest, finder: FunctionFinder) -> Swift.Range<Int> {
        r.selection.flatMap({ $0.isEmpty ? nil : $0 }) ?? finder.enclosingBody(in: r.text, at: r.cursor, languageID: r.languageID) ?? lineRange(r.utf8, r.cursor)
    }

    func noRepair(_ why: String, _ forwards: Int) -> CompletionResult {
        var res = CompletionResult(edits: [], forwards: forwards)
        res.explanation = "no repair found: \(why)"
        return res
    }

    // MARK: Steps

    /// The words (identifiers, else the token's own bytes without surrounding spaces) holding a token
    /// below the suspicion bar, least likely first, merged where they overlap.
    func suspiciousSpans(_ s: RegionScorer.Scored, _ text: [UInt8]) -> [Swift.Range<Int>] {
        let bar = logf(settings.repairSuspicion)
        var spans: [(Swift.Range<Int>, Float)] = []
        for (i, sc) in s.scores.enumerated() where sc.logProbability < bar {
            var span = s.spans[i]
            if let w = Identifiers.word(in: text, around: span.lowerBound), w.overlaps(span) || w.upperBound == span.lowerBound + 1 { span = w.clamped(to: 0..<text.count) }
            else {
                var a = span.lowerBound, b = span.upperBound
                while a < b && (text[a] == 0x20 || text[a] == 0x09) { a += 1 }
                while b > a && (text[b - 1] == 0x20 || text[b - 1] == 0x09 || text[b - 1] == 0x0A) { b -= 1 }
                if a == b { continue }                                  // whitespace alone is never repaired
                span = a..<b
            }
            if let k = spans.firstIndex(where: { $0.0.overlaps(span) }) {
                spans[k] = (min(spans[k].0.lowerBound, span.lowerBound)..<max(spans[k].0.upperBound, span.upperBound), min(spans[k].1, sc.logProbability))
            } else { spans.append((span, sc.logProbability)) }
        }
        return spans.sorted { $0.1 < $1.1 }.prefix(Self.maxSpans).map(\.0)
    }

    /// A misspelt name: the document's names one edit away (two for long names), used at least as often.
    func identifierChanges(_ span: Swift.Range<Int>, _ text: [UInt8], _ ids: Identifiers) -> [Change] {
        guard text[span].allSatisfy(Identifiers.isPart) else { return [] }
        return ids.neighbours(of: String(decoding: text[span], as: UTF8.self)).prefix(3).map { Change(range: span, text: $0) }
    }

    /// The likeliest other token at a suspicious slot inside the span, when the model prefers it.
    func alternativeChanges(_ span: Swift.Range<Int>, _ s: RegionScorer.Scored, _ text: [UInt8]) -> [Change] {
        let bar = logf(settings.repairSuspicion)
        return s.scores.indices.compactMap { i in
            let sc = s.scores[i]
            guard s.spans[i].overlaps(span), sc.logProbability < bar, sc.alternative >= 0, sc.alternativeLogProbability > sc.logProbability else { return nil }
            let alt = bundle.tokenizer.decodeBytes([sc.alternative])
            let orig = text[s.spans[i]]
            // A line break is never added or removed by a token swap (layout is not repair's business).
            guard alt.contains(0x0A) == orig.contains(0x0A) else { return nil }
            return Change(range: s.spans[i], text: String(decoding: alt, as: UTF8.self))
        }
    }

    /// The span's tokens masked and denoised again with everything else fixed; the bytes that changed.
    func denoisedChange(_ r: CompletionRequest, region: Swift.Range<Int>, span: Swift.Range<Int>, base: RegionScorer.Scored, old: [UInt8],
                        forwards: inout Int, cancel: CancellationToken) throws -> Change? {
        var template = base.tokens
        for i in template.indices where base.spans[i].overlaps(span) { template[i] = bundle.maskID }
        let f = try decoder.denoise(r, hole: region, maskCount: template.count, template: template, cancel: cancel, onFrame: { _ in })
        forwards += f.forwards
        guard !f.cancelled, let e = Self.minimalEdit(old: old, new: Array(f.text.utf8), at: 0) else { return nil }
        // Repairs are local: a change reaching well beyond the masked word is a rewrite, not a fix.
        guard e.range.lowerBound >= span.lowerBound - 8, e.range.upperBound <= span.upperBound + 8 else { return nil }
        return Change(range: e.range, text: e.newText)
    }

    /// What a candidate fixes; nil for a change repair never proposes.
    enum Fix { case spelling, symbol }

    /// A spelling fix turns a name into a name within one edit (two for 10+ characters), the rest of
    /// the changed bytes equal; a symbol fix changes operators, punctuation or literals only. A name
    /// replaced by another word is a rewrite, never a repair.
    static func kind(of c: Change, _ old: [UInt8]) -> Fix? {
        let a = trimmed(old[c.range]), b = trimmed(Array(c.text.utf8)[...])
        let aNames = Identifiers(Array(a)).occurrences, bNames = Identifiers(Array(b)).occurrences
        if aNames.isEmpty && bNames.isEmpty { return .symbol }
        guard aNames.count == 1, bNames.count == 1, let x = aNames.keys.first, let y = bNames.keys.first, x.utf8.count >= 3 else { return nil }
        // Anything around the name must stay as it was.
        guard a.count - x.utf8.count == b.count - y.utf8.count else { return nil }
        let limit = x.utf8.count >= 10 ? 2 : 1
        return Identifiers.distance(Array(x.utf8), Array(y.utf8), limit: limit) <= limit ? .spelling : nil
    }

    static func trimmed(_ b: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = b
        while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
        return s
    }

    /// The gate: a spelling fix makes its name likelier by the margin (judged whole, `wordScore`); a
    /// symbol fix makes the region likelier by twice the margin and per token (the model's own
    /// prediction in a slot always scores well there, so that gain is inflated).
    func passes(gain: Float, _ s: RegionScorer.Scored, over base: RegionScorer.Scored, _ kind: Fix) -> Bool {
        kind == .spelling ? gain >= settings.repairMargin : gain >= 2 * settings.repairMargin && s.mean > base.mean
    }

    /// The accepted changes that do not overlap, best first, if together they still pass; else the best one.
    func combine(_ accepted: [(change: Change, gain: Float)], _ r: CompletionRequest, region: Swift.Range<Int>, old: [UInt8], base: RegionScorer.Scored,
                 forwards: inout Int, cancel: CancellationToken) throws -> [Change]? {
        let ranked = accepted.sorted { $0.gain > $1.gain }.map(\.change)
        guard let best = ranked.first else { return nil }
        var set: [Change] = []
        for c in ranked where !set.contains(where: { $0.range.overlaps(c.range) || $0.range.lowerBound == c.range.lowerBound }) { set.append(c) }
        if set.count == 1 { return set }
        // Together they must not make the region less likely than the best one alone does.
        guard let s = try scorer.score(r, region: region, text: Self.apply(set, to: old), forwards: &forwards, cancel: cancel),
              let one = try scorer.score(r, region: region, text: Self.apply([best], to: old), forwards: &forwards, cancel: cancel) else { return nil }
        return s.total >= one.total ? set : [best]
    }

    /// `text` with non-overlapping changes applied.
    static func apply(_ changes: [Change], to text: [UInt8]) -> [UInt8] {
        var out = text
        for c in changes.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) { out.replaceSubrange(c.range, with: Array(c.text.utf8)) }
        return out
    }

    /// The edit that turns `old` into `new` touching only the bytes between their common prefix and
    /// suffix, kept on character boundaries (never splitting a multi-byte UTF-8 sequence); nil when equal.
    static func minimalEdit(old: [UInt8], new: [UInt8], at base: Int) -> CompletionEdit? {
        var p = 0
        while p < min(new.count, old.count) && new[p] == old[p] { p += 1 }
        var s = 0
        while s < min(new.count, old.count) - p && new[new.count - 1 - s] == old[old.count - 1 - s] { s += 1 }
        while p > 0 && (p < old.count && (old[p] & 0xC0) == 0x80 || p < new.count && (new[p] & 0xC0) == 0x80) { p -= 1 }
        while s > 0 && ((old[old.count - s] & 0xC0) == 0x80 || (new[new.count - s] & 0xC0) == 0x80) { s -= 1 }
        if p == new.count && p == old.count { return nil }
        return CompletionEdit(range: (base + p)..<(base + old.count - s), newText: String(decoding: new[p..<(new.count - s)], as: UTF8.self))
    }

    static func lineRange(_ u: [UInt8], _ offset: Int) -> Swift.Range<Int> {
        var a = min(offset, u.count), b = a
        while a > 0 && u[a - 1] != 10 { a -= 1 }
        while b < u.count && u[b] != 10 { b += 1 }
        return a..<b
    }
}
