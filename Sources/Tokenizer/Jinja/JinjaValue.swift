import Foundation

/// A value inside a template, with Python's (and Jinja's) semantics where templates rely on them:
/// truthiness, equality, `str()` output, ordered dictionaries.
public indirect enum JinjaValue: Sendable, Equatable {
    case undefined
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    /// Keys in insertion order (as Python dictionaries keep them; `tojson` prints them so).
    case object([(String, JinjaValue)])
    /// `namespace(...)`: the one mutable object (`set ns.x = …` inside loops).
    case namespace(JinjaNamespace)

    public static func == (a: JinjaValue, b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.namespace(x), .namespace(y)): return x === y
        default:
            if let x = a.number, let y = b.number { return x == y }
            return false
        }
    }

    /// Numbers (and booleans, as in Python) as a Double.
    var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        case .namespace: return true
        }
    }

    /// `{{ x }}` and `~`: Python's `str()`; undefined prints nothing.
    var printed: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return repr
        }
    }

    /// Python's `repr()`: what a list or dict prints its items as.
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isFinite && d == d.rounded() && abs(d) < 1e16 { return String(format: "%.1f", d) }
            return "\(d)"
        case .string(let s):
            let q: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
            var out = String(q)
            for c in s {
                switch c {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                case q: out += "\\\(q)"
                default: out.append(c)
                }
            }
            return out + String(q)
        case .array(let a): return "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.map { JinjaValue.string($0.0).repr + ": " + $0.1.repr }.joined(separator: ", ") + "}"
        case .namespace(let n): return "<Namespace " + JinjaValue.object(n.values).repr + ">"
        }
    }

    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "float"
        case .string: return "string"
        case .array: return "list"
        case .object: return "dict"
        case .namespace: return "namespace"
        }
    }

    /// A JSON value (from `JSONSerialization`) as a template value; object keys in `order` when given
    /// (JSONSerialization does not keep the file's order), else sorted.
    public init(json: Any) {
        switch json {
        case is NSNull: self = .none
        case let n as NSNumber:
            // objCType: "c" for JSON booleans, "d" for numbers written with a fraction or exponent.
            switch String(cString: n.objCType) {
            case "c": self = .bool(n.boolValue)
            case "d", "f": self = .double(n.doubleValue)
            default: self = .int(n.intValue)
            }
        case let s as String: self = .string(s)
        case let a as [Any]: self = .array(a.map(JinjaValue.init(json:)))
        case let o as [String: Any]: self = .object(o.keys.sorted().map { ($0, JinjaValue(json: o[$0]!)) })
        default: self = .undefined
        }
    }

    /// `tojson` as transformers defines it: `json.dumps(x, ensure_ascii=False)` (", " and ": " separators),
    /// or with `indent` spaces per level.
    func json(indent: Int? = nil, level: Int = 0) -> String {
        let pad = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) }
        let close = indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        switch self {
        case .undefined, .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JinjaValue.double(d).repr
        case .string(let s):
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                default:
                    if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
                }
            }
            return out + "\""
        case .array(let a):
            if a.isEmpty { return "[]" }
            if let pad { return "[" + a.map { pad + $0.json(indent: indent, level: level + 1) }.joined(separator: ",") + close + "]" }
            return "[" + a.map { $0.json() }.joined(separator: ", ") + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            if let pad { return "{" + o.map { pad + JinjaValue.string($0.0).json() + ": " + $0.1.json(indent: indent, level: level + 1) }.joined(separator: ",") + close + "}" }
            return "{" + o.map { JinjaValue.string($0.0).json() + ": " + $0.1.json() }.joined(separator: ", ") + "}"
        case .namespace(let n): return JinjaValue.object(n.values).json(indent: indent, level: level)
        }
    }

    /// `x.key` / `x['key']` on a dictionary or namespace (nil: no such key).
    func member(_ key: String) -> JinjaValue? {
        switch self {
        case .object(let o): return o.first { $0.0 == key }?.1
        case .namespace(let n): return n.values.first { $0.0 == key }?.1
        default: return nil
        }
    }
}

/// The state of one `namespace(...)`: attributes in insertion order.
public final class JinjaNamespace: @unchecked Sendable {
    var values: [(String, JinjaValue)]
    init(_ values: [(String, JinjaValue)]) { self.values = values }
    func set(_ key: String, _ v: JinjaValue) {
        if let i = values.firstIndex(where: { $0.0 == key }) { values[i].1 = v } else { values.append((key, v)) }
    }
}
