import Foundation
import Kernels
import DiffusionModel

/// How likely the model finds each token of a canvas's middle as it stands, every token seen with
/// both sides (one forward, nothing masked): log p(token_i | canvas) from the row that predicts slot i
/// (row i−1 for shifted-logit models), with `Ops.softmax` over the vocabulary.
public struct TokenScorer {
    public let model: DenoisingModel
    public init(model: DenoisingModel) { self.model = model }

    /// log p of each middle token; `spec.middleTemplate` holds the tokens (its length is `maskCount`).
    public func logProbabilities(_ spec: CanvasSpec) throws -> [Float] {
        let middle = spec.middleTemplate ?? []
        let canvas = spec.leading + spec.prefix + middle + spec.suffix + spec.trailing
        let start = spec.leading.count + spec.prefix.count
        let shift = model.config.shiftedLogits
        let rows = (start..<(start + middle.count)).map { shift ? max(0, $0 - 1) : $0 }
        var logits = try model.forward(tokens: canvas, positions: nil, keyMask: nil, rows: rows, cache: nil, interrupt: nil)
        let V = logits.vocabSize
        return logits.values.withUnsafeMutableBufferPointer { v in
            middle.enumerated().map { k, t in
                let row = v.baseAddress! + k * V
                Ops.softmax(row, V)
                return logf(max(row[Int(t)], 1e-30))
            }
        }
    }
}
