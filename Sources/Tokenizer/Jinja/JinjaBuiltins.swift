import Foundation

/// The filters, tests, globals and Python methods chat templates use; anything else is
/// `JinjaError.unsupported` naming it (never a guess).
enum JinjaBuiltins {
    static func global(_ name: String, _ a: [JinjaValue], _ k: [(String, JinjaValue)], _ line: Int) throws -> JinjaValue {
        switch name {
        case "raise_exception":
            throw JinjaError.raised(a.first?.printed ?? "raise_exception was called", line: line)
        case "namespace":
            var values: [(String, JinjaValue)] = []
            if case .object(let o)? = a.first { values = o }
            for (key, v) in k { values.removeAll { $0.0 == key }; values.append((key, v)) }
            return .namespace(JinjaNamespace(values))
        case "range":
            let n = try a.map { v -> Int in guard case .int(let i) = v else { throw JinjaError.runtime("range() takes integers", line: line) }; return i }
            let (lo, hi, st) = n.count == 1 ? (0, n[0], 1) : n.count == 2 ? (n[0], n[1], 1) : n.count == 3 ? (n[0], n[1], n[2]) : (0, 0, 1)
            guard st != 0 else { throw JinjaError.runtime("range() step cannot be zero", line: line) }
            return .array(Swift.stride(from: lo, to: hi, by: st).map { .int($0) })
        case "strftime_now":
            guard case .string(let f)? = a.first else { throw JinjaError.runtime("strftime_now() needs a format", line: line) }
            var t = time(nil), tmv = tm()
            localtime_r(&t, &tmv)
            var buf = [Int8](repeating: 0, count: 256)
            let n = strftime(&buf, buf.count, f, &tmv)
            return .string(String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        case "dict":
            var values: [(String, JinjaValue)] = []
            if case .object(let o)? = a.first { values = o }
            return .object(values + k)
        default:
            throw JinjaError.unsupported(construct: "the function \(name)()", line: line)
        }
    }

    static func method(_ v: JinjaValue, _ name: String, _ a: [JinjaValue], _ k: [(String, JinjaValue)], _ line: Int) throws -> JinjaValue {
        func str(_ i: Int) -> String? { if i < a.count, case .string(let s) = a[i] { return s }; return nil }
        switch v {
        case .string(let s):
            switch name {
            case "startswith", "endswith":
                let options: [String]
                if case .array(let list)? = a.first { options = list.compactMap { if case .string(let x) = $0 { return x }; return nil } }
                else if let p = str(0) { options = [p] } else { throw JinjaError.runtime("\(name)() needs a string", line: line) }
                return .bool(options.contains { name == "startswith" ? s.hasPrefix($0) : s.hasSuffix($0) })
            case "strip", "lstrip", "rstrip":
                let chars: Set<Character>? = str(0).map(Set.init)
                func drop(_ c: Character) -> Bool { chars.map { $0.contains(c) } ?? c.isWhitespace }
                var out = Substring(s)
                if name != "rstrip" { out = out.drop(while: drop) }
                if name != "lstrip" { while let l = out.last, drop(l) { out = out.dropLast() } }
                return .string(String(out))
            case "split", "rsplit":
                let maxSplit: Int = { if a.count > 1, case .int(let m) = a[1] { return m }; if case .int(let m)? = k.first(where: { $0.0 == "maxsplit" })?.1 { return m }; return -1 }()
                if let sep = str(0) {
                    guard !sep.isEmpty else { throw JinjaError.runtime("split() with an empty separator", line: line) }
                    var parts = s.components(separatedBy: sep)
                    if maxSplit >= 0 && parts.count > maxSplit + 1 {
                        if name == "split" { parts = Array(parts[..<maxSplit]) + [parts[maxSplit...].joined(separator: sep)] }
                        else { let cut = parts.count - maxSplit; parts = [parts[..<cut].joined(separator: sep)] + Array(parts[cut...]) }
                    }
                    return .array(parts.map { .string($0) })
                }
                return .array(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(s.capitalized)
            case "capitalize": return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
            case "replace":
                guard let x = str(0), let y = str(1) else { throw JinjaError.runtime("replace() needs two strings", line: line) }
                return .string(s.replacingOccurrences(of: x, with: y))
            case "find":
                guard let x = str(0) else { throw JinjaError.runtime("find() needs a string", line: line) }
                guard let r = s.range(of: x) else { return .int(-1) }
                return .int(s.distance(from: s.startIndex, to: r.lowerBound))
            case "count":
                guard let x = str(0), !x.isEmpty else { throw JinjaError.runtime("count() needs a string", line: line) }
                return .int(s.components(separatedBy: x).count - 1)
            case "join":
                guard case .array(let items)? = a.first else { throw JinjaError.runtime("join() needs a list", line: line) }
                return .string(items.map(\.printed).joined(separator: s))
            default: break
            }
        case .object(let o):
            switch name {
            case "items": return .array(o.map { .array([.string($0.0), $0.1]) })
            case "keys": return .array(o.map { .string($0.0) })
            case "values": return .array(o.map(\.1))
            case "get":
                guard let key = str(0) else { throw JinjaError.runtime("get() needs a key", line: line) }
                return v.member(key) ?? (a.count > 1 ? a[1] : .none)
            default: break
            }
        case .undefined:
            throw JinjaError.runtime("\(name)() of an undefined value", line: line)
        default: break
        }
        throw JinjaError.unsupported(construct: "the method .\(name)() on a \(v.typeName)", line: line)
    }

    static func filter(_ v: JinjaValue, _ name: String, _ a: [JinjaValue], _ k: [(String, JinjaValue)], _ line: Int) throws -> JinjaValue {
        func list() throws -> [JinjaValue] {
            switch v {
            case .array(let x): return x
            case .string(let s): return s.map { .string(String($0)) }
            case .object(let o): return o.map { .string($0.0) }
            default: throw JinjaError.runtime("the filter \(name) needs a list, not a \(v.typeName)", line: line)
            }
        }
        switch name {
        case "length", "count":
            switch v {
            case .string(let s): return .int(s.count)
            case .array(let x): return .int(x.count)
            case .object(let o): return .int(o.count)
            default: throw JinjaError.runtime("length of a \(v.typeName)", line: line)
            }
        case "tojson":
            var indent: Int?
            if case .int(let i)? = a.first ?? k.first(where: { $0.0 == "indent" })?.1 { indent = i }
            return .string(v.json(indent: indent))
        case "trim":
            if case .string(let s) = v { return .string(s.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return .string(v.printed.trimmingCharacters(in: .whitespacesAndNewlines))
        case "upper", "lower", "title", "capitalize":
            return try method(.string(v.printed), name, [], [], line)
        case "string": return .string(v.printed)
        case "default", "d":
            let boolean: Bool = { if a.count > 1, case .bool(let b) = a[1] { return b }; return false }()
            if case .undefined = v { return a.first ?? .string("") }
            if boolean && !v.truthy { return a.first ?? .string("") }
            return v
        case "join":
            let sep: String = { if case .string(let s)? = a.first { return s }; return "" }()
            return .string(try list().map(\.printed).joined(separator: sep))
        case "first": return try list().first ?? .undefined
        case "last": return try list().last ?? .undefined
        case "list": return .array(try list())
        case "reverse":
            if case .string(let s) = v { return .string(String(s.reversed())) }
            return .array(try list().reversed())
        case "int":
            switch v {
            case .int: return v
            case .double(let d): return .int(Int(d))
            case .string(let s): return .int(Int(s.trimmingCharacters(in: .whitespaces)) ?? 0)
            case .bool(let b): return .int(b ? 1 : 0)
            default: return .int(0)
            }
        case "float": return .double(v.number ?? Double(v.printed) ?? 0)
        case "abs":
            if case .int(let i) = v { return .int(abs(i)) }
            return .double(abs(v.number ?? 0))
        case "items":
            guard case .object(let o) = v else { throw JinjaError.runtime("items of a \(v.typeName)", line: line) }
            return .array(o.map { .array([.string($0.0), $0.1]) })
        case "replace":
            guard a.count >= 2 else { throw JinjaError.runtime("replace needs two arguments", line: line) }
            return .string(v.printed.replacingOccurrences(of: a[0].printed, with: a[1].printed))
        case "safe": return v
        case "selectattr", "rejectattr":
            guard case .string(let attr)? = a.first else { throw JinjaError.runtime("\(name) needs an attribute name", line: line) }
            let keep = name == "selectattr"
            return .array(try list().filter { item in
                let x = item.member(attr) ?? .undefined
                let ok = a.count > 1 ? try test(x, a[1].printed, Array(a.dropFirst(2)), line) : x.truthy
                return ok == keep
            })
        case "select", "reject":
            let keep = name == "select"
            return .array(try list().filter { item in
                let ok = a.isEmpty ? item.truthy : try test(item, a[0].printed, Array(a.dropFirst()), line)
                return ok == keep
            })
        case "map":
            if case .string(let attr)? = k.first(where: { $0.0 == "attribute" })?.1 { return .array(try list().map { $0.member(attr) ?? .undefined }) }
            guard case .string(let f)? = a.first else { throw JinjaError.runtime("map needs a filter or attribute=", line: line) }
            return .array(try list().map { try filter($0, f, Array(a.dropFirst()), [], line) })
        case "unique":
            var seen: [JinjaValue] = []
            for x in try list() where !seen.contains(x) { seen.append(x) }
            return .array(seen)
        case "indent":
            let width: Int = { if case .int(let w)? = a.first { return w }; return 4 }()
            let pad = String(repeating: " ", count: width)
            let lines = v.printed.components(separatedBy: "\n")
            return .string(([lines[0]] + lines.dropFirst().map { $0.isEmpty ? $0 : pad + $0 }).joined(separator: "\n"))
        default:
            throw JinjaError.unsupported(construct: "the filter '\(name)'", line: line)
        }
    }

    static func test(_ v: JinjaValue, _ name: String, _ a: [JinjaValue], _ line: Int) throws -> Bool {
        switch name {
        case "defined": if case .undefined = v { return false }; return true
        case "undefined": if case .undefined = v { return true }; return false
        case "none": if case .none = v { return true }; return false
        case "string": if case .string = v { return true }; return false
        case "number": switch v { case .int, .double: return true; default: return false }
        case "integer": if case .int = v { return true }; return false
        case "float": if case .double = v { return true }; return false
        case "boolean": if case .bool = v { return true }; return false
        case "true": return v == .bool(true) && { if case .bool = v { return true }; return false }()
        case "false": if case .bool(false) = v { return true }; return false
        case "mapping": switch v { case .object, .namespace: return true; default: return false }
        case "sequence", "iterable": switch v { case .array, .string, .object: return true; default: return false }
        case "equalto", "eq", "==", "sameas": return a.first.map { $0 == v } ?? false
        case "ne", "!=": return a.first.map { $0 != v } ?? true
        case "even", "odd":
            guard case .int(let i) = v else { throw JinjaError.runtime("\(name) of a \(v.typeName)", line: line) }
            return (i % 2 == 0) == (name == "even")
        case "in":
            guard let c = a.first else { return false }
            return contains(c, v)
        default:
            throw JinjaError.unsupported(construct: "the test '\(name)'", line: line)
        }
    }

    /// `x in y` for the `in` test.
    private static func contains(_ y: JinjaValue, _ x: JinjaValue) -> Bool {
        switch y {
        case .array(let a): return a.contains(x)
        case .string(let s): if case .string(let t) = x { return s.contains(t) }; return false
        case .object: if case .string(let k) = x { return y.member(k) != nil }; return false
        default: return false
        }
    }
}
