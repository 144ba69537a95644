/// The template as a tree, parsed with jinja2's precedence (jinja2/parser.py): conditional `a if b
/// else c` < `or` < `and` < `not` < comparisons and `in` < `+ -` < `~` < `* / // %` < `**` < unary
/// minus < postfix (`.x`, `[i]`, `[a:b:c]`, calls) with filters `|f` and tests `is t` binding tightest.
indirect enum JinjaExpr {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    case attribute(JinjaExpr, String)
    case index(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
    case call(JinjaExpr, [JinjaExpr], [(String, JinjaExpr)])
    case filter(JinjaExpr, String, [JinjaExpr], [(String, JinjaExpr)])
    case test(JinjaExpr, String, [JinjaExpr], negated: Bool)
    case unary(String, JinjaExpr)
    case binary(String, JinjaExpr, JinjaExpr)
    case conditional(JinjaExpr, then: JinjaExpr, else: JinjaExpr?)
}

indirect enum JinjaNode {
    case text(String)
    case output(JinjaExpr, line: Int)
    case ifBlock([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode], line: Int)
    case forBlock(targets: [String], iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode], line: Int)
    /// `set x = e` or `set ns.attr = e`.
    case set(target: String, attribute: String?, JinjaExpr, line: Int)
    case breakLoop(line: Int), continueLoop(line: Int)
    /// transformers' `{% generation %}` … `{% endgeneration %}`: renders its body.
    case generation([JinjaNode])
}

struct JinjaParser {
    private var pieces: [JinjaLexer.Piece]
    private var at = 0

    static func parse(_ template: String) throws -> [JinjaNode] {
        var p = JinjaParser(pieces: try JinjaLexer.pieces(template))
        let (nodes, end) = try p.block(until: [])
        if let end { throw JinjaError.syntax("unexpected {% \(end.word) %}", line: end.line) }
        return nodes
    }

    private init(pieces: [JinjaLexer.Piece]) { self.pieces = pieces }

    /// Nodes up to a statement whose first word is in `until` (returned with its tokens), or the end.
    private mutating func block(until: Set<String>) throws -> ([JinjaNode], (word: String, rest: ExprParser, line: Int)?) {
        var nodes: [JinjaNode] = []
        while at < pieces.count {
            let piece = pieces[at]; at += 1
            switch piece {
            case .text(let t): nodes.append(.text(t))
            case let .output(src, line):
                var e = ExprParser(try JinjaLexer.tokens(src, line: line), line: line)
                let x = try e.expression()
                try e.end()
                nodes.append(.output(x, line: line))
            case let .statement(src, line):
                var e = ExprParser(try JinjaLexer.tokens(src, line: line), line: line)
                guard case .name(let word)? = e.next() else { throw JinjaError.syntax("a statement needs a keyword", line: line) }
                if until.contains(word) { return (nodes, (word, e, line)) }
                nodes.append(try statement(word, &e, line: line))
            }
        }
        return (nodes, nil)
    }

    private mutating func statement(_ word: String, _ e: inout ExprParser, line: Int) throws -> JinjaNode {
        switch word {
        case "if":
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var cond = try e.expression(); try e.end()
            while true {
                let (body, end) = try block(until: ["elif", "else", "endif"])
                guard var end else { throw JinjaError.syntax("{% if %} is never closed by {% endif %}", line: line) }
                branches.append((cond, body))
                switch end.word {
                case "elif": cond = try end.rest.expression(); try end.rest.end()
                case "else":
                    try end.rest.end()
                    let (other, close) = try block(until: ["endif"])
                    guard close != nil else { throw JinjaError.syntax("{% else %} is never closed by {% endif %}", line: end.line) }
                    return .ifBlock(branches, otherwise: other, line: line)
                default: return .ifBlock(branches, otherwise: [], line: line)
                }
            }
        case "for":
            var targets: [String] = []
            repeat {
                guard case .name(let n)? = e.next() else { throw JinjaError.syntax("{% for %} needs a loop variable", line: line) }
                targets.append(n)
            } while e.accept(.op(","))
            guard e.accept(.name("in")) else { throw JinjaError.syntax("{% for %} needs 'in'", line: line) }
            let iterable = try e.expression(allowConditional: false)
            var filter: JinjaExpr?
            if e.accept(.name("if")) { filter = try e.expression(allowConditional: false) }
            if e.accept(.name("recursive")) { throw JinjaError.unsupported(construct: "a recursive for loop", line: line) }
            try e.end()
            let (body, end) = try block(until: ["else", "endfor"])
            guard let end else { throw JinjaError.syntax("{% for %} is never closed by {% endfor %}", line: line) }
            var other: [JinjaNode] = []
            if end.word == "else" {
                let (o, close) = try block(until: ["endfor"])
                guard close != nil else { throw JinjaError.syntax("{% else %} is never closed by {% endfor %}", line: end.line) }
                other = o
            }
            return .forBlock(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: other, line: line)
        case "set":
            guard case .name(let target)? = e.next() else { throw JinjaError.syntax("{% set %} needs a name", line: line) }
            var attribute: String?
            if e.accept(.op(".")) {
                guard case .name(let a)? = e.next() else { throw JinjaError.syntax("{% set \(target). %} needs an attribute", line: line) }
                attribute = a
            }
            if e.peek == .op(",") { throw JinjaError.unsupported(construct: "{% set a, b = … %} (unpacking)", line: line) }
            guard e.accept(.op("=")) else { throw JinjaError.unsupported(construct: "a block {% set %} … {% endset %}", line: line) }
            let value = try e.expression(); try e.end()
            return .set(target: target, attribute: attribute, value, line: line)
        case "break": try e.end(); return .breakLoop(line: line)
        case "continue": try e.end(); return .continueLoop(line: line)
        case "generation":
            try e.end()
            let (body, end) = try block(until: ["endgeneration"])
            guard end != nil else { throw JinjaError.syntax("{% generation %} is never closed", line: line) }
            return .generation(body)
        case "macro", "call", "filter", "include", "import", "from", "extends", "block", "raw", "with", "autoescape", "do":
            throw JinjaError.unsupported(construct: "{% \(word) %}", line: line)
        default:
            throw JinjaError.syntax("unknown statement {% \(word) %}", line: line)
        }
    }
}

