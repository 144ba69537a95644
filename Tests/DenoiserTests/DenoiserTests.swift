import Foundation
import Testing
import SafeTensors
@testable import DiffusionModel
@testable import Denoiser

/// A scripted model: the logits of canvas position p are `script(p, tokens)`; it records the rows it was asked for.
final class FakeModel: DenoisingModel {
    var config: ModelConfig
    let script: (Int, [Int32]) -> [Float]
    var calls: [(block: Bool, rows: [Int])] = []
    init(shifted: Bool = false, expand: Int32? = nil, script: @escaping (Int, [Int32]) -> [Float]) {
        config = try! ModelConfig(json: ["model_type": "qwen3", "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
                                         "num_key_value_heads": 1, "intermediate_size": 8, "vocab_size": 10, "mask_token_id": 9,
                                         "pad_token_id": 8, "shift_logits": shifted], path: "fake")
        config.expandTokenID = expand
        self.script = script
    }
    func logits(_ tokens: [Int32], _ rows: [Int], offset: Int = 0) -> Logits {
        let shift = config.shiftedLogits
        return Logits(rows: rows, vocabSize: 10, values: rows.flatMap { r in script(shift ? r + 1 : r, tokens) })
    }
    func forward(tokens: [Int32], positions: [Int]?, keyMask: [Bool]?, rows: [Int], cache: KVCache?, interrupt: (() -> Bool)?) throws -> Logits {
        if interrupt?() == true { throw ModelError.interrupted(layer: 0) }
        calls.append((false, rows)); return logits(tokens, rows)
    }
    var lastFull: [Int32] = []
    func forwardBlock(tokens: [Int32], start: Int, cache: KVCache, rows: [Int], interrupt: (() -> Bool)?) throws -> Logits {
        if interrupt?() == true { throw ModelError.interrupted(layer: 0) }
        calls.append((true, rows))
        // The fake is context-free, so a block forward equals a full one (an exact cache).
        return logits([], rows)
    }
    func makeCache(capacity: Int) -> KVCache? { KVCache(config: config, capacity: capacity) }
}

/// Wraps a model and interrupts every forward after the first `after` (as a deadline passing mid-forward would).
final class InterruptingModel: DenoisingModel {
    let inner: FakeModel
    let after: Int
    var done = 0
    var config: ModelConfig { inner.config }
    init(_ m: FakeModel, after: Int) { inner = m; self.after = after }
    func forward(tokens: [Int32], positions: [Int]?, keyMask: [Bool]?, rows: [Int], cache: KVCache?, interrupt: (() -> Bool)?) throws -> Logits {
        if done >= after { throw ModelError.interrupted(layer: 1) }
        done += 1
        return try inner.forward(tokens: tokens, positions: positions, keyMask: keyMask, rows: rows, cache: cache, interrupt: interrupt)
    }
    func forwardBlock(tokens: [Int32], start: Int, cache: KVCache, rows: [Int], interrupt: (() -> Bool)?) throws -> Logits {
        if done >= after { throw ModelError.interrupted(layer: 1) }
        done += 1
        return try inner.forwardBlock(tokens: tokens, start: start, cache: cache, rows: rows, interrupt: interrupt)
    }
    func makeCache(capacity: Int) -> KVCache? { inner.makeCache(capacity: capacity) }
}

/// One-hot-ish logits: token `t` with logit `v`, every other token 0.
func peak(_ t: Int, _ v: Float) -> [Float] { (0..<10).map { $0 == t ? v : 0 } }

let spec = CanvasSpec(prefix: [1, 2, 3], suffix: [4, 5], maskCount: 6)

