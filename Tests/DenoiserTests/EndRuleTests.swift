import Foundation
import Testing
@testable import DiffusionModel
@testable import Denoiser

/// Logits where the pad id (8) has probability ≈ `pe` and token `t` takes most of the rest.
func endVote(_ t: Int, pe: Float) -> [Float] {
    // Nine non-pad ids: t at logit 4, the others 0; pad at the logit that gives it probability pe.
    let rest = expf(4) + 8
    let padLogit = logf(pe / (1 - pe) * rest)
    return (0..<10).map { $0 == 8 ? padLogit : ($0 == t ? 4 : 0) }
}

@Suite struct EndRuleTests {
    @Test func trailingRunIsTheMostLikelySplit() {
        let mask: Int32 = 9
        let tokens: [Int32] = [1, 2, 3] + [Int32](repeating: mask, count: 6) + [4, 5]
        let hole = 3..<9
        func run(_ pe: [Float]) -> Range<Int> {
            var d: [Int: Float] = [:]
            for (i, p) in pe.enumerated() { d[3 + i] = p }
            return Denoiser.trailingEndRun(hole: hole, tokens: tokens, maskID: mask, endIDs: [8], endProbability: d)
        }
        #expect(run([0.1, 0.2, 0.9, 0.8, 0.95, 0.99]) == 5..<9)
        // One unsure slot inside a confident tail does not break it: the joint score decides.
        #expect(run([0.1, 0.2, 0.9, 0.4, 0.95, 0.99]) == 5..<9)
        #expect(run([0.1, 0.1, 0.1, 0.1, 0.1, 0.4]) == 9..<9)
        #expect(run([0.9, 0.9, 0.9, 0.9, 0.9, 0.9]) == 3..<9)
        // Content already committed at slot 6 bounds the run.
        var t2 = tokens; t2[6] = 7
        var d: [Int: Float] = [:]
        for p in 3..<9 { d[p] = 0.9 }
        #expect(Denoiser.trailingEndRun(hole: hole, tokens: t2, maskID: mask, endIDs: [8], endProbability: d) == 7..<9)
    }

    @Test func lengthIsDecidedInOneStepAndContentNeverEnds() throws {
        // Slots 3...5 are content (pad probability 0.3; slot 4 even prefers pad, 0.6); slots 6...8 vote
        // end (0.8). The joint split ends the hole after slot 5, and slot 4 still gets a content token.
        let m = FakeModel { p, _ in p >= 6 ? endVote(1, pe: 0.8) : endVote(p, pe: p == 4 ? 0.6 : 0.3) }
        var o = DenoiseOptions(); o.endRule = .trailingRun; o.tokensPerStep = 1
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.rawMiddle == [3, 4, 5, 8, 8, 8])
        #expect(r.tokens == [3, 4, 5])
        // Step 1 commits only the end run; then one content token per step: 1 + 3.
        #expect(r.forwards == 4 && r.committedPerStep == [3, 1, 1, 1])
    }

    @Test func theLengthStepCommitsNoContentAndCostsNoBudget() throws {
        // Slots 3...5 propose token 5 while the hole's tail is masked and token 6 once the end run is in
        // place; slots 6...8 vote end (0.8). Step 1 commits the end run alone; the two budgeted steps
        // after it commit the content, all of it proposed knowing where the fill ends.
        let m = FakeModel { p, tokens in
            if p >= 6 { return endVote(1, pe: 0.8) }
            return endVote(tokens.count > 8 && tokens[8] == 8 ? 6 : 5, pe: 0.1)
        }
        var o = DenoiseOptions(); o.endRule = .trailingRun; o.algorithm = .threshold; o.steps = 2; o.useCache = false
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.rawMiddle == [6, 6, 6, 8, 8, 8])
        #expect(r.forwards == 3 && r.committedPerStep == [3, 2, 1])
    }

    @Test func aConstrainedSlotTakesItsBestAllowedToken() throws {
        // Every slot prefers token 7 (logit 5); token 2 is second (logit 3) and token 3 third (2).
        // Slot 0 may only take 2 or 3 (token healing's continuations): it gets 2; the others keep 7.
        let m = FakeModel { _, _ in (0..<10).map { $0 == 7 ? 5 : $0 == 2 ? 3 : $0 == 3 ? 2 : 0 } }
        var o = DenoiseOptions(); o.endRule = .trailingRun; o.tokensPerStep = 2
        o.allowedAt = [0: [2, 3]]
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.rawMiddle == [2, 7, 7, 7, 7, 7])
        // Even when every slot votes to end, the constrained slot cannot be an end: the hole keeps it.
        let ends = FakeModel { _, _ in endVote(1, pe: 0.95) }
        let e = try Denoiser(model: ends, options: o).run(spec)
        #expect(e.tokens == [2] && e.rawMiddle == [2, 8, 8, 8, 8, 8])
        o.allowedAt = [:]
        #expect(try Denoiser(model: ends, options: o).run(spec).tokens.isEmpty)
    }

    @Test func thresholdFinishesWithinTheStepBudget() throws {
        // Nothing ever reaches τ: without a budget, one token per forward.
        let m = FakeModel { p, _ in peak(p % 8, 1) }
        var o = DenoiseOptions(); o.algorithm = .threshold; o.threshold = 0.9
        o.steps = 64
        #expect(try Denoiser(model: m, options: o).run(spec).forwards == 6)
        o.steps = 2
        let r = try Denoiser(model: m, options: o).run(spec)
        #expect(r.forwards == 2 && r.committedPerStep == [3, 3])
        o.steps = 4
        #expect(try Denoiser(model: m, options: o).run(spec).committedPerStep == [2, 2, 1, 1])
    }

    @Test func parallelCommitsDeferARepeatOfANeighbour() throws {
        // Every slot proposes token 3 with the same low confidence; 2 steps for 6 slots.
        let m = FakeModel { _, _ in peak(3, 1) }
        var o = DenoiseOptions(); o.algorithm = .threshold; o.steps = 2; o.deferRepeats = true
        var afterFirst: [Int32] = []
        let r = try Denoiser(model: m, options: o).run(spec, onStep: { f in
            if f.step == 1 { afterFirst = f.middle }
            return true
        })
        #expect(afterFirst == [3, 9, 3, 9, 3, 9])
        #expect(r.rawMiddle == [3, 3, 3, 3, 3, 3] && r.forwards == 2)
        o.deferRepeats = false
        _ = try Denoiser(model: m, options: o).run(spec, onStep: { f in
            if f.step == 1 { afterFirst = f.middle }
            return true
        })
        #expect(afterFirst == [3, 3, 3, 9, 9, 9])
    }

    @Test func eachHoleOfATemplateGetsItsOwnEndRun() throws {
        // Middle template: hole A (slots 3...5), fixed token 7 at slot 6, hole B (slots 7...9).
        // The last slot of each hole votes end; the others are content.
        let m = FakeModel { p, _ in p == 5 || p == 9 ? endVote(1, pe: 0.9) : endVote(p % 8, pe: 0.1) }
        var o = DenoiseOptions(); o.endRule = .trailingRun; o.tokensPerStep = 1
        let s = CanvasSpec(prefix: [1, 2, 3], suffix: [4, 5], maskCount: 7, middleTemplate: [9, 9, 9, 7, 9, 9, 9])
        let r = try Denoiser(model: m, options: o).run(s)
        #expect(r.rawMiddle == [3, 4, 8, 7, 7, 0, 8])
        #expect(r.holeTokens == [[3, 4], [7, 0]])
    }
}
