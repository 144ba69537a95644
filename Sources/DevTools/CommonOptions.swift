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
            switch f {
            case .value(let n): name = "--\(n) \(s.kind.metavariable)"
            case .off(let n), .on(let n): name = "--\(n)"
            }
            var tail = ""
            if case .value = f, case let def = s.read(EngineSettings()), def != .unset { tail = " (default \(def))" }
            lines.append("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0) + " " + Self.plain(s.doc) + tail)
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
        return s
    }

    /// `--weights` (or `--quantize`) alone, for commands that build a bare model.
    public static func weights(_ a: Arguments) throws -> DiffusionTransformer.WeightPrecision? {
        guard a.values["weights"] != nil || a.values["quantize"] != nil else { return nil }
        return try settings(a).weights
    }

    public static func bundle(_ s: EngineSettings, threads: Int?) throws -> ModelBundle {
        guard let dir = s.model ?? ModelLocator.defaultModel() else {
            throw Arguments.Failure(description: "no model: the embedded model \(ModelLocator.defaultName) was not found next to the binary or in ./models. Hint: pass --model DIR or set UNMASK_MODEL.")
        }
        return try ModelBundle(directory: dir, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, weights: s.weights)
    }

    /// The settings and a local backend on their model.
    public static func backend(_ a: Arguments) throws -> (backend: LocalBackend, settings: EngineSettings) {
        let s = try settings(a)
        return (LocalBackend(bundle: try bundle(s, threads: try a.int("threads"))), s)
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
        case .choice(let o): return o.joined(separator: "|")
        case .text: return "DIR"
        case .languageSwitches: return "LANG=BOOL,..."
        }
    }
}