@Suite struct DenoiserScheduleTests {
    @Test func thresholdCommitsTopOnePlusConfidentOnes() throws {
        // Positions 3..8 are the middle. Slots 3 and 5 are very confident, the others not.
        let m = FakeModel { p, _ in p == 3 || p == 5 ? peak(p % 8, 20) : peak(p % 8, 1) }
        var o = DenoiseOptions(); o.algorithm = .threshold; o.threshold = 0.9
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.committedPerStep.first == 2)
        #expect(r.committedPerStep.reduce(0, +) == 6)
        #expect(r.rawMiddle == [3, 4, 5, 6, 7, 0])   // token = position % 8 (8 = pad is never proposed here)
    }

    @Test func oneTokenPerStepIsTheAutoregressiveBaseline() throws {
        let m = FakeModel { p, _ in peak(p % 8, Float(p)) }
        var o = DenoiseOptions(); o.tokensPerStep = 1
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.forwards == 6 && r.committedPerStep == [1, 1, 1, 1, 1, 1])
    }

    @Test func dreamScheduleUsesExactlyTheSteps() throws {
        let m = FakeModel { p, _ in peak(p % 8, Float(p)) }
        var o = DenoiseOptions(); o.algorithm = .maskgitPlus; o.steps = 3
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.forwards == 3)
        #expect(r.committedPerStep.reduce(0, +) == 6)
        // linspace(1, 1e-3, 4): k = floor(6·(1 − s/t)) = 2, then floor(4·0.4998) = 1... last step takes the rest.
        #expect(r.committedPerStep[0] == 1 || r.committedPerStep[0] == 2)
    }

    @Test func lladaBlocksFollowQuotas() throws {
        let m = FakeModel { p, _ in peak(p % 8, Float(p)) }
        var o = DenoiseOptions(); o.algorithm = .lowConfidence; o.steps = 6; o.blockLength = 3
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.committedPerStep == [1, 1, 1, 1, 1, 1])   // 2 blocks × 3 steps, quota 1 each
    }

    @Test func cacheOnAndOffAgreeWhenTheCacheIsExact() throws {
        let script: (Int, [Int32]) -> [Float] = { p, _ in peak(p % 8, Float(p % 4) * 3) }
        var o = DenoiseOptions(); o.threshold = 0.95
        o.useCache = true
        let a = try Denoiser(model: FakeModel(script: script), options: o).run(spec)
        o.useCache = false
        let b = try Denoiser(model: FakeModel(script: script), options: o).run(spec)
        #expect(a.rawMiddle == b.rawMiddle && a.committedPerStep == b.committedPerStep)
    }

    @Test func cachedStepsUseBlockForwardsAfterOneRefresh() throws {
        let m = FakeModel { p, _ in peak(p % 8, 1) }
        var o = DenoiseOptions(); o.tokensPerStep = 2
        _ = try Denoiser(model: m, options: o).run(spec)
        #expect(m.calls.map(\.block) == [false, true, true])
    }

    @Test func shiftedModelsReadThePreviousRow() throws {
        let m = FakeModel(shifted: true) { p, _ in peak(p % 8, 5) }
        var o = DenoiseOptions(); o.tokensPerStep = 6
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(m.calls.first?.rows == [2, 3, 4, 5, 6, 7])
        #expect(r.rawMiddle == [3, 4, 5, 6, 7, 0])
    }

    @Test func endTokenFillsToTheRightAndIsTrimmed() throws {
        // Slot 5 proposes pad (8) with high confidence; slots after it must become pad without their own commits.
        let m = FakeModel { p, _ in p == 5 ? peak(8, 30) : peak(1, Float(10 - p)) }
        var o = DenoiseOptions(); o.tokensPerStep = 1
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.rawMiddle == [1, 1, 8, 8, 8, 8])
        #expect(r.tokens == [1, 1])
        #expect(r.forwards == 3)
    }

    @Test func expandTokenGrowsTheMiddle() throws {
        var expanded = false
        let m = FakeModel(expand: 7) { p, toks in
            // The first time slot 3 is asked, propose <|expand|> (7); afterwards ordinary tokens.
            if p == 3 && !expanded { expanded = true; return peak(7, 50) }
            return peak(2, 3)
        }
        var o = DenoiseOptions(); o.tokensPerStep = 1; o.maxExpansions = 1
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.rawMiddle.count == 7)
        #expect(!r.rawMiddle.contains(7) && !r.rawMiddle.contains(9))
    }

    /// A deadline already due: nothing is computed and the (empty) answer is flagged early.
    @Test func aDeadlineBeforeAnyDraftGivesAnEmptyAnswerFlaggedEarly() throws {
        let m = FakeModel { p, _ in peak(p % 8, 1) }
        var o = DenoiseOptions(); o.tokensPerStep = 1; o.deadline = ContinuousClock().now
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.early && !r.cancelled && r.forwards == 0 && m.calls.isEmpty)
        #expect(r.tokens.isEmpty)
    }

    /// The deadline passing during a later forward: the model is interrupted (between layers), and the
    /// draft holds every slot's latest proposal, without another forward.
    @Test func aDeadlineDuringAForwardReturnsTheDraftFlaggedEarly() throws {
        let deadline = ContinuousClock().now + .seconds(3600)
        let m = FakeModel { p, _ in peak(p % 8, 1) }
        var o = DenoiseOptions(); o.tokensPerStep = 1; o.deadline = deadline
        // The interrupt asks the clock; a model that "takes" an hour on its second forward is modelled
        // by a cancellation-free interrupt that turns true after the first forward.
        let d = try Denoiser(model: InterruptingModel(m, after: 1), options: o)
        let r = try d.run(spec)
        #expect(r.early && !r.cancelled && r.forwards == 1)
        #expect(!r.rawMiddle.contains(9) && r.rawMiddle == [3, 4, 5, 6, 7, 0])
    }

    @Test func cancelReturnsWithinOneStep() throws {
        let m = FakeModel { p, _ in peak(p % 8, 1) }
        var o = DenoiseOptions(); o.tokensPerStep = 1
        var checks = 0
        // Asked before each step and, through the interrupt, before each of the model's layers: the
        // third question (before step 2) stops the run after one forward.
        let r = try Denoiser(model: m, options: o).run(spec, isCancelled: { checks += 1; return checks > 2 })
        #expect(r.cancelled && r.forwards == 1 && checks == 3)
    }

    @Test func onStepCanStopAndSeesMasks() throws {
        let m = FakeModel { p, _ in peak(p % 8, 1) }
        var o = DenoiseOptions(); o.tokensPerStep = 1
        var frames: [StepFrame] = []
        let r = try Denoiser(model: m, options: o).run(spec, onStep: { f in frames.append(f); return frames.count < 2 })
        #expect(frames.count == 2)
        #expect(frames[0].middle.filter { $0 == 9 }.count == 5)
        #expect(r.early && !r.rawMiddle.contains(9))
    }

    @Test func badOptionsAreErrors() throws {
        let m = FakeModel { _, _ in peak(0, 1) }
        var o = DenoiseOptions(); o.steps = 0
        #expect(throws: DenoiserError.self) { try Denoiser(model: m, options: o) }
        #expect(throws: DenoiserError.emptyHole) { try Denoiser(model: m, options: DenoiseOptions()).run(CanvasSpec(prefix: [1], suffix: [], maskCount: 0)) }
        m.config.maskTokenID = nil
        #expect(throws: DenoiserError.noMaskToken(model: "qwen3")) { try Denoiser(model: m, options: DenoiseOptions()) }
        var t = DenoiseOptions(); t.threshold = 1.5
        #expect(throws: DenoiserError.self) { try Denoiser(model: FakeModel { _, _ in peak(0, 1) }, options: t) }
    }

    @Test func bestOfLengthsPicksTheMostLikely() throws {
        // Confident only on the first 2 slots: length 2 has the highest mean log-probability.
        let m = FakeModel { p, _ in p < 5 ? peak(1, 20) : peak(2, 0.5) }
        let r = try Denoiser(model: m, options: DenoiseOptions()).bestOfLengths(spec, lengths: [4, 2, 6])
        #expect(r.rawMiddle.count == 2)
    }
}

