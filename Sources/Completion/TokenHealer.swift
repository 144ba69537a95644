import Denoiser

/// Token healing: when the text before a hole ends inside an ASCII word, the prefix's trailing tokens
/// that spell that word's start (the first optionally after one space; at most `maxTokens`) move into
/// the hole and slot 0 may only take the tokens that begin with their bytes. The most tokens that some
/// vocabulary token still begins with are moved: " p" "r" "in" becomes one slot that must start with
/// " prin" (" print"), where moving "in" alone left the model continuing " pr" from a boundary the
/// tokenizer never produces. The caller strips the moved text from the fill.
struct TokenHealer {
    let bundle: ModelBundle
    /// How many of the prefix's tokens may move into the hole.
    static let maxTokens = 4

    /// Returns the moved text ("" when nothing was moved).
    func heal(_ spec: inout CanvasSpec, _ options: inout DenoiseOptions, textBefore: ArraySlice<UInt8>) -> String {
        func isWord(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
        guard let lastByte = textBefore.last, isWord(lastByte) else { return "" }
        var bytes: [UInt8] = []                              // the last k tokens' bytes
        var best: (k: Int, bytes: [UInt8], allowed: Set<Int32>)?
        for k in 1...min(Self.maxTokens, spec.prefix.count) {
            let piece = bundle.tokenizer.decodeBytes([spec.prefix[spec.prefix.count - k]])
            let word = piece.first == 32 ? piece.dropFirst() : piece[...]
            guard !word.isEmpty, word.allSatisfy(isWord) else { break }
            bytes = piece + bytes
            guard textBefore.reversed().starts(with: bytes.reversed()) else { break }
            let allowed = bundle.tokenizer.ids(startingWith: bytes).subtracting(bundle.forbidden)
            // One token that only continues as itself is nothing to heal.
            if allowed.count > (k == 1 ? 1 : 0) { best = (k, bytes, allowed) }
            if piece.first == 32 { break }                   // the word's start
        }
        guard let best else { return "" }
        spec.prefix.removeLast(best.k)
        options.allowedAt[0] = best.allowed
        return String(decoding: best.bytes, as: UTF8.self)
    }
}
