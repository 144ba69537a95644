import Foundation

extension SettingSpec {
    public static func bool(_ key: String, _ path: WritableKeyPath<Root, Bool>, layer: SettingLayer, flag: CLIFlag? = nil, doc: String) -> Self {
        Self(key, .boolean, layer: layer, flag: flag, doc: doc, read: { .bool($0[keyPath: path]) },
             write: { r, v in if case .bool(let b) = v { r[keyPath: path] = b } })
    }
    public static func int(_ key: String, _ path: WritableKeyPath<Root, Int>, _ range: ClosedRange<Int>, layer: SettingLayer, flag: CLIFlag? = nil, doc: String) -> Self {
        Self(key, .integer(range), layer: layer, flag: flag, doc: doc, read: { .int($0[keyPath: path]) },
             write: { r, v in if case .int(let i) = v { r[keyPath: path] = i } })
    }
    public static func float(_ key: String, _ path: WritableKeyPath<Root, Float>, _ range: ClosedRange<Double>, layer: SettingLayer, flag: CLIFlag? = nil, doc: String) -> Self {
        Self(key, .number(range), layer: layer, flag: flag, doc: doc, read: { .number(Double("\($0[keyPath: path])")!) },   // 0.9, not 0.8999999761581421
             write: { r, v in if case .number(let d) = v { r[keyPath: path] = Float(d) } })
    }
    public static func choice<E: RawRepresentable & CaseIterable>(_ key: String, _ path: WritableKeyPath<Root, E>, layer: SettingLayer, flag: CLIFlag? = nil,
                                                                  doc: String) -> Self where E.RawValue == String {
        Self(key, .choice(E.allCases.map(\.rawValue)), layer: layer, flag: flag, doc: doc, read: { .string($0[keyPath: path].rawValue) },
             write: { r, v in if case .string(let s) = v, let e = E(rawValue: s) { r[keyPath: path] = e } })
    }
    /// nil is unset (the default depends on another setting).
    public static func optionalChoice<E: RawRepresentable & CaseIterable>(_ key: String, _ path: WritableKeyPath<Root, E?>, layer: SettingLayer,
                                                                          flag: CLIFlag? = nil, doc: String) -> Self where E.RawValue == String {
        Self(key, .optionalChoice(E.allCases.map(\.rawValue)), layer: layer, flag: flag, doc: doc, read: { $0[keyPath: path].map { .string($0.rawValue) } ?? .unset },
             write: { r, v in if case .string(let s) = v { r[keyPath: path] = E(rawValue: s) } else if v == .unset { r[keyPath: path] = nil } })
    }
    public static func text(_ key: String, _ path: WritableKeyPath<Root, String?>, layer: SettingLayer, flag: CLIFlag? = nil, doc: String) -> Self {
        Self(key, .text, layer: layer, flag: flag, doc: doc, read: { $0[keyPath: path].map { .string($0) } ?? .unset },
             write: { r, v in if case .string(let s) = v { r[keyPath: path] = s } else if v == .unset { r[keyPath: path] = nil } })
    }
    /// nil is "auto".
    public static func intOrAuto(_ key: String, _ path: WritableKeyPath<Root, Int?>, _ range: ClosedRange<Int>, layer: SettingLayer, flag: CLIFlag? = nil, doc: String) -> Self {
        Self(key, .integerOrAuto(range), layer: layer, flag: flag, doc: doc, read: { $0[keyPath: path].map { .int($0) } ?? .auto },
             write: { r, v in if case .int(let i) = v { r[keyPath: path] = i } else if v == .auto { r[keyPath: path] = nil } })
    }
    public static func optionalInt(_ key: String, _ path: WritableKeyPath<Root, Int?>, _ range: ClosedRange<Int>, layer: SettingLayer, flag: CLIFlag? = nil, doc: String) -> Self {
        Self(key, .optionalInteger(range), layer: layer, flag: flag, doc: doc, read: { $0[keyPath: path].map { .int($0) } ?? .unset },
             write: { r, v in if case .int(let i) = v { r[keyPath: path] = i } else if v == .unset { r[keyPath: path] = nil } })
    }
    public static func switches(_ key: String, _ path: WritableKeyPath<Root, [String: Bool]>, layer: SettingLayer, doc: String) -> Self {
        Self(key, .languageSwitches, layer: layer, doc: doc, read: { .switches($0[keyPath: path]) },
             write: { r, v in if case .switches(let m) = v { r[keyPath: path] = m } })
    }
}

