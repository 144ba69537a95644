import Foundation
import Testing
import SafeTensors
@testable import DiffusionModel
import Kernels

let gemmaFixtures = repoRoot.appendingPathComponent("Tests/Fixtures/diffusion-gemma")

/// What `training/make_diffusion_gemma_fixtures.py` records from transformers 5.24.0 (torch 2.13).
struct GemmaFixture: Decodable {
    struct KV: Decodable { let keys: [[Float]]; let values: [[Float]] }
    struct Step1: Decodable { let logits: [[Float]]; let experts: [[[Int]]] }
    struct Step2: Decodable { let self_conditioning_temperature: Float; let logits: [[Float]] }
    struct Draws: Decodable { let initial: [Int32]; let samples: [[Int32]]; let noise: [[Int32]]; let block_initial: [[Int32]]? }
    struct Step: Decodable { let step: Int; let accepted: [Int]; let argmax: [Int32] }
    struct Settings: Decodable {
        let max_new_tokens: Int; let max_denoising_steps: Int
        let t_min: Float?; let t_max: Float?; let entropy_bound: Float?; let confidence_threshold: Float?
    }
    struct Trace: Decodable { let settings: Settings; let seed: Int; let draws: Draws; let steps: [Step]; let sequence: [Int32] }
    let prompt: [Int32]; let canvas: [Int32]; let encoder: [KV]; let step1: Step1; let step2: Step2; let generate: [Trace]
}

func loadGemma(_ name: String) throws -> (DiffusionGemma, GemmaFixture) {
    let dir = gemmaFixtures.appendingPathComponent(name)
    let cfg = try DiffusionGemmaConfig.load(path: dir.appendingPathComponent("config.json").path)
    // F32 activations on every path (the AVX512-BF16 tile would round them): the tolerance is F32's.
    let isa: ISA = ISA.supported.contains(.avx512) ? .avx512 : (ISA.supported.contains(.avx2) ? .avx2 : .portable)
    let model = try DiffusionGemma(config: cfg, weights: try Checkpoint(directory: dir.path), pool: ThreadPool(threads: 2), isa: isa)
    let fx = try JSONDecoder().decode(GemmaFixture.self, from: Data(contentsOf: gemmaFixtures.appendingPathComponent(name + ".json")))
    return (model, fx)
}

/// Max |Δ| relative to the reference's largest magnitude.
func relativeError(_ ours: [Float], _ ref: [Float]) -> Float {
    let scale = max(ref.map { abs($0) }.max() ?? 1, 1e-6)
    return zip(ours, ref).map { abs($0 - $1) }.max()! / scale
}

/// DiffusionGemma against transformers on tiny random models in the real layout (one sliding layer
/// with a window of 6 under an 11-token prompt, one global layer with its own head_dim and a single kv
/// head whose keys are the values, 4 experts top-2, perturbed norms, scalars and router scales, soft cap
/// 3), F32 weights and BF16 weights computed in F32. Tolerance: 1e-4 of the scale, equal argmax, equal
/// experts.
@Suite struct DiffusionGemmaGoldenTests {
    @Test(arguments: ["f32", "bf16"])
    func encoderCacheMatchesTransformers(model name: String) throws {
        let (m, fx) = try loadGemma(name)
        var cache = m.emptyCache()
        try m.encode(fx.prompt, into: &cache)
        #expect(cache.length == fx.prompt.count)
        for (l, kv) in fx.encoder.enumerated() {
            #expect(cache.retained(l) == kv.keys.count, "layer \(l) keeps \(cache.retained(l)) positions, the reference \(kv.keys.count)")
            #expect(relativeError(cache.keys[l], kv.keys.flatMap { $0 }) <= 1e-4, "layer \(l) keys")
            #expect(relativeError(cache.values[l], kv.values.flatMap { $0 }) <= 1e-4, "layer \(l) values")
        }
    }

    @Test(arguments: ["f32", "bf16"])
    func decoderLogitsAndExpertsMatchTransformers(model name: String) throws {
        let (m, fx) = try loadGemma(name)
        var cache = m.emptyCache()
        try m.encode(fx.prompt, into: &cache)
        let V = m.config.vocabSize
        let (logits, routes) = try m.decodeWithRoutes(fx.canvas, cache: cache)
        let ref1 = fx.step1.logits.flatMap { $0 }
        #expect(relativeError(logits, ref1) <= 1e-4)
        #expect(argmaxRows(logits, V) == argmaxRows(ref1, V))
        for (l, layer) in fx.step1.experts.enumerated() {
            #expect(routes[l].map { $0.sorted() } == layer.map { $0.sorted() }, "layer \(l) experts")
        }
        // Step 2: the reference's step-1 logits over its temperature are the self-conditioning input.
        let sc = ref1.map { $0 / fx.step2.self_conditioning_temperature }
        let step2 = try m.decode(fx.canvas, cache: cache, selfConditioning: sc)
        let ref2 = fx.step2.logits.flatMap { $0 }
        #expect(relativeError(step2, ref2) <= 1e-4)
        #expect(argmaxRows(step2, V) == argmaxRows(ref2, V))
        #expect(relativeError(step2, ref1) > 1e-2, "self-conditioning must change the logits")
    }

