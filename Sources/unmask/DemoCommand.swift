import Foundation
import Completion
import DevTools

enum DemoCommand {
    static let sample = """
    def mean(values):
        if not values:
            return 0.0
        total = 0
        for v in values:
            total += v
        return total / len(values)


    def clamp(x, lo, hi):
        if x < lo:
            return lo
        if x > hi:
            return hi
        return x
    """

    /// Holes as (line, column, tokens) in the sample, 1-based; each replaces the rest of that line.
    static let holes: [(line: Int, note: String)] = [(6, "loop body"), (7, "return of mean"), (13, "second bound check")]

    static func run(_ argv: ArraySlice<String>) -> Int32 {
        let help = "usage: unmask demo [--model DIR] [--no-frames]\n\nFills a few holes in a bundled Python sample with the embedded model and shows each denoising frame.\n\(Common.modelHelp)"
        do {
            let a = try Arguments(argv, valued: Common.modelOptions, switches: Common.modelSwitches.union(["no-frames"]))
            if a.switches.contains("help") { Output.out(help); return 0 }
            let (backend, settings) = try Common.backend(a)
            let s = backend.summary
            Output.out("Unmask demo — model \(s["architecture"] ?? "") \(s["parameters"] ?? "") from \(s["model"] ?? "") (loaded in \(s["loadMs"] ?? "?") ms)\n")
            let lines = sample.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for h in holes {
                let target = lines[h.line - 1]
                let indent = String(target.prefix { $0 == " " })
                var holed = lines
                holed[h.line - 1] = ""
                let text = holed.joined(separator: "\n")
                let cursor = holed[..<(h.line - 1)].reduce(0) { $0 + $1.utf8.count + 1 }
                var req = CompletionRequest(kind: .infill, uri: "demo://sample.py", version: 0, languageID: "python", text: text, cursor: cursor, selection: cursor..<cursor)
                req.holeTokens = 16; req.maxLines = 1
                Output.out("── hole at line \(h.line) (\(h.note)); the original line was: \(target.trimmingCharacters(in: .whitespaces))")
                for (i, l) in holed.enumerated() where abs(i - (h.line - 1)) <= 2 {
                    Output.out(String(format: "%3d │ ", i + 1) + (i == h.line - 1 ? "\(indent)▁▁▁" : l))
                }
                let r = try backend.complete(req, settings: settings, cancel: CancellationToken()) { f in
                    if !a.switches.contains("no-frames") { Output.out("      step \(f.step): " + f.text.replacingOccurrences(of: "\n", with: "⏎")) }
                }
                let fill = (r.edits.first?.newText ?? "").replacingOccurrences(of: "\n", with: "")
                Output.out(String(format: "%3d │ ", h.line) + fill + String(format: "      ← %d forwards, %.0f ms\n", r.forwards, r.milliseconds))
            }
            return 0
        } catch {
            Output.err("unmask demo: \(error)")
            return 1
        }
    }
}
