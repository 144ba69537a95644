import Denoiser
import Tokenizer

/// Turns a denoising step into a `CanvasFrame`: committed tokens decoded, each masked slot drawn as
/// `CanvasFrame.maskGlyph`, end slots dropped, and a healed word's start (already in the document) removed.
struct FrameRenderer {
    let bundle: ModelBundle

    func render(_ f: StepFrame, hole: Swift.Range<Int>, steps: Int, healed: String = "") -> CanvasFrame {
        var text = ""
        var masked: [Swift.Range<Int>] = []
        let ends = bundle.config.endTokenIDs
        var dec = StreamingDecoder(tokenizer: bundle.tokenizer)
        for t in f.middle {
            if t == f.maskID {
                text += dec.finish()
                let lo = text.utf8.count
                text += CanvasFrame.maskGlyph
                masked.append(lo..<text.utf8.count)
            } else if !ends.contains(t) {
                text += dec.push(t)
            }
        }
        text += dec.finish()
        if !healed.isEmpty && text.hasPrefix(healed) {
            text.removeFirst(healed.count)
            masked = masked.map { ($0.lowerBound - healed.utf8.count)..<($0.upperBound - healed.utf8.count) }
        }
        return CanvasFrame(range: hole, text: text, maskedRanges: masked, step: f.step, steps: steps)
    }
}
