import Foundation
import Denoiser

/// One request's denoising on the local model: the canvas around a hole, token healing, the
/// denoiser with frames and cancellation, and the fill decoded back to text.
struct LocalDecoder {
    let bundle: ModelBundle
    let settings: EngineSettings

    /// A decoded fill: the whole middle's text, and each hole's text for a multi-hole template.
    struct Fill { var text: String; var holes: [String]; var early: Bool; var cancelled: Bool; var forwards: Int }

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
        let denoiser = try Denoiser(model: bundle.model, options: options, maskID: bundle.maskID)
        let ends = bundle.config.endTokenIDs
        let frames = FrameRenderer(bundle: bundle)
        let res: DenoiseResult
        if ends.isEmpty && template == nil && maskCount >= HoleSizes.bestOfLengthsMinimum {
            // No token can end a hole early: try a few lengths and keep the most likely fill.
            res = try denoiser.bestOfLengths(spec, lengths: [maskCount / 4, maskCount / 2, maskCount], isCancelled: { cancel.isCancelled })
        } else {
            res = try denoiser.run(spec, isCancelled: { cancel.isCancelled }, onStep: { frame in
                onFrame(frames.render(frame, hole: hole, steps: max(options.steps, maskCount), healed: healed))
                return true
            })
        }
        let tok = bundle.tokenizer
        var text = tok.decode(res.rawMiddle.filter { !ends.contains($0) && $0 != bundle.maskID })
        if text.hasPrefix(healed) { text.removeFirst(healed.count) } else if !healed.isEmpty { text = "" }
        return Fill(text: text, holes: res.holeTokens.map { tok.decode($0) }, early: res.early, cancelled: res.cancelled, forwards: res.forwards)
    }
}
