import Foundation
import Completion
import Denoiser
import DiffusionModel

/// Options every model-using command shares: the engine settings' command-line flags (from
/// `EngineSettings.table`, so they validate exactly as the editor's settings do), `--threads`, and
/// backend construction from them.
public enum Common {
    /// `--quantize int8` is an alias of `--weights int8`.
    static let aliases: Set<String> = ["quantize", "threads"]

    public static var modelOptions: Set<String> {
        Set(EngineSettings.table.specs.compactMap { if case .value(let n)? = $0.flag { return n }; return nil }).union(aliases)
    }
    public static var modelSwitches: Set<String> {
        Set(EngineSettings.table.specs.compactMap { s -> String? in
            switch s.flag { case .off(let n)?, .on(let n)?: return n; default: return nil }
        })
    }

    public static var modelHelp: String {
        var lines: [String] = []
        for s in EngineSettings.table.specs {
            guard let f = s.flag else { continue }
            let name: String
            var doc = Self.plain(s.doc)
            switch f {
            case .value(let n): name = "--\(n) \(s.key == "model" ? "DIR" : s.key == "remote.url" ? "URL" : s.kind.metavariable)"
            case .off(let n): name = "--\(n)"; doc = "turn off: " + doc
            case .on(let n): name = "--\(n)"
            }
            if case .value = f, case let def = s.read(EngineSettings()), def != .unset { doc += " (default \(def))" }
            lines.append(name.count <= 24 ? "  " + name.padding(toLength: 24, withPad: " ", startingAt: 0) + " " + doc : "  \(name)\n" + String(repeating: " ", count: 27) + doc)
        }
        lines.append("  --quantize int8           the same as --weights int8")
        lines.append("  --threads N               worker threads (default: all cores)")
        return lines.joined(separator: "\n")
    }

    /// Markdown backticks dropped for the terminal.
    static func plain(_ s: String) -> String { s.replacingOccurrences(of: "`", with: "") }

    public static func settings(_ a: Arguments) throws -> EngineSettings {
        var s = EngineSettings()
        if let q = a.values["quantize"] {
            guard q == "int8" else { throw Arguments.Failure(description: "--quantize '\(q)': only int8 is supported (it is --weights int8)") }
            s.weights = .int8
        }
        for spec in EngineSettings.table.specs {
            switch spec.flag {
            case .value(let n)?:
                guard let text = a.values[n] else { continue }
                do { spec.write(&s, try spec.parse(text: text)) }
                catch { throw Arguments.Failure(description: "--\(n) '\(text)': expected \(spec.kind.expectation)") }
            case .off(let n)?: if a.switches.contains(n) { spec.write(&s, .bool(false)) }
            case .on(let n)?: if a.switches.contains(n) { spec.write(&s, .bool(true)) }
            case nil: continue
            }
        }
        // `--model` names the remote engine's model when the backend is remote (`unmask fill --backend inception --url … --model …`).
        if s.backend != .local, a.values["remote-model"] == nil, let m = s.model { s.remote.model = m; s.model = nil }
        return s
    }

    /// `--weights` (or `--quantize`) alone, for commands that build a bare model.
    public static func weights(_ a: Arguments) throws -> DiffusionTransformer.WeightPrecision? {
        guard a.values["weights"] != nil || a.values["quantize"] != nil else { return nil }
        return try settings(a).weights
    }

    /// The settings and the backend they name (the local model, or a remote engine with `--backend`).
    public static func backend(_ a: Arguments) throws -> (backend: Backend, settings: EngineSettings) {
        let s = try settings(a)
        return (try Backends.make(s, threads: try a.int("threads") ?? ProcessInfo.processInfo.activeProcessorCount), s)
    }
}

extension SettingKind {
    /// The placeholder `--help` shows for a value.
    var metavariable: String {
        switch self {
        case .boolean: return "BOOL"
        case .integer, .optionalInteger: return "N"
        case .integerOrAuto: return "N|auto"
        case .number: return "X"
        case .choice(let o), .optionalChoice(let o): return o.joined(separator: "|")
        case .text: return "NAME"
        case .languageSwitches: return "LANG=BOOL,..."
        }
    }
}
