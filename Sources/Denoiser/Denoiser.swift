import Foundation
import DiffusionModel

/// Iterative masked-diffusion infill over one canvas. One instance per request; not shared.
///
/// Each step of a block (`run`): check the deadline and cancellation, run a forward (a full refresh at
/// the start of a block, else a block-only forward over the cached context), propose a token for every
/// masked slot, decide the hole's length once (the length step, which commits nothing else), otherwise
/// commit what the algorithm's `CommitPolicy` chooses, expand DreamOn holes, and report a frame.
/// Shifted-logit models read slot i from row i−1; the cached block forward therefore starts one slot
/// before the block so that row is recomputed too (instead of Fast-dLLM's forced commit).
public struct Denoiser {
    public let model: DenoisingModel
    public var options: DenoiseOptions
    let maskID: Int32
    let endIDs: Set<Int32>

    public init(model: DenoisingModel, options: DenoiseOptions, maskID: Int32? = nil) throws {
        self.model = model; self.options = options
        guard let m = maskID ?? model.config.maskTokenID else { throw DenoiserError.noMaskToken(model: model.config.architecture) }
        self.maskID = m
        endIDs = model.config.endTokenIDs
        self.options.forbidden.insert(m)
        try options.validate()
    }

    /// `reuse`: the K/V cache to fill (kept by the caller for the next request), and the part of the
    /// canvas whose keys/values it does not hold yet; with a range, the first step is a block forward
    /// over just that range instead of a full refresh (context reuse across keystrokes).
    public func run(_ spec: CanvasSpec, reuse: CacheReuse? = nil, isCancelled: () -> Bool = { false },
                    onStep: (StepFrame) -> Bool = { _ in true }) throws -> DenoiseResult {
        guard spec.maskCount > 0, spec.middleTemplate?.contains(maskID) ?? true else { throw DenoiserError.emptyHole }
        var run = DenoisingRun(spec: spec, denoiser: self, reuse: reuse)
        let policy = options.commitPolicy
        let blocks = run.blockLayout()
        var blockStart = run.canvas.middleStart
        blockLoop: for b in 0..<blocks.count {
            let upper = run.canvas.middleRange.upperBound
            var block = blockStart..<(b == blocks.count - 1 ? upper : min(blockStart + blocks.length, upper))
            let initialMasked = run.canvas.maskedPositions(in: block).count
            var step = 0, refresh = true
            while case let masked = run.canvas.maskedPositions(in: block), !masked.isEmpty {
                if let reason = run.stopReason(isCancelled: isCancelled) { run.stop(reason); break blockLoop }
                guard let logits = try run.forward(block: block, rows: masked, refresh: refresh, isCancelled: isCancelled) else { break blockLoop }
                refresh = false
                let proposals = run.propose(logits, at: masked)
                var committed = run.decideLength(proposals)
                if committed == 0 {   // the length step commits nothing else and costs no budget
                    let chosen = policy.choose(proposals, order: DenoisingRun.confidenceOrder(proposals), step: step, steps: blocks.stepsPerBlock,
                                               initialMasked: initialMasked, rng: &run.rng)
                    committed = run.commit(chosen, of: proposals)
                    step += 1
                }
                if run.expand(&block) { refresh = true }
                run.endStep(committed: committed)
                if !onStep(run.frame()) { run.stop(.hook); break blockLoop }
            }
            blockStart = block.upperBound
        }
        if run.stopped && !run.result.cancelled { run.finishDraft() }
        return run.finished()
    }
}

/// A cache the caller keeps across requests (see `Denoiser.run(_:reuse:)`).
public struct CacheReuse {
    public let cache: KVCache
    /// Canvas slots whose keys/values the cache lacks (nil: compute the whole canvas).
    public let recompute: Swift.Range<Int>?
    /// The full refresh runs to its end whatever the deadline (only a cancellation stops it): the first
    /// request for a document fills the kept cache once instead of every keystroke paying it again.
    public let refreshIgnoresDeadline: Bool
    public init(cache: KVCache, recompute: Swift.Range<Int>?, refreshIgnoresDeadline: Bool = false) {
        self.cache = cache; self.recompute = recompute; self.refreshIgnoresDeadline = refreshIgnoresDeadline
    }
}

extension Denoiser {
    /// For models without a learned end-of-middle: denoise each candidate length and keep the result
    /// with the highest mean log-probability.
    public func bestOfLengths(_ spec: CanvasSpec, lengths: [Int], isCancelled: () -> Bool = { false }) throws -> DenoiseResult {
        var best: DenoiseResult?
        for n in lengths where n > 0 {
            var s = spec; s.maskCount = n
            let r = try run(s, isCancelled: isCancelled)
            if r.cancelled { return r }
            if best == nil || r.meanLogProb > best!.meanLogProb { best = r }
        }
        guard let best else { throw DenoiserError.emptyHole }
        return best
    }
}
