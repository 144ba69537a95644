import Foundation
import Denoiser

/// Repair: every token of the region is scored with both sides visible; the least likely ones are
/// re-masked and re-denoised, and only the part that really changed comes back.
struct Repairer {
    let decoder: LocalDecoder
    let finder = FunctionFinder()
    /// Tokens below this probability are suspicious; at most `maxShare` of the region is re-masked.
    static let suspicious: Float = 0.05, maxShare = 0.3

    func repair(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let bundle = decoder.bundle
        let region = r.selection.flatMap({ $0.isEmpty ? nil : $0 }) ?? finder.enclosingBody(in: r.text, at: r.cursor, languageID: r.languageID)
            ?? Self.lineRange(r.utf8, r.cursor)
        let old = r.slice(region)
        let tokens = bundle.tokenizer.encode(old, special: .none)
        guard !tokens.isEmpty else { throw CompletionError.nothingToDo("the region to repair is empty") }
        let scores = try TokenScorer(model: bundle.model).logProbabilities(decoder.canvas(r, hole: region, maskCount: tokens.count, template: tokens))
        let cap = max(1, Int(Double(tokens.count) * Self.maxShare))
        let suspicious = scores.enumerated().filter { expf($0.element) < Self.suspicious }.sorted { $0.element < $1.element }.prefix(cap).map(\.offset)
        guard !suspicious.isEmpty else { return CompletionResult(edits: [], forwards: 1) }
        var template = tokens
        for k in suspicious { template[k] = bundle.maskID }
        let f = try decoder.denoise(r, hole: region, maskCount: template.count, template: template, cancel: cancel, onFrame: onFrame)
        if f.cancelled { return .cancelled }
        guard let edit = Self.minimalEdit(old: Array(old.utf8), new: Array(f.text.utf8), at: region.lowerBound) else {
            return CompletionResult(edits: [], forwards: f.forwards + 1)
        }
        return CompletionResult(edits: [edit], early: f.early, forwards: f.forwards + 1)
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
