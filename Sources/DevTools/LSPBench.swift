import Foundation

/// `unmask bench lsp CASES`: starts `unmask lsp` as a subprocess and, for each case, opens the document
/// with the hole and requests an inline completion at it; prints p50/p95 latency, exact match and the
/// first suggested line's exact match and edit similarity as the editor sees it.
public enum LSPBench {
    public static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: ["limit", "model"], switches: [])
            guard let path = a.positional.first else { throw Arguments.Failure(description: "missing CASES.jsonl") }
            let cases = try EvalCommand.readLines(path).prefix(try a.int("limit") ?? 200)
            let client = try StdioClient(executable: CommandLine.arguments[0], arguments: ["lsp"] + (a.values["model"].map { ["--model", $0] } ?? []))
            _ = try client.request("initialize", ["processId": NSNull(), "rootUri": NSNull(), "capabilities": ["general": ["positionEncodings": ["utf-16"]]],
                                                  "initializationOptions": ["unmask": ["deadlineMs": 2000]]])
            client.notify("initialized", [:])
            // Wait until the model is ready.
            _ = try client.request("workspace/executeCommand", ["command": "unmask.doctor"])
            var lat: [Double] = [], exact = 0, firstLine = 0, n = 0, firstSim = 0.0
            for (i, line) in cases.enumerated() {
                guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                      let prompt = o["prompt"] as? String, let suffix = o["suffix"] as? String, let truth = o["canonical_solution"] as? String else { continue }
                let uri = "file:///bench/case\(i).py"
                // The cursor sits on an empty line inserted for the hole, as an editor user would leave it.
                let text = prompt + "\n" + suffix
                client.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "python", "version": 1, "text": text]])
                let line = prompt.split(separator: "\n", omittingEmptySubsequences: false).count - 1
                let t0 = ContinuousClock.now
                let r = try client.request("textDocument/inlineCompletion", ["textDocument": ["uri": uri], "position": ["line": line, "character": 0],
                                                                             "context": ["triggerKind": 2]])
                let d = ContinuousClock.now - t0
                lat.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
                let item = ((r as? [String: Any])?["items"] as? [[String: Any]])?.first
                let insert = item?["insertText"] as? String ?? ""
                n += 1
                if EvalCommand.normalise(insert) == EvalCommand.normalise(truth) { exact += 1 }
                let first = insert.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
                if EvalCommand.normalise(first) == EvalCommand.normalise(truth) { firstLine += 1 }
                firstSim += EvalCommand.similarity(first, truth)
                client.notify("textDocument/didClose", ["textDocument": ["uri": uri]])
                EvalCommand.progress(i + 1, cases.count, exact: exact, n: n)
            }
            Output.err("")
            _ = try client.request("shutdown", nil)
            client.notify("exit", nil)
            lat.sort()
            func pct(_ p: Double) -> Double { lat.isEmpty ? 0 : lat[min(lat.count - 1, Int(Double(lat.count - 1) * p))] }
            Output.out("{\"requests\": \(n), \"exact_match\": \(n > 0 ? Double(exact) / Double(n) : 0), \"first_line_exact_match\": \(n > 0 ? Double(firstLine) / Double(n) : 0), \"first_line_edit_similarity\": \(n > 0 ? firstSim / Double(n) : 0), \"latency_p50_ms\": \(pct(0.5)), \"latency_p95_ms\": \(pct(0.95))}")
            return 0
        } catch { Output.err("unmask bench lsp: \(error)"); return 1 }
    }
}
