import Foundation
import DiffusionModel
import Kernels

/// `unmask bench gemma`: DiffusionGemma-26B-A4B's real layer shapes with random weights and fewer
/// layers (one sliding and one global by default), a 512-token prompt through the encoder and denoising
/// steps over a 256-token canvas; times every phase of a step (embedding and self-conditioning, each
/// layer, the vocabulary projection), extrapolates a step and a prompt encoding to the real 30 layers,
/// and prints the memory the full model needs at BF16 and int8. `training/bench_diffusion_gemma.py`
/// runs the same reduced model in transformers in the same invocation.
enum GemmaBench {
    /// google/diffusiongemma-26B-A4B-it's text_config (../shared/research/dllm-2026.md §1.2) with `layers`.
    static func config(layers: [String]) -> [String: Any] {
        let full = layers.indices.filter { layers[$0] == "full_attention" }
        return ["model_type": "diffusion_gemma", "canvas_length": 256, "text_config": [
            "vocab_size": 262_144, "hidden_size": 2816, "intermediate_size": 2112, "num_hidden_layers": layers.count,
            "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
            "max_position_embeddings": 262_144, "rms_norm_eps": 1e-6, "sliding_window": 1024, "layer_types": layers,
            "final_logit_softcapping": 30.0, "num_experts": 128, "top_k_experts": 8, "moe_intermediate_size": 704,
            "per_layer_config": Dictionary(uniqueKeysWithValues: full.map { ("\($0)", ["head_dim": 512, "num_key_value_heads": 2] as [String: Any]) }),
            "rope_parameters": ["sliding_attention": ["rope_type": "default", "rope_theta": 10_000.0],
                                "full_attention": ["rope_type": "proportional", "partial_rotary_factor": 0.25, "rope_theta": 1_000_000.0]],
            "pad_token_id": 0, "eos_token_id": 1, "bos_token_id": 2] as [String: Any]]
    }

