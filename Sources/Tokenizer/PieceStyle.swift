import Foundation

/// A SentencePiece-converted BPE `tokenizer.json` (Gemma's, and Llama-2-era checkpoints'): no byte-level
/// mapping; the normalizer turns spaces into "▁" (`Replace`, after an optional `Prepend("▁")`), there
/// is no pre-tokenizer, merges run over characters, and a character the vocabulary lacks becomes its
/// UTF-8 bytes as `<0xNN>` tokens (`byte_fallback`) or the unknown token (consecutive ones fused with
/// `fuse_unk`). Decoding reverses it: "▁" → " ", byte tokens to their bytes, then one leading space
/// stripped when the normalizer prepended it (the `Strip` decoder). Hugging Face `tokenizers`
/// (normalizers/replace.rs, prepend.rs; models/bpe/model.rs `merge_word`) is the spec.
struct PieceStyle: Sendable {
    static let space = "▁"
    /// `Prepend("▁")` before the replacement: every text segment between added tokens gets one.
    let prepend: Bool
    let byteFallback: Bool
    let unknownID: Int32?
    let fuseUnknown: Bool
    /// The decoder strips one leading space (it undoes `prepend`).
    let stripLeadingSpace: Bool

    /// Symbol ids of one normalised segment before merges: a character's token, or its byte tokens
    /// (`byteIDs[b]`, all present), or the unknown token.
    func symbols(_ text: String, vocab: [String: Int32], byteIDs: [Int32]) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count)
        var previousUnknown = false
        for ch in text.unicodeScalars {
            if let id = vocab[String(ch)] { ids.append(id); previousUnknown = false; continue }
            if byteFallback {
                let bytes = Array(String(ch).utf8)
                if bytes.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                    ids.append(contentsOf: bytes.map { byteIDs[Int($0)] }); previousUnknown = false; continue
                }
            }
            guard let unk = unknownID else { continue }
            if !(fuseUnknown && previousUnknown) { ids.append(unk) }
            previousUnknown = true
        }
        return ids
    }

    /// The normalised text of one segment.
    func normalise(_ s: String) -> String {
        if s.isEmpty { return s }
        let replaced = s.replacingOccurrences(of: " ", with: Self.space)
        return prepend ? Self.space + replaced : replaced
    }

    /// A vocab token's bytes once decoded: `<0xNN>` is the byte NN, anything else its text with "▁" as " ".
    static func bytes(of token: String) -> [UInt8] {
        let u = Array(token.utf8)
        if u.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">"), let b = UInt8(token.dropFirst(3).dropLast(), radix: 16) { return [b] }
        return Array(token.replacingOccurrences(of: space, with: " ").utf8)
    }

    /// `byteIDs[b]`: the id of `<0xNN>` for byte b (−1 when the vocab lacks it).
    static func byteIDs(_ vocab: [String: Int32]) -> [Int32] {
        (0..<256).map { vocab[String(format: "<0x%02X>", $0)] ?? -1 }
    }
}
