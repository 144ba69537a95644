/// Splits a template into text and tags, applying whitespace control exactly as transformers'
/// environment does (jinja2 with `trim_blocks=True, lstrip_blocks=True`): `{%-`/`-%}` strip all
/// whitespace on that side; a block or comment tag's first following newline is removed; spaces and
/// tabs before a block or comment tag that starts its line are removed. Then tokenises tag contents.
struct JinjaLexer {
    enum Piece: Equatable {
        case text(String)
        /// `{{ … }}`: the expression's source.
        case output(String, line: Int)
        /// `{% … %}`: the statement's source.
        case statement(String, line: Int)
    }

    static func pieces(_ template: String) throws -> [Piece] {
        let s = Array(template.unicodeScalars)
        var out: [Piece] = []
        var text: [Unicode.Scalar] = []
        var i = 0, line = 1
        var stripNextLeading = false, trimNextNewline = false
        var textStart = 0                         // source index where `text` began
        func flushText(stripTrailing: Bool, lstripForBlock: Bool) {
            if stripTrailing {
                while let l = text.last, l.properties.isWhitespace { text.removeLast() }
            } else if lstripForBlock {
                // Spaces/tabs between the line's start and the tag go.
                var j = text.count
                while j > 0 && (text[j - 1] == " " || text[j - 1] == "\t") { j -= 1 }
                // At a line start in the source (a newline trim_blocks removed still counts).
                if j == 0 ? textStart == 0 || s[textStart - 1] == "\n" : text[j - 1] == "\n" { text.removeSubrange(j...) }
            }
            if !text.isEmpty { out.append(.text(String(String.UnicodeScalarView(text)))) }
            text = []
        }
        while i < s.count {
            if s[i] == "{", i + 1 < s.count, s[i + 1] == "{" || s[i + 1] == "%" || s[i + 1] == "#" {
                let kind = s[i + 1]
                var j = i + 2
                let stripBefore = j < s.count && s[j] == "-"
                let keepBefore = j < s.count && s[j] == "+"
                if stripBefore || keepBefore { j += 1 }
                let close: Unicode.Scalar = kind == "{" ? "}" : kind == "%" ? "%" : "#"
                // Find the closing `}}` / `%}` / `#}`, skipping string literals inside expressions.
                var k = j, quote: Unicode.Scalar?
                var found = -1
                while k < s.count {
                    let c = s[k]
                    if kind != "#", let q = quote { if c == "\\" { k += 2; continue }; if c == q { quote = nil }; k += 1; continue }
                    if kind != "#" && (c == "'" || c == "\"") { quote = c; k += 1; continue }
                    if c == close && k + 1 < s.count && s[k + 1] == "}" { found = k; break }
                    k += 1
                }
                guard found >= 0 else { throw JinjaError.syntax("a tag opened here is never closed", line: line) }
                var end = found
                let stripAfter = end > j && s[end - 1] == "-"
                if stripAfter { end -= 1 }
                let body = String(String.UnicodeScalarView(s[j..<end]))
                flushText(stripTrailing: stripBefore, lstripForBlock: kind != "{" && !keepBefore)
                switch kind {
                case "{": out.append(.output(body, line: line))
                case "%": out.append(.statement(body, line: line))
                default: break
                }
                line += s[i..<(found + 2)].filter { $0 == "\n" }.count
                i = found + 2
                stripNextLeading = stripAfter
                trimNextNewline = kind != "{" && !stripAfter
                if stripNextLeading { while i < s.count && s[i].properties.isWhitespace { if s[i] == "\n" { line += 1 }; i += 1 } }
                else if trimNextNewline && i < s.count && s[i] == "\n" { i += 1; line += 1 }
                else if trimNextNewline && i + 1 < s.count && s[i] == "\r" && s[i + 1] == "\n" { i += 2; line += 1 }
                textStart = i
                continue
            }
            if s[i] == "\n" { line += 1 }
            text.append(s[i]); i += 1
        }
        flushText(stripTrailing: false, lstripForBlock: false)
        return out
    }

    // MARK: Tokens inside tags

    enum Token: Equatable {
        case name(String)
        case string(String)
        case int(Int)
        case double(Double)
        case op(String)
    }

    static let operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="]

    static func tokens(_ source: String, line: Int) throws -> [Token] {
        let s = Array(source.unicodeScalars)
        var out: [Token] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if c.properties.isWhitespace { i += 1; continue }
            if c == "'" || c == "\"" {
                var v = String.UnicodeScalarView(), j = i + 1
                while j < s.count && s[j] != c {
                    if s[j] == "\\" && j + 1 < s.count {
                        j += 1
                        switch s[j] {
                        case "n": v.append("\n")
                        case "t": v.append("\t")
                        case "r": v.append("\r")
                        case "\\": v.append("\\")
                        case "'": v.append("'")
                        case "\"": v.append("\"")
                        case "0": v.append("\0")
                        default: v.append("\\"); v.append(s[j])
                        }
                    } else { v.append(s[j]) }
                    j += 1
                }
                guard j < s.count else { throw JinjaError.syntax("a string is never closed", line: line) }
                out.append(.string(String(v))); i = j + 1
                continue
            }
            if c.properties.numericType != nil && c.isASCII {
                var j = i
                while j < s.count && (s[j].properties.numericType != nil && s[j].isASCII || s[j] == "_") { j += 1 }
                if j + 1 < s.count && s[j] == "." && s[j + 1].properties.numericType != nil && s[j + 1].isASCII {
                    j += 1
                    while j < s.count && s[j].properties.numericType != nil && s[j].isASCII { j += 1 }
                    out.append(.double(Double(String(String.UnicodeScalarView(s[i..<j]))) ?? 0))
                } else {
                    out.append(.int(Int(String(String.UnicodeScalarView(s[i..<j].filter { $0 != "_" }))) ?? 0))
                }
                i = j; continue
            }
            if c == "_" || c.properties.isAlphabetic {
                var j = i
                while j < s.count && (s[j] == "_" || s[j].properties.isAlphabetic || s[j].properties.numericType != nil) { j += 1 }
                out.append(.name(String(String.UnicodeScalarView(s[i..<j])))); i = j
                continue
            }
            if let op = operators.first(where: { op in
                let o = Array(op.unicodeScalars)
                return i + o.count <= s.count && Array(s[i..<(i + o.count)]) == o
            }) {
                out.append(.op(op)); i += op.unicodeScalars.count
                continue
            }
            throw JinjaError.syntax("unexpected character '\(c)'", line: line)
        }
        return out
    }
}
