/// Hand-written scanners equal to the split regexes of GPT-2, Qwen2 and LLaMA-3 (proven equal by
/// `PreTokenizerTests` against Python's `regex` on the golden corpus). They walk Unicode scalars with
/// the regexes' ordered alternation and backtracking written out explicitly:
///
///   GPT-2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///   Qwen2:   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///   LLaMA-3: as Qwen2 with \p{N}{1,3}
public enum PreTokenizerPattern: String, Sendable {
    case gpt2, qwen2, llama3

    public static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    public static let qwen2Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    public static let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    public init?(regex: String) {
        switch regex {
        case Self.gpt2Regex: self = .gpt2
        case Self.qwen2Regex: self = .qwen2
        case Self.llama3Regex: self = .llama3
        default: return nil
        }
    }
}

/// Character classes the patterns test.
enum ScalarClass: UInt8 { case letter, number, space, other }

@inline(__always)
func classify(_ v: UInt32) -> ScalarClass {
    if v < 128 {
        switch v {
        case 0x41...0x5A, 0x61...0x7A: return .letter
        case 0x30...0x39: return .number
        case 0x09...0x0D, 0x20: return .space
        default: return .other
        }
    }
    let s = Unicode.Scalar(v)!
    if s.properties.isWhitespace { return .space }
    switch s.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
    case .decimalNumber, .letterNumber, .otherNumber: return .number
    default: return .other
    }
}

struct PreTokenScanner {
    let pattern: PreTokenizerPattern

    /// Splits `scalars` into pieces; returns the end index (exclusive) of each piece, in order.
    func split(_ scalars: [UInt32]) -> [Int] {
        let n = scalars.count
        guard n > 0 else { return [] }
        var cls = [ScalarClass](repeating: .other, count: n)
        for i in 0..<n { cls[i] = classify(scalars[i]) }
        var ends: [Int] = []
        ends.reserveCapacity(n / 3 + 1)
        var i = 0
        while i < n {
            let e = pattern == .gpt2 ? gpt2(scalars, cls, i) : qwen(scalars, cls, i)
            ends.append(e); i = e
        }
        return ends
    }

    @inline(__always) func isNL(_ v: UInt32) -> Bool { v == 0x0A || v == 0x0D }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, optionally case-insensitive; returns the end or nil.
    func contraction(_ s: [UInt32], _ i: Int, caseInsensitive: Bool) -> Int? {
        guard s[i] == 0x27, i + 1 < s.count else { return nil }
        func low(_ v: UInt32) -> UInt32 { caseInsensitive && v >= 0x41 && v <= 0x5A ? v + 32 : v }
        let a = low(s[i + 1])
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return i + 2 }           // s t m d
        if i + 2 < s.count {
            let b = low(s[i + 2])
            if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return i + 3 }  // re ve ll
        }
        return nil
    }

    func run(_ cls: [ScalarClass], _ from: Int, _ c: ScalarClass) -> Int {
        var j = from
        while j < cls.count && cls[j] == c { j += 1 }
        return j
    }

    /// Shared tail: `\s+(?!\S)|\s+` at a whitespace position.
    func whitespace(_ cls: [ScalarClass], _ i: Int) -> Int {
        let e = run(cls, i, .space)
        if e == cls.count || e - 1 == i { return e }   // at end, or a single space before a non-space: \s+ takes it
        return e - 1                                    // leave the last space to prefix the next word
    }

    func gpt2(_ s: [UInt32], _ cls: [ScalarClass], _ i: Int) -> Int {
        if let e = contraction(s, i, caseInsensitive: false) { return e }
        let n = s.count
        let spaceLead = s[i] == 0x20 && i + 1 < n
        for c in [ScalarClass.letter, .number, .other] {
            if cls[i] == c { return run(cls, i, c) }
            if spaceLead && cls[i + 1] == c { return run(cls, i + 1, c) }
        }
        return whitespace(cls, i)
    }

    func qwen(_ s: [UInt32], _ cls: [ScalarClass], _ i: Int) -> Int {
        let n = s.count
        if let e = contraction(s, i, caseInsensitive: true) { return e }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if cls[i] == .letter { return run(cls, i, .letter) }
        if cls[i] != .number && !isNL(s[i]) && i + 1 < n && cls[i + 1] == .letter { return run(cls, i + 1, .letter) }
        // \p{N} or \p{N}{1,3}
        if cls[i] == .number {
            if pattern == .qwen2 { return i + 1 }
            var j = i + 1
            while j < n && j < i + 3 && cls[j] == .number { j += 1 }
            return j
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        var start = -1
        if cls[i] == .other { start = i } else if s[i] == 0x20 && i + 1 < n && cls[i + 1] == .other { start = i + 1 }
        if start >= 0 {
            var j = run(cls, start, .other)
            while j < n && isNL(s[j]) { j += 1 }
            return j
        }
        // \s*[\r\n]+ : ends just after the last \r or \n of the whitespace run
        let e = run(cls, i, .space)
        var lastNL = -1
        for j in i..<e where isNL(s[j]) { lastNL = j }
        if lastNL >= 0 { return lastNL + 1 }
        return whitespace(cls, i)
    }
}