/// An expression parser over one tag's tokens.
struct ExprParser {
    private let tokens: [JinjaLexer.Token]
    private var at = 0
    let line: Int

    init(_ tokens: [JinjaLexer.Token], line: Int) { self.tokens = tokens; self.line = line }

    var peek: JinjaLexer.Token? { at < tokens.count ? tokens[at] : nil }
    mutating func next() -> JinjaLexer.Token? { defer { at += 1 }; return peek }
    mutating func accept(_ t: JinjaLexer.Token) -> Bool { if peek == t { at += 1; return true }; return false }
    mutating func expect(_ t: JinjaLexer.Token, _ what: String) throws { guard accept(t) else { throw JinjaError.syntax("expected \(what)", line: line) } }
    func end() throws { if let t = peek { throw JinjaError.syntax("unexpected \(Self.show(t)) at the end of the tag", line: line) } }

    static func show(_ t: JinjaLexer.Token) -> String {
        switch t {
        case .name(let n): return "'\(n)'"
        case .string(let s): return JinjaValue.string(s).repr
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .op(let o): return "'\(o)'"
        }
    }

    mutating func expression(allowConditional: Bool = true) throws -> JinjaExpr {
        let x = try or()
        guard allowConditional, accept(.name("if")) else { return x }
        let cond = try or()
        let other = accept(.name("else")) ? try expression() : nil
        return .conditional(cond, then: x, else: other)
    }

    private mutating func or() throws -> JinjaExpr {
        var x = try and()
        while accept(.name("or")) { x = .binary("or", x, try and()) }
        return x
    }

    private mutating func and() throws -> JinjaExpr {
        var x = try not()
        while accept(.name("and")) { x = .binary("and", x, try not()) }
        return x
    }

    private mutating func not() throws -> JinjaExpr {
        if accept(.name("not")) { return .unary("not", try not()) }
        return try compare()
    }

    private mutating func compare() throws -> JinjaExpr {
        var x = try math1()
        while true {
            if case .op(let o)? = peek, ["==", "!=", "<", ">", "<=", ">="].contains(o) { at += 1; x = .binary(o, x, try math1()) }
            else if accept(.name("in")) { x = .binary("in", x, try math1()) }
            else if peek == .name("not"), at + 1 < tokens.count, tokens[at + 1] == .name("in") { at += 2; x = .unary("not", .binary("in", x, try math1())) }
            else { return x }
        }
    }

    private mutating func math1() throws -> JinjaExpr {
        var x = try concat()
        while case .op(let o)? = peek, o == "+" || o == "-" { at += 1; x = .binary(o, x, try concat()) }
        return x
    }

    private mutating func concat() throws -> JinjaExpr {
        var x = try math2()
        while accept(.op("~")) { x = .binary("~", x, try math2()) }
        return x
    }

    private mutating func math2() throws -> JinjaExpr {
        var x = try pow()
        while case .op(let o)? = peek, ["*", "/", "//", "%"].contains(o) { at += 1; x = .binary(o, x, try pow()) }
        return x
    }

