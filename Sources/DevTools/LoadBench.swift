import Foundation
import Completion
import Tokenizer

/// `unmask bench load --model DIR`: how long a model folder takes to load, packing its weights (the
/// panel cache removed first) and then mapping the panel cache the first load wrote; the tokenizer's
/// share separately. A process that loads once (the CLI, an editor starting the server) pays one of them.
public enum LoadBench {
    public static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: ["model", "threads", "weights"], switches: [])
            guard let dir = a.values["model"] ?? ModelLocator.defaultModel() else { throw Arguments.Failure(description: "need --model DIR") }
            let threads = try a.int("threads") ?? ProcessInfo.processInfo.activeProcessorCount
            let weights = try Common.weights(a) ?? .stored
            let cacheDir = (dir as NSString).appendingPathComponent(".unmask-cache")
            try? FileManager.default.removeItem(atPath: cacheDir)
            let tokMs = try ForwardBench.time { _ = try Tokenizer.load(directory: dir) }
            let packMs = try ForwardBench.time { _ = try ModelBundle(directory: dir, threads: threads, weights: weights) }
            let mapMs = try ForwardBench.time { _ = try ModelBundle(directory: dir, threads: threads, weights: weights) }
            Output.err(String(format: "%@: packing %.0f ms, from the panel cache %.0f ms (tokenizer %.0f ms of each)", dir, packMs, mapMs, tokMs))
            Output.out("{\"pack_ms\": \(packMs), \"mapped_ms\": \(mapMs), \"tokenizer_ms\": \(tokMs)}")
            return 0
        } catch { Output.err("unmask bench load: \(error)"); return 1 }
    }
}
