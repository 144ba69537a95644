import Foundation
// libFuzzer target: encode/decode on arbitrary bytes turned into text as the server does (invalid UTF-8
// becomes U+FFFD), with a small byte-level vocabulary and a real pattern; decode(encode(x)) == x.
let tokenizer: Tokenizer = {
    var vocab: [String: Int32] = [:]
    for (b, s) in ByteLevel.byteToScalar.enumerated() { vocab[String(s)] = Int32(b) }
    let merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "Ġ"), ("ĠĠ", "ĠĠ"), ("Ċ", "Ċ"), ("r", "e")]
    var table: [UInt64: (rank: Int32, id: Int32)] = [:]
    var next: Int32 = 256
    for (i, (a, b)) in merges.enumerated() {
        if vocab[a + b] == nil { vocab[a + b] = next; next += 1 }
        table[BPE.key(vocab[a]!, vocab[b]!)] = (Int32(i), vocab[a + b]!)
    }
    return Tokenizer(pattern: .qwen2, nfc: false, ignoreMerges: false, vocab: vocab, merges: table,
                     added: [AddedToken(id: next, content: "<|mask|>", special: true)], roles: [:], warnings: [])
}()

/// A SentencePiece-style tokenizer (Gemma's shape): letters, "▁", the 256 byte tokens, a few merges.
let pieces: Tokenizer = {
    var vocab: [String: Int32] = [:]
    for b in 0..<256 { vocab[String(format: "<0x%02X>", b)] = Int32(b) }
    for ch in "▁abcdefghijklmnopqrstuvwxyz" { vocab[String(ch)] = Int32(vocab.count) }
    let merges = [("▁", "t"), ("h", "e"), ("▁t", "he"), ("▁", "▁")]
    var table: [UInt64: (rank: Int32, id: Int32)] = [:]
    for (i, (a, b)) in merges.enumerated() {
        if vocab[a + b] == nil { vocab[a + b] = Int32(vocab.count) }
        table[BPE.key(vocab[a]!, vocab[b]!)] = (Int32(i), vocab[a + b]!)
    }
    return Tokenizer(pattern: .gpt2, nfc: false, ignoreMerges: false,
                     pieces: PieceStyle(prepend: false, byteFallback: true, unknownID: nil, fuseUnknown: false, stripLeadingSpace: false),
                     vocab: vocab, merges: table, added: [], roles: [:], warnings: [])
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for pattern in [PreTokenizerPattern.gpt2, .qwen2, .llama3] {
        let ends = PreTokenScanner(pattern: pattern).split(text.unicodeScalars.map(\.value))
        precondition(ends.last ?? 0 == text.unicodeScalars.count && zip(ends, ends.dropFirst()).allSatisfy { $0 < $1 }, "split does not tile the text")
    }
    let ids = tokenizer.encode(text)
    precondition(tokenizer.decode(ids) == text, "decode(encode(x)) != x")
    // SentencePiece style: every character is spelled (by its token or its bytes); "▁" reads back as a space.
    precondition(pieces.decode(pieces.encode(text)) == text.replacingOccurrences(of: "▁", with: " "), "piece decode(encode(x)) != x")
    let plain = tokenizer.encode(text, special: .none)
    precondition(!plain.contains(tokenizer.id(of: "<|mask|>")!), "document text produced a special token")
    var dec = StreamingDecoder(tokenizer: tokenizer)
    var out = ""
    for id in ids { out += dec.push(id) }
    out += dec.finish()
    precondition(out == text, "streaming decode differs")
    return 0
}