    private mutating func pow() throws -> JinjaExpr {
        var x = try unary()
        while accept(.op("**")) { x = .binary("**", x, try unary()) }
        return x
    }

    private mutating func unary() throws -> JinjaExpr {
        if accept(.op("-")) { return try filters(.unary("-", try unary())) }
        if accept(.op("+")) { return try filters(try unary()) }
        return try filters(try postfix(try primary()))
    }

    private mutating func primary() throws -> JinjaExpr {
        guard let t = next() else { throw JinjaError.syntax("an expression is missing", line: line) }
        switch t {
        case .string(var s):
            while case .string(let more)? = peek { s += more; at += 1 }       // adjacent literals concatenate
            return .literal(.string(s))
        case .int(let i): return .literal(.int(i))
        case .double(let d): return .literal(.double(d))
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .op("("):
            let x = try expression()
            if accept(.op(",")) {
                var items = [x]
                while peek != .op(")") { items.append(try expression()); if !accept(.op(",")) { break } }
                try expect(.op(")"), "')'")
                return .list(items)
            }
            try expect(.op(")"), "')'")
            return x
        case .op("["):
            var items: [JinjaExpr] = []
            while peek != .op("]") { items.append(try expression()); if !accept(.op(",")) { break } }
            try expect(.op("]"), "']'")
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while peek != .op("}") {
                let k = try expression(); try expect(.op(":"), "':'")
                pairs.append((k, try expression()))
                if !accept(.op(",")) { break }
            }
            try expect(.op("}"), "'}'")
            return .dict(pairs)
        default:
            throw JinjaError.syntax("unexpected \(Self.show(t))", line: line)
        }
    }

    private mutating func postfix(_ base: JinjaExpr) throws -> JinjaExpr {
        var x = base
        while true {
            if accept(.op(".")) {
                guard case .name(let n)? = next() else { throw JinjaError.syntax("expected an attribute name after '.'", line: line) }
                x = .attribute(x, n)
            } else if accept(.op("[")) {
                var parts: [JinjaExpr?] = [nil]
                var isSlice = false
                while peek != .op("]") {
                    if accept(.op(":")) { isSlice = true; parts.append(nil); continue }
                    parts[parts.count - 1] = try expression()
                }
                try expect(.op("]"), "']'")
                if isSlice {
                    while parts.count < 3 { parts.append(nil) }
                    x = .slice(x, parts[0], parts[1], parts[2])
                } else {
                    guard let i = parts[0] else { throw JinjaError.syntax("an empty subscript", line: line) }
                    x = .index(x, i)
                }
            } else if peek == .op("(") {
                at += 1
                let (args, kwargs) = try arguments()
                x = .call(x, args, kwargs)
            } else { return x }
        }
    }

    /// `(a, b, k=v)` after the opening parenthesis.
    private mutating func arguments() throws -> ([JinjaExpr], [(String, JinjaExpr)]) {
        var args: [JinjaExpr] = [], kwargs: [(String, JinjaExpr)] = []
        while peek != .op(")") {
            if case .name(let n)? = peek, at + 1 < tokens.count, tokens[at + 1] == .op("=") {
                at += 2; kwargs.append((n, try expression()))
            } else { args.append(try expression()) }
            if !accept(.op(",")) { break }
        }
        try expect(.op(")"), "')'")
        return (args, kwargs)
    }

    private mutating func filters(_ base: JinjaExpr) throws -> JinjaExpr {
        var x = base
        while true {
            if accept(.op("|")) {
                guard case .name(var n)? = next() else { throw JinjaError.syntax("expected a filter name after '|'", line: line) }
                while accept(.op(".")) { if case .name(let m)? = next() { n += "." + m } }
                var args: [JinjaExpr] = [], kwargs: [(String, JinjaExpr)] = []
                if accept(.op("(")) { (args, kwargs) = try arguments() }
                x = .filter(x, n, args, kwargs)
            } else if accept(.name("is")) {
                let negated = accept(.name("not"))
                guard case .name(let n)? = next() else { throw JinjaError.syntax("expected a test name after 'is'", line: line) }
                var args: [JinjaExpr] = []
                if accept(.op("(")) { args = try arguments().0 }
                else if let t = peek, Self.startsArgument(t) { args = [try postfix(try primary())] }
                x = .test(x, n, args, negated: negated)
            } else { return x }
        }
    }

    /// A test's single argument without parentheses (`is equalto 3`, `is sameas none`).
    private static func startsArgument(_ t: JinjaLexer.Token) -> Bool {
        switch t {
        case .string, .int, .double: return true
        case .name(let n): return !["and", "or", "else", "if", "in", "is", "not", "recursive"].contains(n)
        default: return false
        }
    }
}
