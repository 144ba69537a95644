import Foundation

/// A token the tokenizer matches as a whole unit before pre-tokenization (`added_tokens`).
public struct AddedToken: Sendable, Equatable {
    public let id: Int32
    public let content: String
    public let special: Bool
}

/// BPE tokenizer, byte-level (GPT-2, Qwen, LLaMA-3) or SentencePiece-style (`PieceStyle`: Gemma,
/// Llama-2), identical in output to Hugging Face `tokenizers` for the supported shapes (see
/// `TokenizerLoader`). Thread-safe: the pre-token cache is guarded by a lock.
public final class Tokenizer: @unchecked Sendable {
    public let pattern: PreTokenizerPattern
    public let nfc: Bool
    /// `ignore_merges` (LLaMA-3): a pre-token that is itself in the vocab is emitted whole.
    let ignoreMerges: Bool
    let bpe: BPE
    /// Set for a SentencePiece-style tokenizer (then `pattern` and `nfc` are unused).
    let pieces: PieceStyle?
    let vocab: [String: Int32]
    /// id → raw bytes of a vocab token (nil for ids outside the vocab).
    let idBytes: [Int32: [UInt8]]
    public let addedTokens: [AddedToken]
    let addedByContent: [String: AddedToken]
    let specialIDs: Set<Int32>
    /// Names of roles (`eos_token`, `pad_token`, `bos_token`, `mask_token`, …) → token content.
    public let specialRoles: [String: String]
    public let warnings: [String]

    private var cache: [ArraySlice<UInt8>: [Int32]] = [:]
    private let cacheLock = NSLock()
    /// Non-special tokens sorted by their bytes, built on the first `ids(startingWith:)` (token healing):
    /// the tokens that begin with a prefix are then one contiguous run found by binary search.
    private var byBytes: [(bytes: [UInt8], id: Int32)]?
    private let byBytesLock = NSLock()
    static let cacheLimit = 8_192

    init(pattern: PreTokenizerPattern, nfc: Bool, ignoreMerges: Bool, pieces: PieceStyle? = nil, vocab: [String: Int32],
         merges: [UInt64: (rank: Int32, id: Int32)], added: [AddedToken], roles: [String: String], warnings: [String]) {
        self.pattern = pattern; self.nfc = nfc; self.ignoreMerges = ignoreMerges; self.pieces = pieces; self.vocab = vocab
        var byteIDs = [Int32](repeating: -1, count: 256)
        if pieces != nil { byteIDs = PieceStyle.byteIDs(vocab) } else {
            for b in 0..<256 { byteIDs[b] = vocab[String(ByteLevel.byteToScalar[b])] ?? -1 }
        }
        bpe = BPE(merges: merges, byteIDs: byteIDs)
        var idBytes: [Int32: [UInt8]] = [:]
        if pieces != nil {
            for (s, id) in vocab { idBytes[id] = PieceStyle.bytes(of: s) }
        } else {
            for (s, id) in vocab { if let b = ByteLevel.decode(s) { idBytes[id] = b } }
        }
        for t in added { idBytes[t.id] = Array(t.content.utf8) }
        self.idBytes = idBytes
        addedTokens = added.sorted { $0.id < $1.id }
        addedByContent = Dictionary(added.map { ($0.content, $0) }, uniquingKeysWith: { a, _ in a })
        specialIDs = Set(added.filter(\.special).map(\.id))
        specialRoles = roles; self.warnings = warnings
    }

    /// Largest id + 1 over the vocab and added tokens.
    public var vocabularySize: Int { Int(max(vocab.values.max() ?? -1, addedTokens.map(\.id).max() ?? -1)) + 1 }

    /// The id of an added or vocab token by its exact content.
    public func id(of content: String) -> Int32? { addedByContent[content]?.id ?? vocab[content] }

    /// The id that plays `role` (e.g. "mask_token", "eos_token"), if the config names one the vocab has.
    public func roleID(_ role: String) -> Int32? { specialRoles[role].flatMap { id(of: $0) } }

    /// How added tokens inside the text are treated.
    public enum SpecialHandling: Sendable {
        /// Every added token is matched as a unit (as Hugging Face `tokenizers` does by default).
        case all
        /// None: `<|mask|>` written in a document is ordinary text (the server's choice for document text).
        case none
        /// Only these contents are matched.
        case only(Set<String>)
    }

