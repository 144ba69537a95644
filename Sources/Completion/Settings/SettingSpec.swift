import Foundation

/// What a setting accepts. Ranges are the only validation a value gets, for the editor's settings and
/// the command line alike.
public enum SettingKind: Sendable, Equatable {
    case boolean
    case integer(ClosedRange<Int>)
    case number(ClosedRange<Double>)
    case choice([String])
    /// One of the strings, or null (unset: the default depends on another setting).
    case optionalChoice([String])
    /// A string; empty means unset.
    case text
    /// An integer in range, or the string "auto".
    case integerOrAuto(ClosedRange<Int>)
    /// An integer in range, or null (unset).
    case optionalInteger(ClosedRange<Int>)
    /// An object of language ids to true/false.
    case languageSwitches
}

/// A setting's value in the one shape every surface shares.
public enum SettingValue: Sendable, Equatable, CustomStringConvertible {
    case bool(Bool), int(Int), number(Double), string(String), auto, unset, switches([String: Bool])

    /// As JSON text (for the README, `package.json` and `unmask.doctor`).
    public var description: String {
        switch self {
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return "\(i)"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? "\(Int(d))" : "\(d)"
        case .string(let s): return "\"\(s)\""
        case .auto: return "\"auto\""
        case .unset: return "null"
        case .switches(let m): return "{" + m.keys.sorted().map { "\"\($0)\": \(m[$0]! ? "true" : "false")" }.joined(separator: ", ") + "}"
        }
    }

    /// As a Foundation JSON object (`JSONSerialization` types).
    public var json: Any {
        switch self {
        case .bool(let b): return b
        case .int(let i): return i
        case .number(let d): return d
        case .string(let s): return s
        case .auto: return "auto"
        case .unset: return NSNull()
        case .switches(let m): return m
        }
    }
}

/// How a setting is given on the command line: `--name VALUE`, or a switch that sets a boolean.
public enum CLIFlag: Sendable, Equatable {
    case value(String)
    case off(String)
    case on(String)

    public var name: String { switch self { case .value(let n), .off(let n), .on(let n): return n } }
}

/// Which part of Unmask reads a setting (for the docs; the table itself lives with that part).
public enum SettingLayer: String, Sendable {
    case server, engine, denoiser, model, remote
}

/// A bad value for a setting: names the key, the value and what is expected.
public struct SettingError: Error, Equatable, CustomStringConvertible, Sendable {
    public let key: String
    public let message: String
    public var description: String { message }
}

/// One setting, defined once: name, kind, the one-line doc, the layer that reads it, its command-line
/// flag, and how it is read from and written to its settings struct. The default is whatever the
/// struct's initial value is (`read(Root())`), so it is never written down twice.
public struct SettingSpec<Root>: @unchecked Sendable {
    /// Dotted key under `unmask` (`enable.inline` is `{"enable": {"inline": …}}`).
    public let key: String
    public let kind: SettingKind
    public let doc: String
    public let layer: SettingLayer
    public let flag: CLIFlag?
    public let read: (Root) -> SettingValue
    public let write: (inout Root, SettingValue) -> Void

    public init(_ key: String, _ kind: SettingKind, layer: SettingLayer, flag: CLIFlag? = nil, doc: String,
                read: @escaping (Root) -> SettingValue, write: @escaping (inout Root, SettingValue) -> Void) {
        self.key = key; self.kind = kind; self.layer = layer; self.flag = flag; self.doc = doc; self.read = read; self.write = write
    }

    /// The same setting on a struct that holds `Root` at `path`.
    public func lifted<Outer>(_ path: WritableKeyPath<Outer, Root>) -> SettingSpec<Outer> {
        let r = read, w = write
        return SettingSpec<Outer>(key, kind, layer: layer, flag: flag, doc: doc,
                                  read: { r($0[keyPath: path]) }, write: { o, v in w(&o[keyPath: path], v) })
    }

    func bad(_ got: Any) -> SettingError {
        SettingError(key: key, message: "unmask.\(key): expected \(kind.expectation), got \(Self.show(got))")
    }

