import Tokenizer

/// Cuts the code before and after a hole to token budgets at line boundaries, keeping what is nearest
/// the hole. Document text is encoded with special tokens treated as plain text.
public struct ContextWindow {
    public let tokenizer: Tokenizer

    public init(tokenizer: Tokenizer) { self.tokenizer = tokenizer }

    public struct Cut {
        public var tokens: [Int32]
        /// How many UTF-8 bytes of the given text were kept (from the hole outwards).
        public var keptBytes: Int
        /// Nothing was cut: the text reaches the start (prefix) or end (suffix) of the file.
        public var complete: Bool
    }

    func encode(_ s: Substring) -> [Int32] { tokenizer.encode(String(s), special: .none) }

    /// The end of `text` (the code before the hole), at most `budget` tokens, starting at a line start.
    public func prefix(_ text: Substring, budget: Int) -> Cut {
        if budget <= 0 || text.isEmpty { return Cut(tokens: [], keptBytes: 0, complete: text.isEmpty) }
        let all = encode(text)
        if all.count <= budget { return Cut(tokens: all, keptBytes: text.utf8.count, complete: true) }
        // Walk line starts backwards from the hole, estimating each line's tokens separately.
        var starts: [Substring.Index] = []
        var i = text.endIndex
        while i > text.startIndex {
            let prev = text.index(before: i)
            if text[prev] == "\n" || text[prev] == "\r" || text[prev] == "\r\n" { starts.append(i) }
            i = prev
        }
        var best = Cut(tokens: [], keptBytes: 0, complete: false)
        for s in starts {      // nearest line start first
            let t = encode(text[s...])
            if t.count > budget { break }
            best = Cut(tokens: t, keptBytes: text[s...].utf8.count, complete: false)
        }
        if best.tokens.isEmpty {   // even the hole's own line is too long: keep its last tokens
            let lineStart = starts.first ?? text.startIndex
            let t = encode(text[lineStart...])
            let kept = Array(t.suffix(budget))
            best = Cut(tokens: kept, keptBytes: tokenizer.decodeBytes(kept).count, complete: false)
        }
        return best
    }

    /// The start of `text` (the code after the hole), at most `budget` tokens, ending at a line end.
    public func suffix(_ text: Substring, budget: Int) -> Cut {
        if budget <= 0 || text.isEmpty { return Cut(tokens: [], keptBytes: 0, complete: text.isEmpty) }
        let all = encode(text)
        if all.count <= budget { return Cut(tokens: all, keptBytes: text.utf8.count, complete: true) }
        var best = Cut(tokens: [], keptBytes: 0, complete: false)
        var i = text.startIndex
        while i < text.endIndex {
            guard let nl = text[i...].firstIndex(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { break }
            let end = text.index(after: nl)
            let t = encode(text[..<end])
            if t.count > budget { break }
            best = Cut(tokens: t, keptBytes: text[..<end].utf8.count, complete: false)
            i = end
        }
        if best.tokens.isEmpty {
            let t = Array(all.prefix(budget))
            best = Cut(tokens: t, keptBytes: tokenizer.decodeBytes(t).count, complete: false)
        }
        return best
    }
}
