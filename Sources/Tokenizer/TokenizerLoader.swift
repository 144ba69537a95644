import Foundation

extension Tokenizer {
    /// What Foundation says is wrong with a JSON file (its debug description names the place).
    static func jsonReason(_ error: Error) -> String {
        let e = error as NSError
        return (e.userInfo[NSDebugDescriptionErrorKey] as? String) ?? e.localizedDescription
    }

    /// Loads the tokenizer in `directory`: `tokenizer.json` (Hugging Face format) if present, else
    /// `vocab.json` + `merges.txt`; special-token roles and added tokens from `tokenizer_config.json`,
    /// `special_tokens_map.json` and `added_tokens.json` when present. A broken
    /// `special_tokens_map.json` (LLaDA-8B-Base ships one) is skipped with a warning.
    public static func load(directory: String) throws -> Tokenizer {
        let dir = URL(fileURLWithPath: directory)
        let fm = FileManager.default
        func path(_ n: String) -> String { dir.appendingPathComponent(n).path }
        var warnings: [String] = []

        // Roles and added tokens from the transformers-side configs.
        var roles: [String: String] = [:]
        var added: [Int32: AddedToken] = [:]
        var tokenizerClass: String?
        var additionalSpecial = Set<String>()
        if fm.fileExists(atPath: path("special_tokens_map.json")) {
            do {
                let m = try readJSONObject(path("special_tokens_map.json"))
                readRoles(m, into: &roles, additional: &additionalSpecial)
            } catch {
                warnings.append("\(path("special_tokens_map.json")) is not valid JSON (\(error)); using tokenizer_config.json for special tokens instead")
            }
        }
        if fm.fileExists(atPath: path("tokenizer_config.json")) {
            let c = try readJSONObject(path("tokenizer_config.json"))
            readRoles(c, into: &roles, additional: &additionalSpecial)
            tokenizerClass = c["tokenizer_class"] as? String
            if let dec = c["added_tokens_decoder"] as? [String: Any] {
                for (k, v) in dec {
                    guard let id = Int32(k), let o = v as? [String: Any], let content = o["content"] as? String else {
                        throw TokenizerError.invalidField(path: path("tokenizer_config.json"), field: "added_tokens_decoder", value: "entry \(k)")
                    }
                    added[id] = AddedToken(id: id, content: content, special: o["special"] as? Bool ?? true)
                }
            }
        }
        if fm.fileExists(atPath: path("added_tokens.json")) {
            let a = try readJSONObject(path("added_tokens.json"))
            for (content, v) in a {
                guard let id = (v as? NSNumber)?.int32Value else { throw TokenizerError.invalidField(path: path("added_tokens.json"), field: content, value: "\(v)") }
                if added[id] == nil {
                    added[id] = AddedToken(id: id, content: content, special: additionalSpecial.contains(content) || roles.values.contains(content))
                }
            }
        }

        var vocab: [String: Int32] = [:]
        var mergePairs: [(String, String)] = []
        var pattern = PreTokenizerPattern.gpt2
        var pieces: PieceStyle?
        var nfc = false, ignoreMerges = false
        var sourcePath: String
        if fm.fileExists(atPath: path("tokenizer.json")) {
            sourcePath = path("tokenizer.json")
            let t = try readJSONObject(sourcePath)
            guard let model = t["model"] as? [String: Any] else { throw TokenizerError.invalidField(path: sourcePath, field: "model", value: "missing") }
            let type = model["type"] as? String ?? "BPE"
            guard type == "BPE" else { throw TokenizerError.unsupportedModel(path: sourcePath, type: type) }
            guard let v = model["vocab"] as? [String: Any] else { throw TokenizerError.invalidField(path: sourcePath, field: "model.vocab", value: "missing") }
            vocab = try vocabMap(v, path: sourcePath)
            guard let merges = model["merges"] as? [Any] else { throw TokenizerError.invalidField(path: sourcePath, field: "model.merges", value: "missing") }
            for (i, m) in merges.enumerated() {
                if let s = m as? String {
                    let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw TokenizerError.invalidField(path: sourcePath, field: "model.merges[\(i)]", value: "\"\(s)\"") }
                    mergePairs.append((String(parts[0]), String(parts[1])))
                } else if let a = m as? [String], a.count == 2 {
                    mergePairs.append((a[0], a[1]))
                } else { throw TokenizerError.invalidField(path: sourcePath, field: "model.merges[\(i)]", value: "\(m)") }
            }
            ignoreMerges = model["ignore_merges"] as? Bool ?? false
            if let list = t["added_tokens"] as? [[String: Any]] {
                for o in list {
                    guard let id = (o["id"] as? NSNumber)?.int32Value, let content = o["content"] as? String else {
                        throw TokenizerError.invalidField(path: sourcePath, field: "added_tokens", value: "\(o)")
                    }
                    added[id] = AddedToken(id: id, content: content, special: o["special"] as? Bool ?? false)
                }
            }
            if let prepend = try pieceNormalizer(t["normalizer"], path: sourcePath) {
                if let p = t["pre_tokenizer"], !(p is NSNull) {
                    throw TokenizerError.unsupportedPreTokenizer(path: sourcePath, detail: "\((p as? [String: Any])?["type"] ?? p) after a SentencePiece-style normalizer (only none)")
                }
                pieces = PieceStyle(prepend: prepend, byteFallback: model["byte_fallback"] as? Bool ?? false,
                                    unknownID: (model["unk_token"] as? String).flatMap { vocab[$0] }, fuseUnknown: model["fuse_unk"] as? Bool ?? false,
                                    stripLeadingSpace: try pieceDecoderStrips(t["decoder"], path: sourcePath))
            } else {
                nfc = try normalizerIsNFC(t["normalizer"], path: sourcePath)
                pattern = try preTokenizer(t["pre_tokenizer"], path: sourcePath)
            }
        } else if fm.fileExists(atPath: path("vocab.json")) && fm.fileExists(atPath: path("merges.txt")) {
            sourcePath = path("vocab.json")
            if let d = FileManager.default.contents(atPath: sourcePath), let entries = VocabJSON.parse(d) {
                vocab = try vocabMap(entries, path: sourcePath)
            } else {
                vocab = try vocabMap(try readJSONObject(sourcePath), path: sourcePath)
            }
            guard let data = FileManager.default.contents(atPath: path("merges.txt")) else {
                throw TokenizerError.unreadable(path: path("merges.txt"), reason: "cannot open")
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw TokenizerError.unreadable(path: path("merges.txt"), reason: "not UTF-8 text")
            }
            // Split on bytes (a line is "a b"; \r\n endings allowed): Character-wise splitting cost 40 ms.
            for (i, raw) in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
                let line = raw.last == 0x0D ? raw.dropLast() : raw[...]
                if line.isEmpty || (i == 0 && line.starts(with: "#version".utf8)) { continue }
                let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.invalidField(path: path("merges.txt"), field: "line \(i + 1)", value: "\"\(String(decoding: line, as: UTF8.self))\"")
                }
                mergePairs.append((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self)))
            }
            // The slow→fast conversion in transformers: Qwen2 (and Dream's copy) use the Qwen2 split and NFC.
            if let cls = tokenizerClass, cls.hasPrefix("Qwen2") || cls == "DreamTokenizer" { pattern = .qwen2; nfc = true }
            sourcePath = path("merges.txt")
        } else {
            throw TokenizerError.missingFiles(directory: directory)
        }

        var merges: [UInt64: (rank: Int32, id: Int32)] = [:]
        merges.reserveCapacity(mergePairs.count)
        for (rank, (a, b)) in mergePairs.enumerated() {
            guard let ia = vocab[a] else { throw TokenizerError.mergeReferencesUnknownToken(path: sourcePath, line: rank + 1, token: a) }
            guard let ib = vocab[b] else { throw TokenizerError.mergeReferencesUnknownToken(path: sourcePath, line: rank + 1, token: b) }
            guard let im = vocab[a + b] else { throw TokenizerError.mergeReferencesUnknownToken(path: sourcePath, line: rank + 1, token: a + b) }
            let k = BPE.key(ia, ib)
            if merges[k] == nil { merges[k] = (Int32(rank), im) }
        }
        return Tokenizer(pattern: pattern, nfc: nfc, ignoreMerges: ignoreMerges, pieces: pieces, vocab: vocab, merges: merges,
                         added: Array(added.values), roles: roles, warnings: warnings)
    }

    static func readJSONObject(_ path: String) throws -> [String: Any] {
        guard let d = FileManager.default.contents(atPath: path) else { throw TokenizerError.unreadable(path: path, reason: "cannot open") }
        let o: Any
        do { o = try JSONSerialization.jsonObject(with: d) } catch { throw TokenizerError.invalidJSON(path: path, reason: Self.jsonReason(error)) }
        guard let obj = o as? [String: Any] else { throw TokenizerError.invalidJSON(path: path, reason: "top level is not an object") }
        return obj
    }

    /// token → id from a parsed JSON object (each value must be a non-negative integer).
    static func vocabMap(_ v: [String: Any], path: String) throws -> [String: Int32] {
        try vocabMap(v.map { k, val in
            guard let n = val as? NSNumber, let id = Int32(exactly: n.doubleValue), id >= 0 else {
                throw TokenizerError.invalidField(path: path, field: "vocab[\"\(k)\"]", value: "\(val)")
            }
            return (k, id)
        }, path: path)
    }

    /// token → id; `entries` in file order (a repeated token: the last wins, as JSON parsers do). Two
    /// tokens with one id are an error.
    static func vocabMap(_ entries: [(String, Int32)], path: String) throws -> [String: Int32] {
        var out: [String: Int32] = [:]
        out.reserveCapacity(entries.count)
        var byID = [String?](repeating: nil, count: Int(entries.map(\.1).max() ?? -1) + 1)
        for (k, id) in entries {
            if let old = out[k], byID[Int(old)] == k { byID[Int(old)] = nil }
            if let other = byID[Int(id)] { throw TokenizerError.duplicateID(path: path, id: Int(id), first: min(other, k), second: max(other, k)) }
            byID[Int(id)] = k; out[k] = id
        }
        return out
    }

    static func readRoles(_ m: [String: Any], into roles: inout [String: String], additional: inout Set<String>) {
        for (k, v) in m where k.hasSuffix("_token") {
            if let s = v as? String { roles[k] = s } else if let o = v as? [String: Any], let c = o["content"] as? String { roles[k] = c }
        }
        if let extra = m["additional_special_tokens"] as? [Any] {
            for e in extra {
                if let s = e as? String { additional.insert(s) } else if let o = e as? [String: Any], let c = o["content"] as? String { additional.insert(c) }
            }
        }
    }

    /// A SentencePiece-style normalizer: `Replace(" " → "▁")`, alone or after `Prepend("▁")` in a
    /// Sequence. Returns whether it prepends; nil for any other normalizer (read by `normalizerIsNFC`).
    static func pieceNormalizer(_ n: Any?, path: String) throws -> Bool? {
        guard let o = n as? [String: Any], let type = o["type"] as? String else { return nil }
        func isReplace(_ x: [String: Any]) -> Bool {
            x["type"] as? String == "Replace" && (x["pattern"] as? [String: Any])?["String"] as? String == " " && x["content"] as? String == PieceStyle.space
        }
        if type == "Replace" { return isReplace(o) ? false : nil }
        guard type == "Sequence", let subs = o["normalizers"] as? [[String: Any]], let last = subs.last, isReplace(last) else { return nil }
        switch subs.count {
        case 1: return false
        case 2 where subs[0]["type"] as? String == "Prepend" && subs[0]["prepend"] as? String == PieceStyle.space: return true
        default:
            throw TokenizerError.unsupportedNormalizer(path: path, type: "Sequence \(subs.compactMap { $0["type"] as? String }) (SentencePiece style: Replace, or Prepend then Replace)")
        }
    }

    /// The decoder a SentencePiece-style tokenizer must have: Replace("▁" → " "), ByteFallback, Fuse,
    /// and optionally Strip(" ", 1, 0); returns whether it strips. Anything else is refused by name.
    static func pieceDecoderStrips(_ d: Any?, path: String) throws -> Bool {
        let steps = ((d as? [String: Any])?["decoders"] as? [[String: Any]]) ?? []
        let names = steps.compactMap { $0["type"] as? String }
        let replace = steps.first.map { ($0["pattern"] as? [String: Any])?["String"] as? String == PieceStyle.space && $0["content"] as? String == " " } ?? false
        if replace && names == ["Replace", "ByteFallback", "Fuse"] { return false }
        if replace && names == ["Replace", "ByteFallback", "Fuse", "Strip"], steps[3]["content"] as? String == " ",
           (steps[3]["start"] as? NSNumber)?.intValue == 1, (steps[3]["stop"] as? NSNumber)?.intValue == 0 { return true }
        throw TokenizerError.invalidField(path: path, field: "decoder", value: "\(names) (a SentencePiece-style tokenizer needs Replace(▁ → space), ByteFallback, Fuse and optionally Strip)")
    }

    static func normalizerIsNFC(_ n: Any?, path: String) throws -> Bool {
        guard let n, !(n is NSNull) else { return false }
        guard let o = n as? [String: Any], let type = o["type"] as? String else { throw TokenizerError.unsupportedNormalizer(path: path, type: "\(n)") }
        switch type {
        case "NFC": return true
        case "Sequence":
            let subs = o["normalizers"] as? [Any] ?? []
            var nfc = false
            for s in subs { nfc = try normalizerIsNFC(s, path: path) || nfc }
            return nfc
        default: throw TokenizerError.unsupportedNormalizer(path: path, type: type)
        }
    }

    static func preTokenizer(_ p: Any?, path: String) throws -> PreTokenizerPattern {
        guard let o = p as? [String: Any], let type = o["type"] as? String else {
            throw TokenizerError.unsupportedPreTokenizer(path: path, detail: "missing")
        }
        switch type {
        case "ByteLevel":
            guard o["use_regex"] as? Bool ?? true else { throw TokenizerError.unsupportedPreTokenizer(path: path, detail: "ByteLevel without a split") }
            return .gpt2
        case "Sequence":
            let items = o["pretokenizers"] as? [[String: Any]] ?? []
            var pattern: PreTokenizerPattern?
            for it in items {
                switch it["type"] as? String {
                case "Split":
                    guard let pat = it["pattern"] as? [String: Any], let re = pat["Regex"] as? String ?? pat["String"] as? String,
                          let found = PreTokenizerPattern(regex: re) else {
                        throw TokenizerError.unsupportedPreTokenizer(path: path, detail: "Split pattern \(it["pattern"] ?? "nil")")
                    }
                    pattern = found
                case "ByteLevel":
                    if it["use_regex"] as? Bool ?? true { pattern = pattern ?? .gpt2 }
                default:
                    throw TokenizerError.unsupportedPreTokenizer(path: path, detail: "\(it["type"] ?? "nil") in Sequence")
                }
            }
            guard let pattern else { throw TokenizerError.unsupportedPreTokenizer(path: path, detail: "Sequence without a split") }
            return pattern
        default:
            throw TokenizerError.unsupportedPreTokenizer(path: path, detail: type)
        }
    }
}
