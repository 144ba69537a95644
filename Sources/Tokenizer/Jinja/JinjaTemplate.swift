import Foundation

/// A parsed chat template, rendered as jinja2 renders it in transformers' environment
/// (transformers/utils/chat_template_utils.py: `_cached_compile_jinja_template`): loop controls,
/// `raise_exception`, `tojson` without HTML escaping, `strftime_now`, `namespace`. Variables set in
/// a loop body stay in that iteration (jinja2 scoping; templates use `namespace` to carry state out).
public struct JinjaTemplate: Sendable {
    let nodes: [JinjaNode]

    public init(_ source: String) throws { nodes = try JinjaParser.parse(source) }

    public func render(_ context: [String: JinjaValue]) throws -> String {
        var r = Renderer(scopes: [context])
        var out = ""
        try r.run(nodes, &out)
        return out
    }
}

extension JinjaNode: @unchecked Sendable {}
extension JinjaExpr: @unchecked Sendable {}

private struct Renderer {
    var scopes: [[String: JinjaValue]]
    enum Flow: Error { case breakLoop, continueLoop }

    mutating func run(_ nodes: [JinjaNode], _ out: inout String) throws {
        for n in nodes {
            switch n {
            case .text(let t): out += t
            case let .output(e, line): out += try eval(e, line).printed
            case let .ifBlock(branches, otherwise, line):
                var taken = false
                for (cond, body) in branches where try eval(cond, line).truthy { try run(body, &out); taken = true; break }
                if !taken { try run(otherwise, &out) }
            case let .forBlock(targets, iterable, filter, body, otherwise, line):
                try loop(targets, iterable, filter, body, otherwise, line, &out)
            case let .set(target, attribute, e, line):
                let v = try eval(e, line)
                if let attribute {
                    guard case .namespace(let ns) = lookup(target) else {
                        throw JinjaError.runtime("{% set \(target).\(attribute) %}: \(target) is not a namespace", line: line)
                    }
                    ns.set(attribute, v)
                } else { scopes[scopes.count - 1][target] = v }
            case .breakLoop: throw Flow.breakLoop
            case .continueLoop: throw Flow.continueLoop
            case .generation(let body): try run(body, &out)
            }
        }
    }

    mutating func loop(_ targets: [String], _ iterable: JinjaExpr, _ filter: JinjaExpr?, _ body: [JinjaNode], _ otherwise: [JinjaNode],
                       _ line: Int, _ out: inout String) throws {
        let seq = try eval(iterable, line)
        var items: [JinjaValue]
        switch seq {
        case .array(let a): items = a
        case .object(let o): items = o.map { .string($0.0) }
        case .string(let s): items = s.map { .string(String($0)) }
        case .undefined, .none: items = []
        default: throw JinjaError.runtime("cannot loop over a \(seq.typeName)", line: line)
        }
        func bind(_ item: JinjaValue, into scope: inout [String: JinjaValue]) throws {
            if targets.count == 1 { scope[targets[0]] = item; return }
            guard case .array(let parts) = item, parts.count == targets.count else {
                throw JinjaError.runtime("cannot unpack \(item.repr) into \(targets.count) names", line: line)
            }
            for (t, v) in zip(targets, parts) { scope[t] = v }
        }
        if let filter {
            items = try items.filter { item in
                var scope: [String: JinjaValue] = [:]
                try bind(item, into: &scope)
                scopes.append(scope); defer { scopes.removeLast() }
                return try eval(filter, line).truthy
            }
        }
        if items.isEmpty { try run(otherwise, &out); return }
        let n = items.count
        for (i, item) in items.enumerated() {
            var scope: [String: JinjaValue] = [:]
            try bind(item, into: &scope)
            scope["loop"] = .object([("index", .int(i + 1)), ("index0", .int(i)), ("first", .bool(i == 0)), ("last", .bool(i == n - 1)),
                                     ("length", .int(n)), ("revindex", .int(n - i)), ("revindex0", .int(n - i - 1)),
                                     ("previtem", i > 0 ? items[i - 1] : .undefined), ("nextitem", i + 1 < n ? items[i + 1] : .undefined)])
            scopes.append(scope)
            defer { scopes.removeLast() }
            do { try run(body, &out) }
            catch Flow.breakLoop { break }
            catch Flow.continueLoop { continue }
        }
    }