    /// `weights: int8` quantises every matrix but the router per row at load: the first step's logits
    /// stay within 12 % of the logit scale of the F32 weights' (measured on this 32-wide model: 6.1 %
    /// with F32 activations, 9.6 % on the VNNI path, whose activations are 8-bit too; rows this short
    /// quantise coarsely), the experts chosen stay the same at ≥ 90 % of (layer, position) pairs (the
    /// router is F32; its input moves), argmax at ≥ 6 of 8.
    @Test func int8WeightsStayCloseToTheStoredOnes() throws {
        let dir = gemmaFixtures.appendingPathComponent("f32")
        let cfg = try DiffusionGemmaConfig.load(path: dir.appendingPathComponent("config.json").path)
        let (m, fx) = try loadGemma("f32")
        let q = try DiffusionGemma(config: cfg, weights: try Checkpoint(directory: dir.path), pool: ThreadPool(threads: 2), precision: .int8)
        var cache = m.emptyCache(), qcache = q.emptyCache()
        try m.encode(fx.prompt, into: &cache); try q.encode(fx.prompt, into: &qcache)
        let (ref, refRoutes) = try m.decodeWithRoutes(fx.canvas, cache: cache)
        let (ours, routes) = try q.decodeWithRoutes(fx.canvas, cache: qcache)
        let err = relativeError(ours, ref)
        print("DiffusionGemma int8 vs F32 weights: max|Δ| \(err) of the logit scale")
        #expect(err <= 0.12)
        let pairs = zip(routes.joined(), refRoutes.joined())
        #expect(Double(pairs.filter { $0.0.sorted() == $0.1.sorted() }.count) >= 0.9 * Double(pairs.map { _ in 1 }.count))
        let V = cfg.vocabSize
        #expect(zip(argmaxRows(ours, V), argmaxRows(ref, V)).filter { $0 == $1 }.count >= 6)
        #expect(q.weightBytes < m.weightBytes / 3)
    }

    /// The interrupt is asked before every layer (and the decoder's head): it stops the work there, and
    /// an interrupted encode leaves the cache as it was, so it can be used again.
    @Test func interruptsStopAtALayerAndLeaveTheCacheUsable() throws {
        let (m, fx) = try loadGemma("f32")
        var cache = m.emptyCache()
        var asked = 0
        #expect(throws: ModelError.interrupted(layer: 1)) { try m.encode(fx.prompt, into: &cache, interrupt: { asked += 1; return asked > 1 }) }
        #expect(cache.length == 0 && cache.retained(0) == 0 && cache.retained(1) == 0)
        try m.encode(fx.prompt, into: &cache)
        asked = 0
        #expect(throws: ModelError.interrupted(layer: 2)) { try m.decode(fx.canvas, cache: cache, interrupt: { asked += 1; return asked > 2 }) }
        #expect(relativeError(try m.decode(fx.canvas, cache: cache), fx.step1.logits.flatMap { $0 }) <= 1e-4)
    }

    /// A config the runtime cannot run faithfully is refused by name.
    @Test(arguments: [
        ("hidden_activation", #""gelu""#, "text_config.hidden_activation"),
        ("use_bidirectional_attention", #""all""#, "text_config.use_bidirectional_attention"),
        ("attention_bias", "true", "text_config.attention_bias"),
        ("layer_types", #"["sliding_attention", "chunked_attention"]"#, "text_config.layer_types"),
        ("rope_parameters", #"{"sliding_attention": {"rope_type": "default", "rope_theta": 1e4}, "full_attention": {"rope_type": "longrope", "rope_theta": 1e6}}"#, "text_config.rope_parameters.full_attention.rope_type"),
        ("per_layer_config", #"{"1": {"head_dim": 16, "sliding_window": 3}}"#, "text_config.per_layer_config.1.sliding_window"),
        ("attn_logit_softcapping", "50.0", "text_config.attn_logit_softcapping"),
        ("final_logit_softcapping", "0", "text_config.final_logit_softcapping"),
        ("max_position_embeddings", "-5", "text_config.max_position_embeddings"),
        ("top_k_experts", "9", "text_config.top_k_experts"),
    ])
    func unimplementedMathsIsRefusedByName(key: String, json: String, named: String) throws {
        let d = try Data(contentsOf: gemmaFixtures.appendingPathComponent("f32/config.json"))
        var o = try #require(try JSONSerialization.jsonObject(with: d) as? [String: Any])
        var text = try #require(o["text_config"] as? [String: Any])
        text[key] = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        o["text_config"] = text
        do {
            _ = try DiffusionGemmaConfig(json: o, path: "c.json")
            Issue.record("\(key) = \(json) loaded")
        } catch let e as ModelError {
            #expect(e.description.contains("'\(named)'"), "\(e)")
            #expect(e.description.contains("Hint:"), "\(e)")
        }
    }

    @Test func proportionalRopeRotatesOnlyTheFirstQuarter() throws {
        let cfg = try DiffusionGemmaConfig.load(path: gemmaFixtures.appendingPathComponent("f32/config.json").path)
        let full = try #require(cfg.layers.first { $0.type == .full })
        let inv = full.rope.inverseFrequencies(headDim: 512)
        let plain = RotaryEmbedding(theta: 1e6).inverseFrequencies(headDim: 512)
        #expect(Array(inv.prefix(64)) == Array(plain.prefix(64)) && inv.dropFirst(64).allSatisfy { $0 == 0 } && inv.count == 256)
        #expect(full.headDim == 16 && full.kvHeads == 1 && cfg.layers[0].headDim == 8 && cfg.layers[0].kvHeads == 2)
    }
}