@Suite struct DenoiserRealModelTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/models")

    func model(_ layout: String) throws -> DiffusionTransformer {
        let d = Self.dir.appendingPathComponent(layout)
        return try DiffusionTransformer(config: ModelConfig.load(path: d.appendingPathComponent("config.json").path), weights: Checkpoint(directory: d.path))
    }

    @Test(arguments: ["qwen2", "qwen3", "llada"])
    func greedyIsDeterministicAndSampledIsSeeded(layout: String) throws {
        let m = try model(layout)
        let s = CanvasSpec(prefix: [5, 6, 7, 8], suffix: [10, 11], maskCount: 8)
        var o = DenoiseOptions(); o.algorithm = .entropy; o.steps = 4
        let a = try Denoiser(model: m, options: o).run(s), b = try Denoiser(model: m, options: o).run(s)
        #expect(a.rawMiddle == b.rawMiddle && !a.rawMiddle.contains(299))
        o.temperature = 1; o.seed = 7
        let c = try Denoiser(model: m, options: o).run(s), d = try Denoiser(model: m, options: o).run(s)
        #expect(c.rawMiddle == d.rawMiddle)
    }

    /// With the whole canvas recomputed each step the cache changes nothing; with one block the
    /// first step is identical (same refresh forward).
    @Test func cachedAndUncachedAgreeOnTheRefreshStep() throws {
        let m = try model("qwen3")
        let s = CanvasSpec(prefix: [5, 6, 7, 8], suffix: [10, 11], maskCount: 8)
        var o = DenoiseOptions(); o.tokensPerStep = 8
        o.useCache = true
        let a = try Denoiser(model: m, options: o).run(s)
        o.useCache = false
        let b = try Denoiser(model: m, options: o).run(s)
        #expect(a.rawMiddle == b.rawMiddle)
    }
}
