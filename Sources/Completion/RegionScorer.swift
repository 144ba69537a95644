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
}
