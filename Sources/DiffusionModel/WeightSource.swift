import Foundation
import SafeTensors

/// Where weights come from: a checkpoint on disk, or generated values (benchmarks, tests).
public protocol WeightSource {
    func contains(_ name: String) -> Bool
    /// The tensor as F32, row-major; must have exactly `shape`.
    func floats(_ name: String, shape: [Int]) throws -> [Float]
    var description: String { get }
}

extension Checkpoint: WeightSource {
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard contains(name) else { throw ModelError.missingTensor(directory: directory, tensor: name) }
        let v: TensorView
        do { v = try view(name) } catch { throw ModelError.weights("\(error)") }
        guard v.shape == shape else { throw ModelError.wrongShape(tensor: name, expected: shape, actual: v.shape) }
        do { return try v.floats() } catch { throw ModelError.weights("\(error)") }
    }
    public var description: String { directory }
}

/// Deterministic pseudo-random weights (uniform ±scale, norms = 1) for shape-only benchmarks.
public struct RandomWeights: WeightSource {
    public let seed: UInt64
    public let scale: Float
    public init(seed: UInt64, scale: Float = 0.02) { self.seed = seed; self.scale = scale }
    public func contains(_ name: String) -> Bool { true }
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        let n = shape.reduce(1, *)
        if name.hasSuffix("norm.weight") || name.hasSuffix("layernorm.weight") || name.hasSuffix("ln_f.weight") { return [Float](repeating: 1, count: n) }
        var s = seed ^ UInt64(truncatingIfNeeded: name.hashValue == 0 ? 1 : name.utf8.reduce(5381) { ($0 &* 33) &+ UInt64($1) })
        return (0..<n).map { _ in
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            return (Float(s % 1_000_001) / 500_000 - 1) * scale
        }
    }
    public var description: String { "random weights (seed \(seed))" }
}
