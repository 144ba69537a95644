import Foundation
import Denoiser

/// A region's text (the original or a candidate) scored token by token in the document's context,
/// each token masked in turn (`TokenScorer`): what repair and the rewrite gate compare.
struct RegionScorer {
    let decoder: LocalDecoder

    /// A region text scored token by token; `spans[i]` are token i's bytes in the text.
    struct Scored {
        var scores: [TokenScorer.Score]
        var spans: [Swift.Range<Int>]
        var tokens: [Int32]
        var total: Float { scores.reduce(0) { $0 + $1.logProbability } }
        var mean: Float { scores.isEmpty ? 0 : total / Float(scores.count) }
    }

    /// `text` in place of the region, scored with the region's context around it; nil when cancelled.
    func score(_ r: CompletionRequest, region: Swift.Range<Int>, text: [UInt8], forwards: inout Int, cancel: CancellationToken) throws -> Scored? {
        let bundle = decoder.bundle, tok = bundle.tokenizer
        let tokens = tok.encode(String(decoding: text, as: UTF8.self), special: .none)
        let spec = decoder.canvas(r, hole: region, maskCount: tokens.count, template: tokens)
        let scorer = TokenScorer(model: bundle.model, maskID: bundle.maskID)
        guard let scores = try scorer.score(spec, forbidden: bundle.forbidden.union(bundle.config.endTokenIDs), vocabularyLimit: tok.vocabularySize,
                                            isCancelled: { cancel.isCancelled }) else { return nil }
        forwards += min(scorer.stride, tokens.count)
        var spans: [Swift.Range<Int>] = [], at = 0
        for t in tokens {
            let n = tok.decodeBytes([t]).count
            spans.append(min(at, text.count)..<min(at + n, text.count)); at += n
        }
        return Scored(scores: scores, spans: spans, tokens: tokens)
    }

    /// `text` in place of the region and the tokens covering its bytes `span` masked together: how
    /// likely the context makes that word (`TokenScorer.jointScore`), one forward.
    func wordScore(_ r: CompletionRequest, region: Swift.Range<Int>, text: [UInt8], span: Swift.Range<Int>, forwards: inout Int) throws -> Float {
        let bundle = decoder.bundle, tok = bundle.tokenizer
        let tokens = tok.encode(String(decoding: text, as: UTF8.self), special: .none)
        var at = 0, first = -1, last = -1
        for (i, t) in tokens.enumerated() {
            let n = tok.decodeBytes([t]).count
            if at < span.upperBound && at + n > span.lowerBound { if first < 0 { first = i }; last = i }
            at += n
        }
        guard first >= 0 else { return 0 }
        forwards += 1
        let spec = decoder.canvas(r, hole: region, maskCount: tokens.count, template: tokens)
        return try TokenScorer(model: bundle.model, maskID: bundle.maskID).jointScore(spec, slots: first..<(last + 1))
    }
}
