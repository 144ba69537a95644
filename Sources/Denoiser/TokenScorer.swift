import Foundation
import Kernels
import DiffusionModel

/// How likely the model finds each token of a canvas's middle, every token predicted with both sides
/// in view: a masked diffusion model is trained to predict masked slots only (its logits at a visible
/// slot mostly copy the input), so the middle is scored in `stride` passes, pass j masking the middle
/// slots i ≡ j (mod stride) and reading log p(original token) at them (a pseudo-log-likelihood; each
/// scored token sees its neighbours, the nearest masked one `stride` slots away). Each slot also
/// gets the likeliest other token there, the repair's cheapest candidate.
public struct TokenScorer {
    public let model: DenoisingModel
    public let maskID: Int32
    /// Masked slots per pass are `stride` apart: stride forwards score the whole middle.
    public let stride: Int

    public init(model: DenoisingModel, maskID: Int32, stride: Int = 4) {
        self.model = model; self.maskID = maskID; self.stride = max(1, stride)
    }

    public struct Score: Sendable, Equatable {
        /// log p(the token there) with it masked.
        public var logProbability: Float
        /// The likeliest token other than it (never a forbidden one), and its log p.
        public var alternative: Int32
        public var alternativeLogProbability: Float
    }

    /// log p of the middle's tokens at `slots`, all masked together in one forward (the rest of the
    /// canvas as it is): how well the context predicts a whole word, e.g. a name it uses elsewhere.
    public func jointScore(_ spec: CanvasSpec, slots: Swift.Range<Int>) throws -> Float {
        let middle = spec.middleTemplate ?? []
        guard !slots.isEmpty, slots.upperBound <= middle.count else { return 0 }
        let start = spec.leading.count + spec.prefix.count
        var canvas = spec.leading + spec.prefix + middle + spec.suffix + spec.trailing
        for s in slots { canvas[start + s] = maskID }
        let shift = model.config.shiftedLogits
        let rows = slots.map { shift ? max(0, start + $0 - 1) : start + $0 }
        var logits = try model.forward(tokens: canvas, positions: nil, keyMask: nil, rows: rows, cache: nil, interrupt: nil)
        let V = logits.vocabSize
        return logits.values.withUnsafeMutableBufferPointer { v in
            slots.enumerated().reduce(Float(0)) { sum, e in
                let row = v.baseAddress! + e.offset * V
                Ops.softmax(row, V)
                return sum + logf(max(row[Int(middle[e.element])], 1e-30))
            }
        }
    }

    /// One score per middle slot of `spec` (`spec.middleTemplate` holds the tokens; its length is
    /// `maskCount`). `forbidden` ids are never alternatives. `isCancelled` is asked between passes.
    public func score(_ spec: CanvasSpec, forbidden: Set<Int32>, vocabularyLimit: Int? = nil, isCancelled: () -> Bool = { false }) throws -> [Score]? {
        let middle = spec.middleTemplate ?? []
        let start = spec.leading.count + spec.prefix.count
        let base = spec.leading + spec.prefix + middle + spec.suffix + spec.trailing
        let shift = model.config.shiftedLogits
        var out = [Score](repeating: Score(logProbability: 0, alternative: -1, alternativeLogProbability: -.infinity), count: middle.count)
        for phase in 0..<min(stride, middle.count) {
            if isCancelled() { return nil }
            let slots = Array(Swift.stride(from: phase, to: middle.count, by: stride))
            var canvas = base
            for s in slots { canvas[start + s] = maskID }
            let rows = slots.map { shift ? max(0, start + $0 - 1) : start + $0 }
            var logits = try model.forward(tokens: canvas, positions: nil, keyMask: nil, rows: rows, cache: nil, interrupt: nil)
            let V = logits.vocabSize, limit = min(V, vocabularyLimit ?? V)
            logits.values.withUnsafeMutableBufferPointer { v in
                for (k, s) in slots.enumerated() {
                    let row = v.baseAddress! + k * V
                    Ops.softmax(row, V)
                    let t = Int(middle[s])
                    // The argmax over j ≠ t; a forbidden winner is set aside and the scan repeated (rare).
                    var best = -1, bestP: Float = -1, setAside: [Int] = []
                    while true {
                        best = -1; bestP = -1
                        for j in 0..<limit where j != t && row[j] > bestP { best = j; bestP = row[j] }
                        guard best >= 0, forbidden.contains(Int32(best)), setAside.count < 16 else { break }
                        setAside.append(best); row[best] = -1
                    }
                    out[s] = Score(logProbability: logf(max(row[t], 1e-30)), alternative: Int32(best), alternativeLogProbability: logf(max(bestP, 1e-30)))
                }
            }
        }
        return out
    }
}
