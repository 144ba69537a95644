import Foundation
import Testing
import SafeTensors
@testable import DiffusionModel
import Kernels

/// Checkpoints exactly as transformers ≥ 5 saves them (`training/make_model_fixtures.py`, the tf5-*
/// fixtures: config.json written by `save_pretrained`, with `rope_parameters`), and the configs whose
/// maths Unmask does not implement.
@Suite struct PublishedConfigTests {
    struct Cases: Decodable {
        struct Case: Decodable { let ids: [Int32]; let positions: [Int]?; let logits: [Float] }
        let vocab: Int; let cases: [Case]; let inv_freq: [Float]; let attention_scaling: Double
    }

    /// Same tolerance as `GoldenModelTests`: max|Δ| ≤ 1e-4 × max|logit|, equal argmax; inv_freq
    /// within 1e-6 relative and the attention factor within 1e-6 of transformers' rotary embedding.
    @Test(arguments: ["tf5-qwen2", "tf5-qwen2-linear", "tf5-qwen3-yarn", "tf5-llama3"])
    func logitsMatchTransformers(layout: String) throws {
        let dir = fixtures.appendingPathComponent(layout)
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: dir.appendingPathComponent("cases.json")))
        let m = try loadModel(dir)
        #expect(m.rope.inverseFrequencies.count == cases.inv_freq.count)
        for (ours, theirs) in zip(m.rope.inverseFrequencies, cases.inv_freq) {
            #expect(abs(ours - theirs) <= 1e-6 * theirs, "\(layout) inv_freq \(ours) vs \(theirs)")
        }
        #expect(abs(Double(m.rope.attentionFactor) - cases.attention_scaling) <= 1e-6, "\(layout) attention factor")
        for (ci, c) in cases.cases.enumerated() {
            let ours = try m.forward(tokens: c.ids, positions: c.positions, rows: Array(0..<c.ids.count)).values
            let scale = c.logits.map { abs($0) }.max()!
            let err = zip(ours, c.logits).map { abs($0 - $1) }.max()!
            #expect(err <= 1e-4 * scale, "\(layout) case \(ci): max|Δ| \(err) vs scale \(scale)")
            #expect(argmaxRows(ours, cases.vocab) == argmaxRows(c.logits, cases.vocab), "\(layout) case \(ci) argmax")
        }
    }

    @Test func ropeParametersAreReadWhereTransformersFiveWritesThem() throws {
        let c = try ModelConfig.load(path: fixtures.appendingPathComponent("tf5-qwen2/config.json").path)
        #expect(c.ropeTheta == 1e6 && c.rope.scaling == .none)
        let y = try ModelConfig.load(path: fixtures.appendingPathComponent("tf5-qwen3-yarn/config.json").path)
        #expect(y.oBias && y.qkvBias && y.qkNorm)
        let l = try ModelConfig.load(path: fixtures.appendingPathComponent("tf5-llama3/config.json").path)
        #expect(l.family == .llama && l.oBias && !l.qkNorm)
    }

    /// The legacy spelling (top-level rope_theta, rope_scaling with `type`) reads as the same RoPE.
    @Test func legacyRopeScalingReadsLikeRopeParameters() throws {
        var o = try tinyConfig()
        o["rope_parameters"] = ["rope_type": "linear", "factor": 2.0, "rope_theta": 5e5]
        let new = try ModelConfig(json: o, path: "c.json")
        o["rope_parameters"] = nil; o["rope_theta"] = 5e5; o["rope_scaling"] = ["type": "linear", "factor": 2.0]
        let old = try ModelConfig(json: o, path: "c.json")
        #expect(new.rope == old.rope && new.rope == RotaryEmbedding(theta: 5e5, scaling: .linear(factor: 2)))
        o["rope_scaling"] = ["type": "dynamic", "factor": 4.0]
        let dyn = try ModelConfig(json: o, path: "c.json")
        #expect(dyn.rope.inverseFrequencies(headDim: 16) == RotaryEmbedding(theta: 5e5).inverseFrequencies(headDim: 16))
    }

    func tinyConfig() throws -> [String: Any] {
        let d = try Data(contentsOf: fixtures.appendingPathComponent("tf5-qwen2/config.json"))
        return try #require(try JSONSerialization.jsonObject(with: d) as? [String: Any])
    }

    /// Each refusal names the key and value; none loads with a default in its place.
    @Test(arguments: [
        ("rope_parameters", #"{"rope_type": "longrope", "rope_theta": 1e6, "short_factor": [1.0]}"#, "rope_parameters.short_factor"),
        ("rope_parameters", #"{"rope_type": "longrope", "rope_theta": 1e6}"#, "rope_parameters.rope_type"),
        ("rope_parameters", #"{"rope_type": "ntk-by-parts", "rope_theta": 1e6}"#, "rope_parameters.rope_type"),
        ("rope_parameters", #"{"rope_type": "default", "rope_theta": 1e6, "partial_rotary_factor": 0.5}"#, "rope_parameters.partial_rotary_factor"),
        ("rope_parameters", #"{"rope_type": "yarn", "rope_theta": 1e6, "factor": 4.0}"#, "rope_parameters.original_max_position_embeddings"),
        ("layer_types", #"["full_attention", "sliding_attention"]"#, "layer_types"),
        ("final_logit_softcapping", "30.0", "final_logit_softcapping"),
        ("num_experts", "8", "num_experts"),
        ("mlp_bias", "true", "mlp_bias"),
        ("quantization_config", #"{"quant_method": "gptq"}"#, "quantization_config"),
        ("attention_sink_size", "4", "attention_sink_size"),
        ("intermediate_size", "9223372036854775807", "intermediate_size"),
        ("max_position_embeddings", "-1", "max_position_embeddings"),
        ("head_dim", "0", "head_dim"),
    ])
    func unimplementedMathsIsRefusedByName(key: String, json: String, named: String) throws {
        var o = try tinyConfig()
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        o[key] = value
        if key == "mlp_bias" { o["model_type"] = "llama"; o["architectures"] = ["LlamaForCausalLM"] }
        do {
            _ = try ModelConfig(json: o, path: "c.json")
            Issue.record("\(key) = \(value) loaded")
        } catch let e as ModelError {
            #expect(e.description.contains("'\(named)'"), "\(e)")
            #expect(e.description.contains("Hint:"), "\(e)")
        }
    }

    @Test func slidingWindowIsRefusedOnlyWhereALayerSlides() throws {
        var o = try tinyConfig()
        o["layer_types"] = nil; o["use_sliding_window"] = true; o["sliding_window"] = 64; o["max_window_layers"] = 28
        _ = try ModelConfig(json: o, path: "c.json")           // 2 layers, all below max_window_layers: none slides
        o["max_window_layers"] = 1
        #expect(throws: ModelError.self) { try ModelConfig(json: o, path: "c.json") }
    }

    /// Every shipped reference config still loads (none carries a key the reader does not know).
    @Test(.enabled(if: referencePresent)) func everyReferenceConfigLoads() throws {
        for f in try FileManager.default.contentsOfDirectory(atPath: reference.path).sorted() {
            let p = reference.appendingPathComponent(f).appendingPathComponent("config.json").path
            guard FileManager.default.fileExists(atPath: p) else { continue }
            if f == "gpt2" { continue }                       // a tokenizer-only reference
            _ = try ModelConfig.load(path: p)
        }
    }

    /// Sizes that do not match the weights fail on the first tensor, before anything is allocated for
    /// it (a config claiming a 3-million-wide MLP must not ask for terabytes first).
    @Test func sizesThatDoNotMatchTheWeightsAreNamedBeforeAnyAllocation() throws {
        var o = try tinyConfig()
        o["intermediate_size"] = 3_000_000
        let cfg = try ModelConfig(json: o, path: "c.json")
        let ckpt = try Checkpoint(directory: fixtures.appendingPathComponent("tf5-qwen2").path)
        #expect { _ = try DiffusionTransformer(config: cfg, weights: ckpt) } throws: { e in
            "\(e)".contains("gate_proj.weight") && "\(e)".contains("[3000000, 64]")
        }
    }
}