    func lookup(_ name: String) -> JinjaValue {
        for s in scopes.reversed() { if let v = s[name] { return v } }
        return .undefined
    }

    // MARK: Expressions

    mutating func eval(_ e: JinjaExpr, _ line: Int) throws -> JinjaValue {
        switch e {
        case .literal(let v): return v
        case .name(let n): return lookup(n)
        case .list(let items): return .array(try items.map { try eval($0, line) })
        case .dict(let pairs):
            return .object(try pairs.map { k, v in
                guard case .string(let key) = try eval(k, line) else { throw JinjaError.unsupported(construct: "a dictionary key that is not a string", line: line) }
                return (key, try eval(v, line))
            })
        case let .attribute(base, name):
            let b = try eval(base, line)
            if case .undefined = b { throw JinjaError.runtime("'\(name)' of an undefined value", line: line) }
            return b.member(name) ?? .undefined
        case let .index(base, i):
            let b = try eval(base, line), k = try eval(i, line)
            if case .undefined = b { throw JinjaError.runtime("an index into an undefined value", line: line) }
            return try Self.item(b, k, line)
        case let .slice(base, lo, hi, step):
            return try Self.slice(try eval(base, line), try lo.map { try eval($0, line) }, try hi.map { try eval($0, line) }, try step.map { try eval($0, line) }, line)
        case let .call(callee, args, kwargs):
            let a = try args.map { try eval($0, line) }
            let k = try kwargs.map { ($0.0, try eval($0.1, line)) }
            if case let .attribute(base, method) = callee { return try JinjaBuiltins.method(try eval(base, line), method, a, k, line) }
            guard case .name(let f) = callee else { throw JinjaError.unsupported(construct: "calling an expression", line: line) }
            if case .undefined = lookup(f) { return try JinjaBuiltins.global(f, a, k, line) }
            throw JinjaError.unsupported(construct: "calling '\(f)'", line: line)
        case let .filter(base, name, args, kwargs):
            return try JinjaBuiltins.filter(try eval(base, line), name, try args.map { try eval($0, line) }, try kwargs.map { ($0.0, try eval($0.1, line)) }, line)
        case let .test(base, name, args, negated):
            let v = try JinjaBuiltins.test(try eval(base, line), name, try args.map { try eval($0, line) }, line)
            return .bool(v != negated)
        case let .unary(op, x):
            let v = try eval(x, line)
            if op == "not" { return .bool(!v.truthy) }
            switch v {
            case .int(let i): return .int(-i)
            case .double(let d): return .double(-d)
            default: throw JinjaError.runtime("cannot negate a \(v.typeName)", line: line)
            }
        case let .binary(op, a, b):
            if op == "and" { let x = try eval(a, line); return x.truthy ? try eval(b, line) : x }
            if op == "or" { let x = try eval(a, line); return x.truthy ? x : try eval(b, line) }
            return try Self.binary(op, try eval(a, line), try eval(b, line), line)
        case let .conditional(cond, then, other):
            return try eval(cond, line).truthy ? try eval(then, line) : try other.map { try eval($0, line) } ?? .undefined
        }
    }

    static func item(_ b: JinjaValue, _ k: JinjaValue, _ line: Int) throws -> JinjaValue {
        switch (b, k) {
        case let (.array(a), .int(i)):
            let j = i < 0 ? a.count + i : i
            return a.indices.contains(j) ? a[j] : .undefined
        case let (.string(s), .int(i)):
            let c = Array(s), j = i < 0 ? c.count + i : i
            return c.indices.contains(j) ? .string(String(c[j])) : .undefined
        case let (_, .string(key)): return b.member(key) ?? .undefined
        default: throw JinjaError.runtime("cannot index a \(b.typeName) with a \(k.typeName)", line: line)
        }
    }