    static func show(_ v: Any) -> String {
        if v is NSNull { return "null" }
        if let s = v as? String { return "\"\(s)\"" }
        if let a = v as? [Any] { return a.isEmpty ? "an empty array" : "an array" }
        if v is [String: Any] { return "an object" }
        return "\(v)"
    }

    /// Validates a JSON value (Foundation types, as `JSONSerialization` or the server's bridge make them).
    public func parse(json v: Any) throws(SettingError) -> SettingValue {
        func integer(_ r: ClosedRange<Int>) -> Int? {
            if v is Bool { return nil }
            if let i = v as? Int, r.contains(i) { return i }
            if let d = v as? Double, d == d.rounded(), abs(d) < 1e15, r.contains(Int(d)) { return Int(d) }
            return nil
        }
        switch kind {
        case .boolean:
            guard let b = v as? Bool else { throw bad(v) }
            return .bool(b)
        case .integer(let r):
            guard let i = integer(r) else { throw bad(v) }
            return .int(i)
        case .number(let r):
            guard !(v is Bool), let d = (v as? Double) ?? (v as? Int).map(Double.init), r.contains(d) else { throw bad(v) }
            return .number(d)
        case .choice(let options):
            guard let s = v as? String, options.contains(s) else { throw bad(v) }
            return .string(s)
        case .optionalChoice(let options):
            if v is NSNull { return .unset }
            guard let s = v as? String, options.contains(s) else { throw bad(v) }
            return .string(s)
        case .text:
            guard let s = v as? String else { throw bad(v) }
            return s.isEmpty ? .unset : .string(s)
        case .integerOrAuto(let r):
            if let s = v as? String, s == "auto" { return .auto }
            guard let i = integer(r) else { throw bad(v) }
            return .int(i)
        case .optionalInteger(let r):
            if v is NSNull { return .unset }
            guard let i = integer(r) else { throw bad(v) }
            return .int(i)
        case .languageSwitches:
            // An empty array is what an empty Lua table encodes as: accepted as an empty object.
            if let a = v as? [Any], a.isEmpty { return .switches([:]) }
            guard let o = v as? [String: Any] else { throw bad(v) }
            var m: [String: Bool] = [:]
            for (k, b) in o {
                guard let b = b as? Bool else { throw SettingError(key: key, message: "unmask.\(key).\(k): expected true or false, got \(Self.show(b))") }
                m[k] = b
            }
            return .switches(m)
        }
    }

    /// Validates a command-line value.
    public func parse(text s: String) throws(SettingError) -> SettingValue {
        switch kind {
        case .boolean:
            guard let b = Bool(s) else { throw bad(s) }
            return .bool(b)
        case .integer, .integerOrAuto, .optionalInteger:
            if s == "auto" || s == "none" { return try parse(json: s == "auto" ? "auto" : NSNull()) }
            guard let i = Int(s) else { throw bad(s) }
            return try parse(json: i)
        case .number:
            guard let d = Double(s) else { throw bad(s) }
            return try parse(json: d)
        case .choice, .text, .optionalChoice:
            return try parse(json: s)
        case .languageSwitches:
            // python=false,markdown=false
            var m: [String: Bool] = [:]
            for part in s.split(separator: ",") {
                let kv = part.split(separator: "=")
                guard kv.count == 2, let b = Bool(String(kv[1])) else { throw bad(s) }
                m[String(kv[0])] = b
            }
            return .switches(m)
        }
    }
}

extension SettingKind {
    /// What a message says is expected.
    public var expectation: String {
        switch self {
        case .boolean: return "true or false"
        case .integer(let r): return "an integer \(r.lowerBound)...\(r.upperBound)"
        case .number(let r): return "a number \(SettingValue.number(r.lowerBound))...\(SettingValue.number(r.upperBound))"
        case .choice(let o): return "one of \(o.joined(separator: ", "))"
        case .optionalChoice(let o): return "one of \(o.joined(separator: ", ")) or null"
        case .text: return "a string"
        case .integerOrAuto(let r): return "an integer \(r.lowerBound)...\(r.upperBound) or \"auto\""
        case .optionalInteger(let r): return "an integer \(r.lowerBound)...\(r.upperBound) or null"
        case .languageSwitches: return "an object of language ids to true/false"
        }
    }
}
