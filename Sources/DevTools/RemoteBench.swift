import Foundation

/// `unmask bench remote`: the client's own overhead with a remote backend. It starts the stand-in
/// engine (`Tests/python/standin_server.py`, loopback only) unless `--url` names one, runs `unmask lsp`
/// against it, and sends N inline requests, each after an edit (so none is answered from the cache).
/// Overhead = the editor's round trip − the time the server spent waiting on HTTP (`data.networkMs`):
/// editor request in → HTTP out, HTTP answer in → editor answer out, LSP framing both ways included.
public enum RemoteBench {
    public static func run(_ argv: ArraySlice<String>) -> Int32 {
        var standin: Process?
        defer { standin?.terminate() }
        do {
            let a = try Arguments(argv, valued: ["requests", "url", "backend", "model", "standin"], switches: [])
            let n = try a.int("requests") ?? 200
            var url = a.values["url"]
            if url == nil {
                let script = a.values["standin"] ?? locateStandin()
                guard let script else { throw Arguments.Failure(description: "Tests/python/standin_server.py not found; pass --standin PATH or --url URL") }
                let (p, port) = try startStandin(script)
                standin = p
                url = "http://127.0.0.1:\(port)/v1"
            }
            let settings: [String: Any] = ["backend": a.values["backend"] ?? "inception", "deadlineMs": 20000,
                                           "remote": ["url": url!, "model": a.values["model"] ?? "mercury-edit-2", "timeoutMs": 20000]]
            let client = try StdioClient(executable: CommandLine.arguments[0], arguments: ["lsp"])
            _ = try client.request("initialize", ["processId": NSNull(), "capabilities": [:], "initializationOptions": ["unmask": settings]])
            client.notify("initialized", [:])
            _ = try client.request("workspace/executeCommand", ["command": "unmask.doctor"])
            let uri = "file:///bench/remote.py"
            var text = "import os\n\ndef main(value):\n    x = \n    return value\n"
            client.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "python", "version": 1, "text": text]])
            var round: [Double] = [], overhead: [Double] = [], network: [Double] = []
            for i in 0..<n {
                // One character typed before each request: a new version, no cache hit.
                text = text.replacingOccurrences(of: "    x = ", with: "    x = " + String(i % 10))
                client.notify("textDocument/didChange", ["textDocument": ["uri": uri, "version": i + 2], "contentChanges": [["text": text]]])
                let line = 3, character = text.split(separator: "\n", omittingEmptySubsequences: false)[3].utf16.count
                let t0 = ContinuousClock.now
                let r = try client.request("textDocument/inlineCompletion", ["textDocument": ["uri": uri], "position": ["line": line, "character": character],
                                                                             "context": ["triggerKind": 2]])
                let ms = Double((ContinuousClock.now - t0) / .microseconds(1)) / 1000
                let data = (((r as? [String: Any])?["items"] as? [[String: Any]])?.first?["data"] as? [String: Any]) ?? [:]
                guard let net = data["networkMs"] as? Double, net > 0 else { throw Arguments.Failure(description: "request \(i) got no remote answer: \(r ?? "nil")") }
                round.append(ms); network.append(net); overhead.append(ms - net)
            }
            _ = try client.request("shutdown", nil)
            client.notify("exit", nil)
            func pct(_ xs: [Double], _ p: Double) -> Double { let s = xs.sorted(); return s[min(s.count - 1, Int(Double(s.count - 1) * p))] }
            Output.err(String(format: "%d inline requests to %@: round trip p50 %.2f ms, p95 %.2f ms; HTTP p50 %.2f ms; client overhead p50 %.2f ms, p95 %.2f ms",
                              n, url!, pct(round, 0.5), pct(round, 0.95), pct(network, 0.5), pct(overhead, 0.5), pct(overhead, 0.95)))
            let o: [String: Any] = ["requests": n, "round_trip_p50_ms": pct(round, 0.5), "round_trip_p95_ms": pct(round, 0.95), "http_p50_ms": pct(network, 0.5),
                                    "overhead_p50_ms": pct(overhead, 0.5), "overhead_p95_ms": pct(overhead, 0.95)]
            Output.out(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            return 0
        } catch { Output.err("unmask bench remote: \(error)"); return 1 }
    }

    /// The stand-in next to the repository the binary was built in, or under the current directory.
    static func locateStandin() -> String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Tests/python/standin_server.py")]
        for _ in 0..<5 { candidates.append(dir.appendingPathComponent("Tests/python/standin_server.py")); dir = dir.deletingLastPathComponent() }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }?.path
    }

    static func startStandin(_ script: String) throws -> (Process, Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, "--flavor", "inception"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        var line = Data()
        while !line.contains(10) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { throw Arguments.Failure(description: "the stand-in exited before printing its port") }
            line.append(d)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5).prefix { $0.isNumber }) else { throw Arguments.Failure(description: "the stand-in said \(text)") }
        return (p, port)
    }
}
