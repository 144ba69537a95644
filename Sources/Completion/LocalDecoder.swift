import Foundation
import Denoiser

/// One request's denoising on the local model: the canvas around a hole, token healing, the
/// denoiser with frames and cancellation, and the fill decoded back to text.
struct LocalDecoder {
    let bundle: ModelBundle
    let settings: EngineSettings
    /// Inline requests' context reuse (nil for the other kinds).
    var memory: ContextMemory? = nil

    /// A decoded fill: the whole middle's text, and each hole's text for a multi-hole template; with
    /// what it was denoised from, so that an alternative can branch from it.
    struct Fill {
        var text: String
        var holes: [String]
        var early: Bool
        var cancelled: Bool
        var forwards: Int
        var result: DenoiseResult
        var spec: CanvasSpec
        var options: DenoiseOptions
        /// The word start token healing moved into the hole ("" when none).
        var healed: String
    }

    func canvas(_ r: CompletionRequest, hole: Swift.Range<Int>, maskCount: Int, template: [Int32]? = nil) -> CanvasSpec {
        CanvasBuilder(bundle: bundle, contextTokens: settings.contextTokens).spec(r, hole: hole, maskCount: maskCount, template: template)
    }

    func denoise(_ r: CompletionRequest, hole: Swift.Range<Int>, maskCount: Int, template: [Int32]? = nil, cancel: CancellationToken,
                 onFrame: (CanvasFrame) -> Void) throws -> Fill {
        var spec = canvas(r, hole: hole, maskCount: maskCount, template: template)
        var options = settings.denoiseOptions(deadline: r.deadline, slots: maskCount)
        options.forbidden = bundle.forbidden
        let healed = template == nil && settings.tokenHealing
            ? TokenHealer(bundle: bundle).heal(&spec, &options, textBefore: r.utf8[..<hole.lowerBound]) : ""
        options.vocabularyLimit = bundle.tokenizer.vocabularySize
        if template != nil { options.maxExpansions = 0 }
        var reuse: CacheReuse?
        if let memory, template == nil, options.useCache, bundle.config.expandTokenID == nil, !bundle.config.endTokenIDs.isEmpty {
            options.maxExpansions = 0
            let canvas = spec.leading + spec.prefix + [Int32](repeating: bundle.maskID, count: spec.maskCount) + spec.suffix + spec.trailing
            let start = spec.leading.count + spec.prefix.count
            reuse = memory.plan(uri: r.uri, canvas: canvas, hole: start..<(start + spec.maskCount), model: bundle.model,
                                capacity: bundle.canvasLimit + 8, refreshEvery: settings.contextReuse)
        }
        let fill = try run(spec, options, healed: healed, hole: hole, bestOfLengths: template == nil, reuse: reuse, cancel: cancel, onFrame: onFrame)
        if reuse != nil && (fill.cancelled || fill.result.forwards == 0) { memory?.forget() }
        return fill
    }

    /// Another suggestion for the same hole: the second most likely length (`lengthChoice: 1`), or the
    /// fill kept up to middle slot `slot` with `token` there and the rest denoised again.
    func alternative(of base: Fill, branch: (slot: Int, token: Int32)? = nil, lengthChoice: Int = 0, hole: Swift.Range<Int>,
                     cancel: CancellationToken) throws -> Fill {
        var spec = base.spec, options = base.options
        options.lengthChoice = lengthChoice
        options.deadline = nil
        if let b = branch {
            let middle = base.result.rawMiddle
            spec.middleTemplate = Array(middle[..<b.slot]) + [b.token] + [Int32](repeating: bundle.maskID, count: spec.maskCount - b.slot - 1)
            options.allowedAt = [:]
            options.maxExpansions = 0
        }
        return try run(spec, options, healed: base.healed, hole: hole, bestOfLengths: false, cancel: cancel, onFrame: { _ in })
    }

    func run(_ spec: CanvasSpec, _ options: DenoiseOptions, healed: String, hole: Swift.Range<Int>, bestOfLengths: Bool, reuse: CacheReuse? = nil,
             cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> Fill {
        let denoiser = try Denoiser(model: bundle.model, options: options, maskID: bundle.maskID)
        let ends = bundle.config.endTokenIDs
        let frames = FrameRenderer(bundle: bundle)
        let res: DenoiseResult
        if ends.isEmpty && bestOfLengths && spec.maskCount >= HoleSizes.bestOfLengthsMinimum {
            // No token can end a hole early: try a few lengths and keep the most likely fill.
            let n = spec.maskCount
            res = try denoiser.bestOfLengths(spec, lengths: [n / 4, n / 2, n], isCancelled: { cancel.isCancelled })
        } else {
            res = try denoiser.run(spec, reuse: reuse, isCancelled: { cancel.isCancelled }, onStep: { frame in
                onFrame(frames.render(frame, hole: hole, steps: max(options.steps, spec.maskCount), healed: healed))
                return true
            })
        }
        let tok = bundle.tokenizer
        var text = tok.decode(res.rawMiddle.filter { !ends.contains($0) && $0 != bundle.maskID })
        if text.hasPrefix(healed) { text.removeFirst(healed.count) } else if !healed.isEmpty { text = "" }
        return Fill(text: text, holes: res.holeTokens.map { tok.decode($0) }, early: res.early, cancelled: res.cancelled, forwards: res.forwards,
                    result: res, spec: spec, options: options, healed: healed)
    }
}
