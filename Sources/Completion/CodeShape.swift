/// Cheap structural checks a proposed rewrite must pass against the code it replaces: the same
/// bracket signature (what the region leaves unclosed and what it closes from outside, strings and
/// comments skipped) and no line indented left of the region's own margin.
struct CodeShape {
    /// Closers the text meets with nothing open (closing brackets opened before it), then openers it
    /// leaves open, in order: e.g. `}` … `{(`. Equal signatures mean the region fits where it stands.
    let unmatchedClosers: [UInt8]
    let unclosedOpeners: [UInt8]
    /// A closer that met the wrong opener (`(]`): the text is broken whatever surrounds it.
    let mismatch: Int?
    /// Smallest indentation (spaces; a tab counts as 4) of a non-blank line.
    let margin: Int?
    /// Comments and string literals (byte ranges): prose, not code.
    let prose: [Swift.Range<Int>]

    init(_ text: [UInt8], languageID: String) {
        let hash = ["python", "ruby", "shellscript", "sh", "bash", "perl", "r", "yaml", "toml"].contains(languageID)
        let slashes = !["python", "ruby", "shellscript", "sh", "bash", "yaml", "toml"].contains(languageID)
        var closers: [UInt8] = [], stack: [UInt8] = [], mismatch: Int?, prose: [Swift.Range<Int>] = []
        var i = 0
        func pair(_ c: UInt8) -> UInt8 { c == 0x29 ? 0x28 : c == 0x5D ? 0x5B : 0x7B }
        while i < text.count {
            let c = text[i]
            let start = i
            if hash && c == 0x23 || slashes && c == 0x2F && i + 1 < text.count && text[i + 1] == 0x2F {
                while i < text.count && text[i] != 0x0A { i += 1 }
                prose.append(start..<i)
                continue
            }
            if slashes && c == 0x2F && i + 1 < text.count && text[i + 1] == 0x2A {
                i += 2
                while i + 1 < text.count && !(text[i] == 0x2A && text[i + 1] == 0x2F) { i += 1 }
                i = min(text.count, i + 2)
                prose.append(start..<i)
                continue
            }
            if c == 0x22 || c == 0x27 || c == 0x60 {
                // A string: to its closing quote on the same line (backquotes may span lines), escapes skipped.
                let q = c
                let triple = i + 2 < text.count && text[i + 1] == q && text[i + 2] == q
                i += triple ? 3 : 1
                while i < text.count {
                    if text[i] == 0x5C { i += 2; continue }
                    if triple { if i + 2 < text.count && text[i] == q && text[i + 1] == q && text[i + 2] == q { i += 3; break } }
                    else if text[i] == q { i += 1; break }
                    else if text[i] == 0x0A && q != 0x60 { break }
                    i += 1
                }
                i = min(i, text.count)
                prose.append(start..<i)
                continue
            }
            if c == 0x28 || c == 0x5B || c == 0x7B { stack.append(c) }
            else if c == 0x29 || c == 0x5D || c == 0x7D {
                if let top = stack.last {
                    if top == pair(c) { stack.removeLast() } else if mismatch == nil { mismatch = i }
                } else { closers.append(c) }
            }
            i += 1
        }
        unmatchedClosers = closers; unclosedOpeners = stack; self.mismatch = mismatch; self.prose = prose
        var m: Int?
        for line in text.split(separator: 0x0A) {
            var n = 0, blank = true
            for b in line { if b == 0x20 { n += 1 } else if b == 0x09 { n += 4 } else { blank = b == 0x0D; break } }
            if !blank { m = min(m ?? n, n) }
        }
        margin = m
    }

    /// Why `new` may not replace `old`, or nil when its shape fits.
    static func problem(old: [UInt8], new: [UInt8], languageID: String) -> String? {
        let a = CodeShape(old, languageID: languageID), b = CodeShape(new, languageID: languageID)
        if b.mismatch != nil && a.mismatch == nil { return "its brackets do not match" }
        if a.unmatchedClosers != b.unmatchedClosers || a.unclosedOpeners != b.unclosedOpeners {
            let show = { (x: CodeShape) in String(decoding: x.unmatchedClosers, as: UTF8.self) + "…" + String(decoding: x.unclosedOpeners, as: UTF8.self) }
            return "its brackets do not balance as the original's do (\(show(b)) instead of \(show(a)))"
        }
        if let ma = a.margin, let mb = b.margin, mb < ma { return "a line is indented left of the region (\(mb) columns instead of at least \(ma))" }
        return nil
    }
}