/// The settings of one struct, in the order the docs list them; applies editor JSON and command-line
/// flags through the specs and renders the README table and VS Code's `contributes.configuration`.
public struct SettingsTable<Root>: Sendable {
    public let specs: [SettingSpec<Root>]
    public init(_ specs: [SettingSpec<Root>]) { self.specs = specs }

    public func spec(_ key: String) -> SettingSpec<Root>? { specs.first { $0.key == key } }

    public func lifted<Outer>(_ path: WritableKeyPath<Outer, Root>) -> SettingsTable<Outer> { SettingsTable<Outer>(specs.map { $0.lifted(path) }) }

    public static func + (a: Self, b: Self) -> Self { Self(a.specs + b.specs) }

    /// Applies a settings object (nested objects address dotted keys: `{"enable": {"inline": false}}`).
    /// Every bad or unknown key is reported and leaves its value as it was; the others still apply.
    /// An empty array stands for an empty object (what an empty Lua table encodes as).
    public func apply(json object: [String: Any], to root: inout Root, prefix: String = "") -> [SettingError] {
        var problems: [SettingError] = []
        for key in object.keys.sorted() {
            let value = object[key]!, full = prefix + key
            if let s = spec(full) {
                do { s.write(&root, try s.parse(json: value)) } catch { problems.append(error) }
            } else if specs.contains(where: { $0.key.hasPrefix(full + ".") }) {
                if let o = value as? [String: Any] { problems += apply(json: o, to: &root, prefix: full + ".") }
                else if let a = value as? [Any], a.isEmpty { continue }
                else {
                    let inner = specs.filter { $0.key.hasPrefix(full + ".") }.map { String($0.key.dropFirst(full.count + 1)) }
                    problems.append(SettingError(key: full, message: "unmask.\(full): expected an object {\(inner.joined(separator: ", "))}, got \(SettingSpec<Root>.show(value))"))
                }
            } else {
                let known = prefix.isEmpty ? Set(specs.map { String($0.key.split(separator: ".")[0]) }).sorted()
                                           : specs.filter { $0.key.hasPrefix(prefix) }.map { String($0.key.dropFirst(prefix.count)) }
                problems.append(SettingError(key: full, message: "unmask.\(full): unknown setting (known: \(known.joined(separator: ", ")))"))
            }
        }
        return problems
    }

    /// Every setting's current value, in table order.
    public func values(of root: Root) -> [(key: String, value: SettingValue)] { specs.map { ($0.key, $0.read(root)) } }

    /// The README's configuration table (generated; a test keeps the README equal to it).
    public func markdown(defaults: Root) -> String {
        var out = "| key | default | accepts | meaning |\n|---|---|---|---|\n"
        for s in specs {
            let def = s.read(defaults)
            let shown: String
            switch (s.key, def) {
            case (_, .unset): shown = "–"
            default: shown = "`\(def)`"
            }
            out += "| `\(s.key)` | \(shown) | \(s.kind.expectation) | \(s.doc) |\n"
        }
        return out
    }

    /// VS Code's `contributes.configuration.properties` for these settings (prefixed `unmask.`).
    public func vscodeProperties(defaults: Root) -> [String: Any] {
        var props: [String: Any] = [:]
        for s in specs {
            var p: [String: Any] = ["description": s.doc]
            let def = s.read(defaults)
            switch s.kind {
            case .boolean: p["type"] = "boolean"
            case .integer(let r): p["type"] = "integer"; p["minimum"] = r.lowerBound; p["maximum"] = r.upperBound
            case .number(let r): p["type"] = "number"; p["minimum"] = r.lowerBound; p["maximum"] = r.upperBound
            case .choice(let o): p["type"] = "string"; p["enum"] = o
            case .optionalChoice(let o): p["type"] = ["string", "null"]; p["enum"] = o + [NSNull()]
            case .text: p["type"] = ["string", "null"]
            case .integerOrAuto(let r): p["type"] = ["integer", "string"]; p["minimum"] = r.lowerBound; p["maximum"] = r.upperBound
            case .optionalInteger(let r): p["type"] = ["integer", "null"]; p["minimum"] = r.lowerBound; p["maximum"] = r.upperBound
            case .languageSwitches: p["type"] = "object"; p["additionalProperties"] = ["type": "boolean"]
            }
            p["default"] = def.json
            props["unmask." + s.key] = p
        }
        return props
    }
}
