import Foundation
import Testing
import SafeTensors
import Kernels
import DiffusionModel
@testable import Denoiser

private let gemmaFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/diffusion-gemma")

/// The `generate` traces `training/make_diffusion_gemma_fixtures.py` records from transformers 5.24.0.
private struct Traces: Decodable {
    struct Draws: Decodable { let initial: [Int32]; let samples: [[Int32]]; let noise: [[Int32]]; let block_initial: [[Int32]]? }
    struct Step: Decodable { let step: Int; let accepted: [Int]; let argmax: [Int32] }
    struct Settings: Decodable {
        let max_new_tokens: Int; let max_denoising_steps: Int
        let t_min: Float?; let t_max: Float?; let entropy_bound: Float?; let confidence_threshold: Float?; let stability_threshold: Int?
    }
    struct Trace: Decodable { let settings: Settings; let draws: Draws; let steps: [Step]; let sequence: [Int32] }
    let prompt: [Int32]; let generate: [Trace]
}

/// torch's draws, replayed in the order generate() made them: the first canvas, then per step one
/// multinomial sample per position followed by a re-noise canvas, and a fresh canvas per later block.
private struct RecordedDraws: DiffusionDraws {
    var canvases: [[Int32]], samplesLeft: [[Int32]], noiseLeft: [[Int32]]
    var afterSample = false
    /// More draws were asked for than torch made (the run diverged); zeros are returned from then on.
    var exhausted = false
    init(_ d: Traces.Draws) { canvases = [d.initial] + (d.block_initial ?? []); samplesLeft = d.samples; noiseLeft = d.noise }
    static func next(_ list: inout [[Int32]], _ count: Int, exhausted: inout Bool) -> [Int32] {
        if list.isEmpty { exhausted = true; return Array(repeating: 0, count: count) }
        return list.removeFirst()
    }
    mutating func canvas(length: Int, vocab: Int) -> [Int32] {
        if afterSample { afterSample = false; return Self.next(&noiseLeft, length, exhausted: &exhausted) }
        return Self.next(&canvases, length, exhausted: &exhausted)
    }
    mutating func samples(probabilities: [Float], rows: Int, vocab: Int) -> [Int32] {
        afterSample = true
        return Self.next(&samplesLeft, rows, exhausted: &exhausted)
    }
}

/// The sampler fed torch's draws commits the same positions and emits the same argmax canvas at every
/// step, stops at the same steps, and ends with the same sequence (four runs per model: the defaults;
/// a wider bound; a sharp schedule whose acceptance varies; a stop after each canvas's first step).
@Suite struct EntropyBoundSamplerTests {
    @Test(arguments: ["f32", "bf16"])
    func replayedDrawsReproduceTransformersGenerate(model name: String) throws {
        let dir = gemmaFixtures.appendingPathComponent(name)
        let cfg = try DiffusionGemmaConfig.load(path: dir.appendingPathComponent("config.json").path)
        let isa: ISA = ISA.supported.contains(.avx512) ? .avx512 : (ISA.supported.contains(.avx2) ? .avx2 : .portable)
        let model = try DiffusionGemma(config: cfg, weights: try Checkpoint(directory: dir.path), pool: ThreadPool(threads: 2), isa: isa)
        let fx = try JSONDecoder().decode(Traces.self, from: Data(contentsOf: gemmaFixtures.appendingPathComponent(name + ".json")))
        for (ti, trace) in fx.generate.enumerated() {
            var settings = try EntropyBoundSettings.load(path: dir.appendingPathComponent("generation_config.json").path)
            settings.maxNewTokens = trace.settings.max_new_tokens; settings.maxDenoisingSteps = trace.settings.max_denoising_steps
            if let v = trace.settings.t_min { settings.tMin = v }
            if let v = trace.settings.t_max { settings.tMax = v }
            if let v = trace.settings.entropy_bound { settings.entropyBound = v }
            if let v = trace.settings.confidence_threshold { settings.confidenceThreshold = v }
            if let v = trace.settings.stability_threshold { settings.stabilityThreshold = v }
            var draws = RecordedDraws(trace.draws)
            var steps: [EntropyBoundStep] = []
            let out = try EntropyBoundSampler(model: model, settings: settings).generate(prompt: fx.prompt, draws: &draws, onStep: { steps.append($0); return true }).tokens
            #expect(steps.count == trace.steps.count, "\(name) trace \(ti): \(steps.count) steps, the reference \(trace.steps.count)")
            for (i, (ours, ref)) in zip(steps, trace.steps).enumerated() {
                #expect(ours.step == ref.step && ours.accepted == ref.accepted, "\(name) trace \(ti) step \(i): accepted \(ours.accepted) vs \(ref.accepted)")
                #expect(ours.argmax == ref.argmax, "\(name) trace \(ti) step \(i) argmax")
            }
            #expect(out == trace.sequence, "\(name) trace \(ti) sequence")
            #expect(draws.samplesLeft.isEmpty && draws.noiseLeft.isEmpty && !draws.exhausted, "every recorded draw used, no more")
        }
    }

    @Test func generationConfigKeysAreReadOrRefusedByName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("generation_config.json").path
        try #"{"max_denoising_steps": 12, "sampler_config": {"_cls_name": "EntropyBoundSamplerConfig", "entropy_bound": 0.3}, "t_min": 0.2, "t_max": 0.9, "stability_threshold": 2, "confidence_threshold": null, "transformers_version": "5.24.0"}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let s = try EntropyBoundSettings.load(path: path)
        #expect(s.maxDenoisingSteps == 12 && s.entropyBound == 0.3 && s.tMin == 0.2 && s.tMax == 0.9 && s.stabilityThreshold == 2 && s.confidenceThreshold == 0.005)
        try #"{"sampler_config": {"_cls_name": "TopKSamplerConfig", "k": 3}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try EntropyBoundSettings.load(path: path) } throws: { "\($0)".contains("sampler_config._cls_name") && "\($0)".contains("Hint:") }
        try #"{"top_p": 0.9}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try EntropyBoundSettings.load(path: path) } throws: { "\($0)".contains("'top_p'") }
    }

    /// Seeded draws: the same seed gives the same ids; samples follow the distribution's support.
    @Test func seededDrawsAreDeterministic() {
        var a = SeededDraws(seed: 5), b = SeededDraws(seed: 5)
        #expect(a.canvas(length: 50, vocab: 97) == b.canvas(length: 50, vocab: 97))
        let p: [Float] = [0, 0.5, 0, 0.5, 1, 0, 0, 0]
        let s = a.samples(probabilities: p, rows: 2, vocab: 4)
        #expect((s[0] == 1 || s[0] == 3) && s[1] == 0)
    }
}
