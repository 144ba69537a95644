import Foundation
import DiffusionModel
import Kernels

/// `unmask bench forward` and `unmask bench matmul`: random weights in a real model's shape, no download.
public enum ForwardBench {
    nonisolated(unsafe) static let shapes: [String: [String: Any]] = [
        "qwen2.5-0.5b": ["model_type": "qwen2", "hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
                         "intermediate_size": 4864, "vocab_size": 151936, "rope_theta": 1e6, "max_position_embeddings": 32768, "tie_word_embeddings": true],
        "tiny": ["model_type": "qwen3", "hidden_size": 256, "num_hidden_layers": 5, "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 32,
                 "intermediate_size": 688, "vocab_size": 4096, "rope_theta": 10000, "max_position_embeddings": 1024, "tie_word_embeddings": true],
    ]

    static func peakRSSMB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }

    static func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s.isEmpty ? 0 : s[s.count / 2] }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let t = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - t
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    public static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: ["shape", "tokens", "rows", "block", "repeats", "threads", "weights"], switches: [])
            if a.switches.contains("help") { Output.out(BenchCommand.help); return 0 }
            let shapeName = a.values["shape"] ?? "qwen2.5-0.5b"
            guard let shape = shapes[shapeName] else { throw Arguments.Failure(description: "--shape must be one of \(shapes.keys.sorted())") }
            let T = try a.int("tokens") ?? 512, R = try a.int("rows") ?? 32, B = try a.int("block") ?? 32, reps = try a.int("repeats") ?? 3
            let threads = try a.int("threads") ?? ProcessInfo.processInfo.activeProcessorCount
            let cfg = try ModelConfig(json: shape, path: shapeName)
            var model: DiffusionTransformer!
            // Random weights "stored" as BF16 (as the real checkpoints are); --weights f32 converts them to F32 panels.
            let precision = try Common.weights(a) ?? .stored
            let buildMs = try time { model = try DiffusionTransformer(config: cfg, weights: RandomWeights(seed: 1), pool: ThreadPool(threads: threads), precision: precision) }
            let tokens = (0..<T).map { Int32(($0 * 7919) % cfg.vocabSize) }
            let rows = Array(stride(from: T - R, to: T, by: 1))
            var full: [Double] = [], cached: [Double] = []
            let cache = KVCache(config: cfg, capacity: T)
            for _ in 0..<reps {
                full.append(try time { _ = try model.forward(tokens: tokens, rows: rows, cache: cache) })
            }
            let start = max(0, T / 2 - B / 2)
            for _ in 0..<max(reps, 5) {
                cached.append(try time { _ = try model.forwardBlock(tokens: Array(tokens[start..<(start + B)]), start: start, cache: cache, rows: Array(start..<(start + B))) })
            }
            let gflops = matmulGFLOPS(threads: threads, m: 512)
            Output.err("ISA path: \(ISA.summary)")
            Output.err(String(format: "shape %@: %.0f M params, weights %.0f MB in memory (%@ panels), built in %.0f ms",
                              shapeName, Double(cfg.parameterCount) / 1e6, Double(model.weightBytes) / 1048576, precision == .stored ? "BF16" : precision.rawValue.uppercased(), buildMs))
            Output.err(String(format: "full forward %d tokens, %d logit rows: %.0f ms (median of %d)", T, R, median(full), reps))
            Output.err(String(format: "cached %d-token block over %d: %.1f ms (median), %.1fx faster than full", B, T, median(cached), median(full) / median(cached)))
            let o: [String: Any] = ["forward_ms": median(full), "cached_block_ms": median(cached), "matmul_gflops": gflops, "peak_rss_mb": peakRSSMB(),
                                    "tokens": T, "rows": R, "block": B, "threads": threads, "shape": shapeName, "weights_mb": Double(model.weightBytes) / 1048576, "precision": precision.rawValue,
                                    "isa": ISA.current.rawValue, "cpu": ISA.cpuName]
            Output.out(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            return 0
        } catch { Output.err("unmask bench forward: \(error)"); return 1 }
    }

    /// Median GFLOPS of y = x·Wᵀ on the Qwen2.5-0.5B layer shapes (M × K × N).
    static let layerShapes = [(32, 896, 4864), (32, 4864, 896), (512, 896, 4864), (512, 4864, 896)]

    static func gemmGFLOPS(_ m: Int, _ k: Int, _ n: Int, threads: Int, repeats: Int = 9, format: PackedMatrix.Format = .f32) -> Double {
        var x = [Float](repeating: 0, count: m * k), w = [Float](repeating: 0, count: n * k)
        for i in x.indices { x[i] = Float((i * 31) % 17) / 17 - 0.5 }
        for i in w.indices { w[i] = Float((i * 13) % 19) / 19 - 0.5 }
        let p = w.withUnsafeBufferPointer { PackedMatrix(rows: n, cols: k, format: format, rowMajor: $0.baseAddress!) }
        defer { p.deallocate() }
        var y = [Float](repeating: 0, count: m * n)
        let pool = ThreadPool(threads: threads)
        var ts: [Double] = []
        for _ in 0..<repeats {
            ts.append(time { x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in Matmul.gemm(xp.baseAddress!, m: m, p, yp.baseAddress!, pool: pool) } } })
        }
        return 2.0 * Double(m * k * n) / (median(ts) / 1000) / 1e9
    }

    static func matmulGFLOPS(threads: Int, m: Int) -> Double { gemmGFLOPS(m, 896, 4864, threads: threads) }

    static func matmul(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: ["threads", "repeats", "format"], switches: [])
            let threads = try a.int("threads") ?? ProcessInfo.processInfo.activeProcessorCount
            // --format bf16|int8: the weights as a BF16 checkpoint (or --quantize int8) leaves them; the
            // peer comparison (bench_matmul.py) uses the default f32.
            let name = a.values["format"] ?? "f32"
            guard let format = PackedMatrix.Format(rawValue: name) else {
                throw Arguments.Failure(description: "--format must be f32, bf16 or int8, got '\(name)'")
            }
            Output.err("ISA path: \(ISA.summary)")
            var o: [String: Any] = ["threads": threads, "format": name, "isa": ISA.current.rawValue, "cpu": ISA.cpuName]
            for (m, k, n) in layerShapes {
                let g = gemmGFLOPS(m, k, n, threads: threads, repeats: try a.int("repeats") ?? 15, format: format)
                Output.err(String(format: "%5d x %5d x %5d: %6.1f GFLOPS", m, k, n, g))
                o["\(m)x\(k)x\(n)"] = g
            }
            Output.out(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            return 0
        } catch { Output.err("unmask bench matmul: \(error)"); return 1 }
    }
}