    /// Token ids of `text`.
    public func encode(_ text: String, special: SpecialHandling = .all) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3)
        for segment in splitOnAdded(text, special) {
            switch segment {
            case .added(let t): out.append(t.id)
            case .text(let s): encodePlain(nfc ? s.precomposedStringWithCanonicalMapping : s, into: &out)
            }
        }
        return out
    }

    enum Segment { case added(AddedToken), text(String) }

    func splitOnAdded(_ text: String, _ handling: SpecialHandling) -> [Segment] {
        let candidates: [AddedToken]
        switch handling {
        case .all: candidates = addedTokens
        case .none: candidates = []
        case .only(let set): candidates = addedTokens.filter { set.contains($0.content) }
        }
        if candidates.isEmpty || text.isEmpty { return text.isEmpty ? [] : [.text(text)] }
        // Longest match first at each position, leftmost position first (HF's AddedVocabulary).
        let byFirst = Dictionary(grouping: candidates.filter { !$0.content.isEmpty }, by: { $0.content.utf8.first! })
            .mapValues { $0.sorted { $0.content.utf8.count > $1.content.utf8.count } }
        let bytes = Array(text.utf8)
        var segs: [Segment] = []
        var start = 0, i = 0
        while i < bytes.count {
            if let cands = byFirst[bytes[i]], let hit = cands.first(where: { t in
                let c = t.content.utf8
                return i + c.count <= bytes.count && bytes[i..<(i + c.count)].elementsEqual(c)
            }) {
                if start < i { segs.append(.text(String(decoding: bytes[start..<i], as: UTF8.self))) }
                segs.append(.added(hit))
                i += hit.content.utf8.count; start = i
            } else { i += 1 }
        }
        if start < bytes.count { segs.append(.text(String(decoding: bytes[start...], as: UTF8.self))) }
        return segs
    }

    func encodePlain(_ s: String, into out: inout [Int32]) {
        if let p = pieces {
            // One piece per segment (no pre-tokenizer): normalised, split into symbols, merged.
            bpe.merge(p.symbols(p.normalise(s), vocab: vocab, byteIDs: bpe.byteIDs), into: &out)
            return
        }
        var scalars: [UInt32] = []
        scalars.reserveCapacity(s.utf8.count)
        var byteStart: [Int] = []
        byteStart.reserveCapacity(s.utf8.count + 1)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        for sc in s.unicodeScalars {
            scalars.append(sc.value); byteStart.append(bytes.count)
            UTF8.encode(sc) { bytes.append($0) }
        }
        byteStart.append(bytes.count)
        var lo = 0
        for end in PreTokenScanner(pattern: pattern).split(scalars) {
            let piece = bytes[byteStart[lo]..<byteStart[end]]
            lo = end
            cacheLock.lock(); let hit = cache[piece]; cacheLock.unlock()
            if let hit { out.append(contentsOf: hit); continue }
            var ids: [Int32] = []
            if ignoreMerges, let whole = vocab[ByteLevel.encode(piece)] { ids = [whole] } else { bpe.encode(piece, into: &ids) }
            out.append(contentsOf: ids)
            cacheLock.lock()
            if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[Array(piece)[...]] = ids
            cacheLock.unlock()
        }
    }

    /// Raw bytes of `ids` (ids outside the vocabulary contribute nothing; added tokens their content
    /// unless `skipSpecial` and they are special).
    public func decodeBytes(_ ids: [Int32], skipSpecial: Bool = false) -> [UInt8] {
        var out = tokenBytes(ids, skipSpecial: skipSpecial)
        if pieces?.stripLeadingSpace == true, out.first == 0x20 { out.removeFirst() }
        return out
    }

    /// The ids' bytes joined, with no decoder step that looks at the whole (`StreamingDecoder`'s unit).
    func tokenBytes(_ ids: [Int32], skipSpecial: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            if skipSpecial && specialIDs.contains(id) { continue }
            if let b = idBytes[id] { out.append(contentsOf: b) }
        }
        return out
    }

    /// Text of `ids`; invalid UTF-8 (a split multi-byte character) becomes U+FFFD, as HF's `errors="replace"`.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecial: skipSpecial), as: UTF8.self)
    }

    /// Non-special ids whose bytes start with `prefix` (token healing: the tokens that can replace a
    /// prefix's last token and continue it). Binary search in the byte-sorted vocabulary: a scan of a
    /// 151 k vocabulary took 11 ms per call, on every inline request with the cursor inside a word.
    public func ids(startingWith prefix: [UInt8]) -> Set<Int32> {
        byBytesLock.lock()
        if byBytes == nil {
            byBytes = idBytes.filter { !specialIDs.contains($0.key) }.map { (bytes: $0.value, id: $0.key) }
                .sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        }
        let sorted = byBytes!
        byBytesLock.unlock()
        // Every token that starts with `prefix` sorts at or after it, and they form one run.
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid].bytes.lexicographicallyPrecedes(prefix) { lo = mid + 1 } else { hi = mid }
        }
        var out = Set<Int32>()
        while lo < sorted.count && sorted[lo].bytes.starts(with: prefix) { out.insert(sorted[lo].id); lo += 1 }
        return out
    }

    /// Ids the tokenizer cannot decode (e.g. a model's `vocab_size` padding rows).
    public func unknownIDs(_ ids: [Int32]) -> [Int32] { ids.filter { idBytes[$0] == nil } }

    /// The vocab string of an id (byte-level characters, or the SentencePiece piece), for debugging.
    public func tokenString(_ id: Int32) -> String? {
        if let t = addedTokens.first(where: { $0.id == id }) { return t.content }
        if pieces != nil { return vocab.first { $0.value == id }?.key }
        return idBytes[id].map { ByteLevel.encode($0) }
    }
}

/// Decodes a growing stream of ids, holding back bytes that end inside a multi-byte UTF-8 character.
public struct StreamingDecoder {
    let tokenizer: Tokenizer
    var pending: [UInt8] = []
    public init(tokenizer: Tokenizer) { self.tokenizer = tokenizer }

    /// Returns the newly complete text for `id` (possibly empty while a character is incomplete).
    public mutating func push(_ id: Int32) -> String {
        pending += tokenizer.tokenBytes([id])
        var cut = pending.count
        // Walk back over a trailing incomplete sequence (at most 3 bytes).
        var i = pending.count - 1, back = 0
        while i >= 0 && back < 4 && (pending[i] & 0xC0) == 0x80 { i -= 1; back += 1 }
        if i >= 0 {
            let lead = pending[i]
            let need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
            if need > 1 && pending.count - i < need { cut = i }
        }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Flushes whatever is held back (an incomplete character becomes U+FFFD).
    public mutating func finish() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }
}
