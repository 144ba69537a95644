/// Every way tokenizer files can be wrong; each names the file, the field and the value.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case missingFiles(directory: String)
    case unreadable(path: String, reason: String)
    case invalidJSON(path: String, reason: String)
    case unsupportedModel(path: String, type: String)
    case unsupportedPreTokenizer(path: String, detail: String)
    case unsupportedNormalizer(path: String, type: String)
    case mergeReferencesUnknownToken(path: String, line: Int, token: String)
    case duplicateID(path: String, id: Int, first: String, second: String)
    case invalidField(path: String, field: String, value: String)
    /// A base checkpoint: its tokenizer_config.json has no chat_template.
    case noChatTemplate(directory: String)

    /// A wrapped reason as one sentence: exactly one final period.
    static func sentence(_ r: String) -> String {
        var s = Substring(r)
        while s.last == "." || s.last == " " { s = s.dropLast() }
        return s + "."
    }

    public var description: String {
        switch self {
        case let .missingFiles(d): return "no tokenizer in \(d): expected tokenizer.json, or vocab.json + merges.txt. Hint: copy the tokenizer files from the model's repository into this folder."
        case let .unreadable(p, r): return "cannot read \(p): \(Self.sentence(r))"
        case let .invalidJSON(p, r): return "\(p) is not valid JSON: \(Self.sentence(r)) Hint: the file is truncated or was saved as HTML; download it again."
        case let .unsupportedModel(p, t): return "\(p): model.type '\(t)' is not supported (only BPE: byte-level, or SentencePiece-style with byte fallback). Hint: WordPiece and Unigram tokenizers belong to models Unmask does not run."
        case let .unsupportedPreTokenizer(p, d): return "\(p): unsupported pre_tokenizer: \(d). Supported: ByteLevel (GPT-2 split) and Split with the GPT-2, Qwen2 or LLaMA-3 pattern followed by ByteLevel."
        case let .unsupportedNormalizer(p, t): return "\(p): unsupported normalizer '\(t)' (supported: none, NFC, and the SentencePiece style: Replace(\" \" → ▁) after an optional Prepend(▁))."
        case let .mergeReferencesUnknownToken(p, l, t): return "\(p): merge #\(l) references '\(t)', which is not in the vocabulary."
        case let .duplicateID(p, id, a, b): return "\(p): id \(id) is given to both '\(a)' and '\(b)'."
        case let .invalidField(p, f, v): return "\(p): field '\(f)' has an invalid value \(v)."
        case let .noChatTemplate(d): return "\(d) has no chat template (tokenizer_config.json has no chat_template): it is a base model, which cannot follow instructions. Hint: use the model's instruct checkpoint (e.g. Dream-v0-Instruct-7B, LLaDA-8B-Instruct), or a chat backend (backend: openai, remote.api: chat)."
        }
    }
}
