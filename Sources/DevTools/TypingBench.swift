import Foundation

/// `unmask bench typing --model DIR [--keys N]`: what typing feels like. Starts `unmask lsp` on the model,
/// opens a 400-line Python file, types a line one character per `didChange` and asks for an automatic
/// inline completion after each, waiting for the answer as an editor's ghost text would; prints the
/// latency per keystroke (p50, p95) and the share answered early (at `deadlineMs`, with the draft).
public enum TypingBench {
    public static let typed = "        result = compute_total(values, weights=weights, scale=1.5)"

    public static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: ["model", "keys", "deadline-ms", "threads", "settings"], switches: [])
            let keys = min(try a.int("keys") ?? 40, typed.count)
            var settings: [String: Any] = ["deadlineMs": try a.int("deadline-ms") ?? 300]
            if let extra = a.values["settings"] {
                guard let o = try? JSONSerialization.jsonObject(with: Data(extra.utf8)) as? [String: Any] else { throw Arguments.Failure(description: "--settings must be a JSON object") }
                settings.merge(o) { $1 }
            }
            var args = ["lsp"]
            if let m = a.values["model"] { args += ["--model", m] }
            if let t = a.values["threads"] { args += ["--threads", t] }
            let t0 = ContinuousClock.now
            let client = try StdioClient(executable: CommandLine.arguments[0], arguments: args)
            _ = try client.request("initialize", ["processId": NSNull(), "capabilities": [:], "initializationOptions": ["unmask": settings]])
            client.notify("initialized", [:])
            let doctor = try client.request("workspace/executeCommand", ["command": "unmask.doctor"]) as? [String: Any]
            if let p = doctor?["problem"] { throw Arguments.Failure(description: "the server could not load the model: \(p)") }
            let loadMs = Double((ContinuousClock.now - t0) / .microseconds(1)) / 1000
            let engine = doctor?["engine"] as? [String: Any] ?? [:]
            let uri = "file:///bench/typing.py"
            let lines = sampleFile()
            let at = lines.count / 2
            client.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "python", "version": 1,
                                                                    "text": (lines[..<at] + [""] + lines[at...]).joined(separator: "\n") + "\n"]])
            var latencies: [Double] = [], early = 0, empty = 0
            for (i, ch) in typed.prefix(keys).enumerated() {
                client.notify("textDocument/didChange", ["textDocument": ["uri": uri, "version": i + 2],
                                                         "contentChanges": [["range": ["start": ["line": at, "character": i], "end": ["line": at, "character": i]], "text": String(ch)]]])
                let s = ContinuousClock.now
                let r = try client.request("textDocument/inlineCompletion", ["textDocument": ["uri": uri], "position": ["line": at, "character": i + 1],
                                                                             "context": ["triggerKind": 2]])
                latencies.append(Double((ContinuousClock.now - s) / .microseconds(1)) / 1000)
                let list = r as? [String: Any]
                let data = ((list?["items"] as? [[String: Any]])?.first?["data"] as? [String: Any]) ?? (list?["data"] as? [String: Any]) ?? [:]
                if data["early"] as? Bool == true { early += 1 }
                if (list?["items"] as? [Any])?.isEmpty ?? true { empty += 1 }
            }
            _ = try client.request("shutdown", nil)
            client.notify("exit", nil)
            let sorted = latencies.sorted()
            func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))] }
            Output.err(String(format: "model %@ (%@ parameters, ISA %@): server ready in %.0f ms; %d keystrokes: p50 %.0f ms, p95 %.0f ms, %d answered early at the deadline, %d empty",
                              engine["model"] as? String ?? "?", engine["parameters"] as? String ?? "?", engine["isa"] as? String ?? "?", loadMs, keys, pct(0.5), pct(0.95), early, empty))
            let o: [String: Any] = ["keys": keys, "p50_ms": pct(0.5), "p95_ms": pct(0.95), "early_share": Double(early) / Double(keys), "empty_share": Double(empty) / Double(keys), "ready_ms": loadMs,
                                    "deadline_ms": settings["deadlineMs"] ?? 300]
            Output.out(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            return 0
        } catch { Output.err("unmask bench typing: \(error)"); return 1 }
    }

    /// A deterministic 400-line Python module: functions, loops, docstrings and comments.
    static func sampleFile() -> [String] {
        var out = ["\"\"\"Accounting helpers used by the typing benchmark.\"\"\"", "import math", "from dataclasses import dataclass", ""]
        var i = 0
        while out.count < 400 {
            out += ["", "@dataclass", "class Record\(i):", "    name: str", "    amount: float", "    count: int = 0", "",
                    "    def scaled(self, factor: float) -> float:", "        \"\"\"The amount times \(i) and the factor.\"\"\"",
                    "        total = self.amount * factor", "        for step in range(self.count):", "            total += math.sqrt(step + \(i))",
                    "        return round(total, 2)", "", "", "def compute_\(i)(values, weights=None):",
                    "    weights = weights or [1.0] * len(values)", "    # weighted sum of the values", "    return sum(v * w for v, w in zip(values, weights))"]
            i += 1
        }
        return Array(out.prefix(400))
    }
}
