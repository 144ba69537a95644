/// Finds the body of the function that encloses an offset: by braces for C-like languages, by
/// indentation for Python. Offsets are UTF-8 byte offsets.
public struct FunctionFinder {
    public init() {}

    static let braceKeywords = ["func ", "function ", "fn ", "def ", "=> ", "void ", "int ", "static ", "public ", "private ", "init(", "func(", "subscript"]

    public func enclosingBody(in text: String, at offset: Int, languageID: String) -> Swift.Range<Int>? {
        let bytes = Array(text.utf8)
        guard offset >= 0, offset <= bytes.count else { return nil }
        if languageID == "python" || (!text.contains("{") && text.contains("def ")) { return python(bytes, offset) }
        return braces(bytes, offset)
    }

    func lineStart(_ b: [UInt8], _ i: Int) -> Int { var j = i; while j > 0 && b[j - 1] != 10 { j -= 1 }; return j }
    func lineEnd(_ b: [UInt8], _ i: Int) -> Int { var j = i; while j < b.count && b[j] != 10 { j += 1 }; return j }

    func braces(_ b: [UInt8], _ offset: Int) -> Swift.Range<Int>? {
        var depth = 0
        var i = offset - 1
        while i >= 0 {
            if b[i] == UInt8(ascii: "}") { depth += 1 }
            else if b[i] == UInt8(ascii: "{") {
                if depth == 0 {
                    // Header: this line and the previous one.
                    let ls = lineStart(b, i)
                    let prev = ls > 0 ? lineStart(b, ls - 1) : ls
                    let header = String(decoding: b[prev..<i], as: UTF8.self)
                    if Self.braceKeywords.contains(where: header.contains), let close = matching(b, from: i) {
                        return (i + 1)..<close
                    }
                } else { depth -= 1 }
            }
            i -= 1
        }
        return nil
    }

    func matching(_ b: [UInt8], from open: Int) -> Int? {
        var depth = 0
        for j in open..<b.count {
            if b[j] == UInt8(ascii: "{") { depth += 1 } else if b[j] == UInt8(ascii: "}") { depth -= 1; if depth == 0 { return j } }
        }
        return nil
    }

    func indent(_ b: [UInt8], _ ls: Int) -> Int { var j = ls; while j < b.count && (b[j] == 32 || b[j] == 9) { j += 1 }; return j - ls }
    func blank(_ b: [UInt8], _ ls: Int) -> Bool { var j = ls; while j < b.count && b[j] != 10 { if b[j] != 32 && b[j] != 9 && b[j] != 13 { return false }; j += 1 }; return true }

    func python(_ b: [UInt8], _ offset: Int) -> Swift.Range<Int>? {
        let cursorLine = lineStart(b, min(offset, b.count))
        let cursorIndent = blank(b, cursorLine) ? Int.max : indent(b, cursorLine)
        var ls = cursorLine
        while true {
            let ind = indent(b, ls)
            let lineText = String(decoding: b[(ls + ind)..<lineEnd(b, ls)], as: UTF8.self)
            if (lineText.hasPrefix("def ") || lineText.hasPrefix("async def ")) && (ind < cursorIndent || ls == cursorLine) {
                // The header may span lines: the body starts after the line that ends with ':'.
                var h = ls
                while h < b.count {
                    let e = lineEnd(b, h)
                    let t = String(decoding: b[h..<e], as: UTF8.self).trimmingCharacters()
                    if t.hasSuffix(":") || e >= b.count { h = min(e + 1, b.count); break }
                    h = e + 1
                }
                let bodyStart = h
                var end = bodyStart, j = bodyStart
                while j < b.count {
                    let e = lineEnd(b, j)
                    if !blank(b, j) {
                        if indent(b, j) <= ind { break }
                        end = e
                    }
                    j = e + 1
                }
                return bodyStart < end ? bodyStart..<end : nil
            }
            if ls == 0 { return nil }
            ls = lineStart(b, ls - 1)
        }
    }
}