    /// Python slicing `x[lo:hi:step]` of a list or string.
    static func slice(_ b: JinjaValue, _ lo: JinjaValue?, _ hi: JinjaValue?, _ step: JinjaValue?, _ line: Int) throws -> JinjaValue {
        func int(_ v: JinjaValue?) throws -> Int? {
            guard let v else { return nil }
            if case .none = v { return nil }
            guard case .int(let i) = v else { throw JinjaError.runtime("a slice bound must be an integer", line: line) }
            return i
        }
        let st = try int(step) ?? 1
        guard st != 0 else { throw JinjaError.runtime("a slice step cannot be zero", line: line) }
        func pick<T>(_ xs: [T]) throws -> [T] {
            let n = xs.count
            func clamp(_ v: Int?, _ def: Int) -> Int {
                guard var v else { return def }
                if v < 0 { v += n }
                return st > 0 ? min(max(v, 0), n) : min(max(v, -1), n - 1)
            }
            var i = clamp(try int(lo), st > 0 ? 0 : n - 1)
            let end = clamp(try int(hi), st > 0 ? n : -1)
            var out: [T] = []
            while st > 0 ? i < end : i > end { out.append(xs[i]); i += st }
            return out
        }
        switch b {
        case .array(let a): return .array(try pick(a))
        case .string(let s): return .string(String(try pick(Array(s))))
        default: throw JinjaError.runtime("cannot slice a \(b.typeName)", line: line)
        }
    }

    static func binary(_ op: String, _ x: JinjaValue, _ y: JinjaValue, _ line: Int) throws -> JinjaValue {
        switch op {
        case "==": return .bool(x == y)
        case "!=": return .bool(x != y)
        case "~": return .string(x.printed + y.printed)
        case "in":
            switch y {
            case .string(let s):
                guard case .string(let t) = x else { throw JinjaError.runtime("'in <string>' needs a string on the left, not a \(x.typeName)", line: line) }
                return .bool(t.isEmpty || s.contains(t))
            case .array(let a): return .bool(a.contains(x))
            case .object, .namespace:
                guard case .string(let k) = x else { return .bool(false) }
                return .bool(y.member(k) != nil)
            case .undefined: throw JinjaError.runtime("'in' an undefined value", line: line)
            default: throw JinjaError.runtime("'in' a \(y.typeName)", line: line)
            }
        case "<", ">", "<=", ">=":
            let c: Bool
            if case let (.string(a), .string(b)) = (x, y) {
                c = op == "<" ? a < b : op == ">" ? a > b : op == "<=" ? a <= b : a >= b
            } else if let a = x.number, let b = y.number {
                c = op == "<" ? a < b : op == ">" ? a > b : op == "<=" ? a <= b : a >= b
            } else { throw JinjaError.runtime("cannot compare a \(x.typeName) with a \(y.typeName)", line: line) }
            return .bool(c)
        case "+":
            switch (x, y) {
            case let (.string(a), .string(b)): return .string(a + b)
            case let (.array(a), .array(b)): return .array(a + b)
            case let (.int(a), .int(b)): return .int(a + b)
            default:
                if let a = x.number, let b = y.number { return .double(a + b) }
                throw JinjaError.runtime("cannot add a \(y.typeName) to a \(x.typeName)", line: line)
            }
        case "-", "*", "/", "//", "%", "**":
            if op == "*", case let (.string(s), .int(n)) = (x, y) { return .string(String(repeating: s, count: max(0, n))) }
            if case let (.int(a), .int(b)) = (x, y), op != "/" {
                switch op {
                case "-": return .int(a - b)
                case "*": return .int(a * b)
                case "**": return .int(Int(Foundation.pow(Double(a), Double(b))))
                default:
                    guard b != 0 else { throw JinjaError.runtime("division by zero", line: line) }
                    let q = Int((Double(a) / Double(b)).rounded(.down))
                    return .int(op == "//" ? q : a - q * b)
                }
            }
            guard let a = x.number, let b = y.number else { throw JinjaError.runtime("'\(op)' between a \(x.typeName) and a \(y.typeName)", line: line) }
            switch op {
            case "-": return .double(a - b)
            case "*": return .double(a * b)
            case "**": return .double(Foundation.pow(a, b))
            case "/": guard b != 0 else { throw JinjaError.runtime("division by zero", line: line) }; return .double(a / b)
            case "//": guard b != 0 else { throw JinjaError.runtime("division by zero", line: line) }; return .double((a / b).rounded(.down))
            default: guard b != 0 else { throw JinjaError.runtime("division by zero", line: line) }; return .double(a - (a / b).rounded(.down) * b)
            }
        default: throw JinjaError.unsupported(construct: "the operator '\(op)'", line: line)
        }
    }
}
