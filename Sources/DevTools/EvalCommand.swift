import Foundation
import Completion

public enum EvalCommand {
    public static let help = """
    usage: unmask eval CASES.jsonl[.gz] [--execute] [--out PRED.jsonl] [--limit N] [--tokens N] [--lines L] [--previous-keystroke]

    Each line: {"task_id", "prompt" (code before), "suffix", "canonical_solution" (the middle), optional
    "language", "kind", "test", "entry_point"}. The middle is predicted with a hole of --tokens slots
    (default 32) at the end of the prompt, keeping at most --lines lines (default: the reference's count).
    Exact match compares after stripping trailing whitespace on each line; edit similarity is
    1 − Levenshtein / max length. --execute runs HumanEval's check(entry_point) in a python3 subprocess
    with a 10 s timeout (the test code runs only there). --previous-keystroke first asks at the prompt minus
    its last character (as the keystroke before would), so that with --context-reuse N the case reuses
    that request's context; with --context-reuse 0 the same pair runs without reuse (the comparison). A progress bar goes to stderr; the last stdout
    line is one JSON summary, with 95 % intervals (Wilson for exact match, normal for the mean edit
    similarity) so that differences between runs can be read against the noise of the case count.
    \(Common.modelHelp)
    """

    public static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: Common.modelOptions.union(["out", "limit", "tokens", "lines"]), switches: Common.modelSwitches.union(["execute", "previous-keystroke"]))
            if a.switches.contains("help") { Output.out(help); return 0 }
            guard let path = a.positional.first else { throw Arguments.Failure(description: "missing CASES.jsonl") }
            let limit = try a.int("limit") ?? Int.max
            let lines = Array(try readLines(path).prefix(limit))
            // Every line is checked before the model loads: no cases is an error, some broken lines one note.
            var cases: [(line: Int, obj: [String: Any], prompt: String, suffix: String, truth: String)] = []
            var brokenLines: [Int] = []
            for (i, line) in lines.enumerated() {
                if let obj = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                   let prompt = obj["prompt"] as? String, let suffix = obj["suffix"] as? String, let truth = obj["canonical_solution"] as? String {
                    cases.append((i + 1, obj, prompt, suffix, truth))
                } else { brokenLines.append(i + 1) }
            }
            guard !cases.isEmpty else {
                throw Arguments.Failure(description: "\(path) holds no cases: none of its \(lines.count) lines is a JSON object with prompt, suffix and canonical_solution")
            }
            if !brokenLines.isEmpty {
                Output.err("unmask eval: \(brokenLines.count) of \(lines.count) lines are not cases (line \(brokenLines.prefix(5).map(String.init).joined(separator: ", "))\(brokenLines.count > 5 ? ", …" : ""); each needs prompt, suffix, canonical_solution); skipped")
            }
            let (backend, settings) = try Common.backend(a)
            let tokens = try a.int("tokens") ?? 32
            guard tokens > 0 else { throw Arguments.Failure(description: "--tokens must be positive") }
            let outHandle: FileHandle? = try a.values["out"].map { p in
                guard FileManager.default.createFile(atPath: p, contents: nil), let h = FileHandle(forWritingAtPath: p) else { throw Arguments.Failure(description: "cannot write \(p)") }
                return h
            }
            var n = 0, exact = 0, passed = 0, executed = 0, forwards = 0, slots = 0
            var sims: [Double] = []
            var lat: [Double] = []
            let total = cases.count
            for (i, c) in cases.enumerated() {
                let (obj, prompt, suffix, truth) = (c.obj, c.prompt, c.suffix, c.truth)
                var req = CompletionRequest(kind: .infill, uri: "eval://\(obj["task_id"] ?? i)", version: 0, languageID: obj["language"] as? String ?? "python",
                                            text: prompt + suffix, cursor: prompt.utf8.count, selection: prompt.utf8.count..<prompt.utf8.count)
                req.holeTokens = tokens
                let truthLines = truth.split(separator: "\n", omittingEmptySubsequences: true).count
                req.maxLines = try a.int("lines") ?? max(1, truthLines)
                if a.switches.contains("previous-keystroke") && !prompt.isEmpty {
                    // The keystroke before: the prompt without its last character (its answer is dropped);
                    // with contextReuse on, the real request then reuses that request's context.
                    var before = req
                    let cut = String(prompt.dropLast())
                    before = CompletionRequest(kind: .infill, uri: req.uri, version: 0, languageID: req.languageID, text: cut + suffix,
                                               cursor: cut.utf8.count, selection: cut.utf8.count..<cut.utf8.count)
                    before.holeTokens = req.holeTokens; before.maxLines = req.maxLines; before.reuseContext = true
                    _ = try backend.complete(before, settings: settings, cancel: CancellationToken()) { _ in }
                    req.reuseContext = true
                }
                let r = try backend.complete(req, settings: settings, cancel: CancellationToken()) { _ in }
                var pred = r.edits.first?.newText ?? ""
                if !pred.isEmpty && !pred.hasSuffix("\n") && truth.hasSuffix("\n") { pred += "\n" }
                n += 1; forwards += r.forwards; slots += tokens; lat.append(r.milliseconds)
                let em = normalise(pred) == normalise(truth)
                if em { exact += 1 }
                let s = similarity(pred, truth); sims.append(s)
                var pass: Bool?
                if a.switches.contains("execute"), let test = obj["test"] as? String, let entry = obj["entry_point"] as? String {
                    pass = execute(prompt + pred + suffix + "\n" + test + "\ncheck(\(entry))\n")
                    executed += 1; if pass! { passed += 1 }
                }
                if let h = outHandle {
                    var o: [String: Any] = ["task_id": obj["task_id"] ?? i, "prediction": pred, "exact_match": em, "edit_similarity": s, "forwards": r.forwards, "ms": r.milliseconds]
                    if let pass { o["passed"] = pass }
                    h.write((try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) + Data("\n".utf8))
                }
                progress(i + 1, total, exact: exact, n: n)
            }
            Output.err("")
            lat.sort()
            func pct(_ p: Double) -> Double { lat.isEmpty ? 0 : lat[min(lat.count - 1, Int(Double(lat.count - 1) * p))] }
            let summary: [String: Any] = [
                "cases": n, "broken_lines": brokenLines.count, "exact_match": n > 0 ? Double(exact) / Double(n) : 0,
                "edit_similarity": n > 0 ? sims.reduce(0, +) / Double(n) : 0,
                "exact_match_ci95": wilson(exact, n), "edit_similarity_ci95": meanInterval(sims),
                "pass_at_1": executed > 0 ? Double(passed) / Double(executed) as Any : NSNull(),
                "forwards_per_case": n > 0 ? Double(forwards) / Double(n) : 0,
                "tokens_per_forward": forwards > 0 ? Double(slots) / Double(forwards) : 0,
                "latency_p50_ms": pct(0.5), "latency_p95_ms": pct(0.95),
            ]
            Output.out(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
            return 0
        } catch {
            Output.err("unmask eval: \(error)")
            return 1
        }
    }

    /// 95 % Wilson score interval of `k` successes in `n` cases: with 200 cases, 4 % exact is 1.9–7.7 %,
    /// so a difference of a few cases between two models is noise.
    static func wilson(_ k: Int, _ n: Int) -> [Double] {
        guard n > 0 else { return [0, 1] }
        let z = 1.959964, p = Double(k) / Double(n), nn = Double(n)
        let centre = (p + z * z / (2 * nn)) / (1 + z * z / nn)
        let half = z * ((p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()) / (1 + z * z / nn)
        return [max(0, centre - half), min(1, centre + half)]
    }

    /// 95 % normal interval of a mean (mean ± 1.96 · sample standard deviation / √n).
    static func meanInterval(_ xs: [Double]) -> [Double] {
        guard xs.count > 1 else { return xs.isEmpty ? [0, 1] : [xs[0], xs[0]] }
        let n = Double(xs.count), mean = xs.reduce(0, +) / n
        let sd = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        return [mean - 1.959964 * sd / n.squareRoot(), mean + 1.959964 * sd / n.squareRoot()]
    }

    static func readLines(_ path: String) throws -> [String] {
        let data: Data
        if path.hasSuffix(".gz") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["gzip", "-dc", path]
            let pipe = Pipe(); p.standardOutput = pipe
            try p.run()
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw Arguments.Failure(description: "cannot decompress \(path): gzip exited with \(p.terminationStatus)") }
        } else {
            data = try readFile(path)
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    static func normalise(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { l in
            var l = Substring(l); while l.last?.isWhitespace == true { l = l.dropLast() }; return String(l)
        }.joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    static func similarity(_ a: String, _ b: String) -> Double {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        let m = max(x.count, y.count)
        if m == 0 { return 1 }
        var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...max(1, x.count) where !x.isEmpty {
            cur[0] = i
            for j in 1...max(1, y.count) where !y.isEmpty {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        let dist = x.isEmpty ? y.count : (y.isEmpty ? x.count : prev[y.count])
        return 1 - Double(dist) / Double(m)
    }

    /// Runs the program in a python3 subprocess with a timeout; true when it exits 0.
    static func execute(_ program: String) -> Bool {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unmask-exec-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("case.py")
        guard (try? program.write(to: file, atomically: true, encoding: .utf8)) != nil else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["timeout", "10", "python3", file.path]
        p.currentDirectoryURL = dir
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    static func progress(_ i: Int, _ total: Int, exact: Int, n: Int) {
        let width = 30, filled = total > 0 ? width * i / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(i)/\(total)  exact \(n > 0 ? 100 * exact / n : 0)%".utf8))
    }
}
