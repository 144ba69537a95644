import Foundation
import Tokenizer

/// `unmask bench tokenizer --tokenizer DIR FILE`: single-threaded encode throughput on FILE.
public enum TokenizerBench {
    public static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: ["tokenizer", "repeats"], switches: [])
            guard let dir = a.values["tokenizer"], let file = a.positional.first else { throw Arguments.Failure(description: "need --tokenizer DIR and FILE") }
            let data = try readFile(file)
            let text = String(decoding: data, as: UTF8.self)
            // Pieces as in the golden corpus: encode line groups of ~4 KB so the pre-token cache is exercised as in an editor.
            var pieces: [String] = []
            var cur = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                cur += line; cur += "\n"
                if cur.utf8.count > 4000 { pieces.append(cur); cur = "" }
            }
            if !cur.isEmpty { pieces.append(cur) }
            var best = Double.infinity, tokens = 0
            for _ in 0..<(try a.int("repeats") ?? 3) {
                let tok = try Tokenizer.load(directory: dir)      // cold cache each run
                let ms = ForwardBench.time { tokens = pieces.reduce(0) { $0 + tok.encode($1).count } }
                best = min(best, ms)
            }
            let mbps = Double(data.count) / 1e6 / (best / 1000)
            Output.err(String(format: "%.2f MB, %d tokens, %.0f ms: %.2f MB/s single-threaded", Double(data.count) / 1e6, tokens, best, mbps))
            Output.out("{\"mb_per_s\": \(mbps), \"tokens\": \(tokens), \"bytes\": \(data.count)}")
            return 0
        } catch { Output.err("unmask bench tokenizer: \(error)"); return 1 }
    }
}
