import Denoiser

/// Lays a request's canvas: the code before and after the hole cut to the token budget at line
/// boundaries (a third for the suffix), the family's boundary tokens where the file really starts or
/// ends, and chunks of other open documents in the spare budget, nearest first, separated by end-of-text.
struct CanvasBuilder {
    let bundle: ModelBundle
    let contextTokens: Int

    /// Room for other documents below this many tokens is not used.
    static let minimumSpare = 32

    func spec(_ r: CompletionRequest, hole: Swift.Range<Int>, maskCount: Int, template: [Int32]?) -> CanvasSpec {
        let window = ContextWindow(tokenizer: bundle.tokenizer)
        let budget = max(16, min(contextTokens, bundle.canvasLimit) - maskCount - 4)
        let suf = window.suffix(Substring(r.slice(hole.upperBound..<r.utf8.count)), budget: budget / 3)
        let pre = window.prefix(Substring(r.slice(0..<hole.lowerBound)), budget: budget - suf.tokens.count)
        var (lead, trail) = bundle.boundaries(prefixIsFileStart: pre.complete, suffixIsFileEnd: suf.complete)
        var prefix = pre.tokens
        var spare = budget - pre.tokens.count - suf.tokens.count
        if spare > Self.minimumSpare, let sep = bundle.config.eosTokenID {
            for other in r.neighbours {
                let cut = window.prefix(Substring(other), budget: spare - 1)
                if cut.tokens.isEmpty { continue }
                prefix = cut.tokens + [sep] + lead + prefix
                lead = []
                spare -= cut.tokens.count + 1
                if spare <= Self.minimumSpare { break }
            }
        }
        if maskCount + prefix.count + suf.tokens.count + lead.count + trail.count > bundle.canvasLimit { trail = [] }
        return CanvasSpec(prefix: prefix, suffix: suf.tokens, maskCount: maskCount, leading: lead, trailing: trail, middleTemplate: template)
    }
}