    static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: ["prompt", "repeats", "threads", "weights", "layers"], switches: [])
            if a.switches.contains("help") { Output.out(BenchCommand.help); return 0 }
            let P = try a.int("prompt") ?? 512, reps = try a.int("repeats") ?? 3
            let threads = try a.int("threads") ?? ProcessInfo.processInfo.activeProcessorCount
            let layers = try (a.values["layers"] ?? "sliding,full").split(separator: ",").map { name -> String in
                switch name {
                case "sliding": return "sliding_attention"
                case "full": return "full_attention"
                default: throw Arguments.Failure(description: "--layers takes a comma-separated list of sliding and full, got '\(name)'")
                }
            }
            let precision = try Common.weights(a) ?? .stored
            let cfg = try DiffusionGemmaConfig(json: config(layers: layers), path: "bench gemma")
            let real = try DiffusionGemmaConfig(json: config(layers: (0..<30).map { ($0 + 1) % 6 == 0 ? "full_attention" : "sliding_attention" }), path: "26B-A4B")
            var model: DiffusionGemma!
            let buildMs = try ForwardBench.time { model = try DiffusionGemma(config: cfg, weights: RandomWeights(seed: 1), pool: ThreadPool(threads: threads), precision: precision) }
            let prompt = (0..<P).map { Int32(($0 * 7919) % cfg.vocabSize) }
            let canvas = (0..<cfg.canvasLength).map { Int32(($0 * 104_729 + 17) % cfg.vocabSize) }
            // Phases of one call by the interrupt hook: it is asked before every layer and before the head.
            func phases(_ body: (@escaping () -> Bool) throws -> Void) rethrows -> [Double] {
                var marks = [ContinuousClock.now]
                try body { marks.append(.now); return false }
                marks.append(.now)
                return zip(marks, marks.dropFirst()).map { Double(($1 - $0).components.attoseconds) / 1e15 + Double(($1 - $0).components.seconds) * 1000 }
            }
            var cache = model.emptyCache()
            // [embedding, layer 0, …, layer L−1]
            let encode = Array(try phases { hook in try model.encode(prompt, into: &cache, interrupt: hook) }.dropFirst())
            var first: [Double] = []
            var sc: [Float]? = nil
            var steps: [[Double]] = []
            for r in 0...reps {
                var logits: [Float] = []
                let t = try phases { hook in logits = try model.decode(canvas, cache: cache, selfConditioning: sc, interrupt: hook) }
                if r == 0 { first = t } else { steps.append(t) }
                sc = logits.map { $0 / 0.8 }
            }
            // Medians per phase of the steps with self-conditioning: [embed+SC, layer 0, …, layer L−1, head].
            let med = (0..<steps[0].count).map { i in ForwardBench.median(steps.map { $0[i] }) }
            let step = med.reduce(0, +)
            let layerMs = Array(med[1...cfg.numLayers]), head = med[0] + med[cfg.numLayers + 1]
            let slidingMs = zip(cfg.layers, layerMs).filter { $0.0.type == .sliding }.map(\.1), fullMs = zip(cfg.layers, layerMs).filter { $0.0.type == .full }.map(\.1)
            func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }
            let realSliding = real.layers.filter { $0.type == .sliding }.count, realFull = real.numLayers - realSliding
            let stepReal = head + Double(realSliding) * mean(slidingMs) + Double(realFull) * mean(fullMs)
            let encSliding = zip(cfg.layers, encode).filter { $0.0.type == .sliding }.map(\.1), encFull = zip(cfg.layers, encode).filter { $0.0.type == .full }.map(\.1)
            let encodeReal = Double(realSliding) * mean(encSliding) + Double(realFull) * mean(encFull)
            let gb = { (p: DiffusionTransformer.WeightPrecision) in Double(MemoryEstimate(gemma: real, precision: p, storedBF16: true).residentBytes) / 1e9 }
            Output.err("ISA path: \(ISA.summary)")
            Output.err(String(format: "DiffusionGemma shapes, layers %@, %.2f B params here (the real 30 layers: %.1f B), weights %.0f MB (%@), built in %.0f ms",
                              layers.joined(separator: ","), Double(cfg.parameterCount) / 1e9, Double(real.parameterCount) / 1e9,
                              Double(model.weightBytes) / 1048576, precision.rawValue, buildMs))
            Output.err(String(format: "encoder, %d-token prompt: %@ ms per layer", P, encode.map { String(format: "%.0f", $0) }.joined(separator: " / ")))
            Output.err(String(format: "decoder step over a %d-token canvas (median of %d, with self-conditioning): %.0f ms = embed+SC %.0f, layers %@, head %.0f (first step, no SC: %.0f ms)",
                              cfg.canvasLength, reps, step, med[0], layerMs.map { String(format: "%.0f", $0) }.joined(separator: " / "), med.last!, first.reduce(0, +)))
            Output.err(String(format: "30 layers (%d sliding + %d full), extrapolated: %.1f s per denoising step, %.1f s to encode the prompt; memory for the full model: %.1f GB BF16, %.1f GB int8",
                              realSliding, realFull, stepReal / 1000, encodeReal / 1000, gb(.stored), gb(.int8)))
            let o: [String: Any] = ["layers": layers, "prompt": P, "canvas": cfg.canvasLength, "threads": threads, "precision": precision.rawValue,
                                    "encode_ms_per_layer": encode, "step_ms": step, "step_phase_ms": med, "first_step_ms": first.reduce(0, +),
                                    "sliding_layer_ms": mean(slidingMs), "full_layer_ms": mean(fullMs), "head_ms": head,
                                    "step_30_layers_s": stepReal / 1000, "encode_30_layers_s": encodeReal / 1000,
                                    "memory_bf16_gb": gb(.stored), "memory_int8_gb": gb(.int8), "params_30_layers_b": Double(real.parameterCount) / 1e9,
                                    "peak_rss_mb": ForwardBench.peakRSSMB(), "isa": ISA.current.rawValue, "cpu": ISA.cpuName]
            Output.out(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            return 0
        } catch { Output.err("unmask bench gemma: \(error)"); return 1 }
    }
}
