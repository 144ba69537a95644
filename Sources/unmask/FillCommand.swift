import Foundation
import Completion
import DevTools

enum FillCommand {
    static let help = """
    usage: unmask fill FILE --at LINE:COL [--to LINE:COL] [--tokens N] [--lines L] [--show-steps] [--print-file]

    Fills a hole in FILE by masked diffusion and prints the inserted text (or the whole file with
    --print-file). LINE and COL are 1-based; COL counts characters. Without --to the hole is inserted at
    --at; with --to the range is replaced.
      --tokens N       slots in the hole (default 32); unused slots become padding and are dropped
      --lines L        keep at most L lines of the fill
      --show-steps     draw each denoising frame (masked slots as ░) on stderr
    \(Common.modelHelp)
    """

    static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: Common.modelOptions.union(["at", "to", "tokens", "lines"]), switches: Common.modelSwitches.union(["show-steps", "print-file"]))
            if a.switches.contains("help") { Output.out(help); return 0 }
            guard let file = a.positional.first else { throw Arguments.Failure(description: "missing FILE") }
            let data = try readFile(file)
            let text = String(decoding: data, as: UTF8.self)
            guard let at = a.values["at"] else { throw Arguments.Failure(description: "missing --at LINE:COL") }
            let start = try offset(text, at, flag: "--at")
            var end = start
            if let to = a.values["to"] {
                end = try offset(text, to, flag: "--to")
                guard end >= start else { throw Arguments.Failure(description: "--to \(to) is before --at \(at)") }
            }
            let n = try a.int("tokens") ?? 32
            guard n > 0 && n <= 4096 else { throw Arguments.Failure(description: "--tokens must be between 1 and 4096, got \(n)") }
            let (backend, settings) = try Common.backend(a)
            var req = CompletionRequest(kind: .infill, uri: "file://" + file, version: 0, languageID: language(file), text: text, cursor: start,
                                        selection: start..<end)
            req.holeTokens = n
            req.maxLines = try a.int("lines")
            let show = a.switches.contains("show-steps")
            let tty = isatty(2) != 0
            let result = try backend.complete(req, settings: settings, cancel: CancellationToken()) { f in
                guard show else { return }
                let line = "step \(f.step): " + f.text.replacingOccurrences(of: "\n", with: "⏎")
                Output.err(tty ? "\u{1B}[2K\r" + line : line)
            }
            let fill = result.edits.first?.newText ?? ""
            if a.switches.contains("print-file") {
                var u = Array(text.utf8); u.replaceSubrange(start..<end, with: Array(fill.utf8))
                FileHandle.standardOutput.write(Data(u))
            } else {
                Output.out(fill)
            }
            Output.err(String(format: "unmask: %d forward passes, %.0f ms%@", result.forwards, result.milliseconds, result.early ? " (deadline)" : ""))
            return 0
        } catch {
            Output.err("unmask fill: \(error)")
            return 1
        }
    }

    /// Byte offset of a 1-based LINE:COL (COL in characters), with errors naming the position.
    static func offset(_ text: String, _ spec: String, flag: String) throws -> Int {
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let line = Int(parts[0]), let col = Int(parts[1]), line >= 1, col >= 1 else {
            throw Arguments.Failure(description: "\(flag) '\(spec)' must be LINE:COL with 1-based numbers")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line <= lines.count else { throw Arguments.Failure(description: "\(flag) line \(line) is past the end of the file (\(lines.count) lines)") }
        let l = lines[line - 1]
        guard col <= l.count + 1 else { throw Arguments.Failure(description: "\(flag) column \(col) is past the end of line \(line) (\(l.count) characters)") }
        let before = lines[..<(line - 1)].reduce(0) { $0 + $1.utf8.count + 1 }
        return before + l.prefix(col - 1).utf8.count
    }

    static func language(_ path: String) -> String {
        switch (path as NSString).pathExtension {
        case "py": return "python"; case "swift": return "swift"; case "js": return "javascript"; case "ts": return "typescript"
        case "go": return "go"; case "rs": return "rust"; case "c", "h": return "c"; default: return "plaintext"
        }
    }
}
