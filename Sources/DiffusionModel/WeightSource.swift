import Foundation
import SafeTensors

/// Where weights come from: a checkpoint on disk, or generated values (benchmarks, tests).
public protocol WeightSource {
    func contains(_ name: String) -> Bool
    /// The tensor as F32, row-major; must have exactly `shape`.
    func floats(_ name: String, shape: [Int]) throws -> [Float]
    /// Random access to element i (row-major) inside `body`, without materialising the tensor.
    func withReader<R>(_ name: String, shape: [Int], _ body: ((Int) -> Float) throws -> R) throws -> R
    /// The stored dtype ("F32", "BF16", "F16", …), which decides the in-memory panel format.
    func storedDType(_ name: String) -> String?
    /// For a tensor stored as BF16: its raw row-major bits (2 bytes each, possibly unaligned) inside
    /// `body`, so that BF16 panels are filled by copying; nil for other dtypes and generated sources.
    func withBF16Bits<R>(_ name: String, shape: [Int], _ body: (UnsafeRawPointer) throws -> R) throws -> R?
    /// The stored shape, when the source has one (a checkpoint; generated sources take any shape).
    func storedShape(_ name: String) -> [Int]?
    var description: String { get }
}

extension WeightSource {
    public func withBF16Bits<R>(_ name: String, shape: [Int], _ body: (UnsafeRawPointer) throws -> R) throws -> R? { nil }
    public func storedShape(_ name: String) -> [Int]? { nil }

    /// Checks a tensor before anything is allocated for it: present, and of `shape` (a config whose
    /// sizes do not match the weights must fail here, not in a multi-terabyte allocation).
    func expect(_ name: String, shape: [Int]) throws {
        guard contains(name) else { throw ModelError.missingTensor(directory: description, tensor: name) }
        if let s = storedShape(name), s != shape { throw ModelError.wrongShape(tensor: name, expected: shape, actual: s) }
    }
}

extension Checkpoint: WeightSource {
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard contains(name) else { throw ModelError.missingTensor(directory: directory, tensor: name) }
        let v: TensorView
        do { v = try view(name) } catch { throw ModelError.weights("\(error)") }
        guard v.shape == shape else { throw ModelError.wrongShape(tensor: name, expected: shape, actual: v.shape) }
        do { return try v.floats() } catch { throw ModelError.weights("\(error)") }
    }
    public func storedDType(_ name: String) -> String? { (try? view(name))?.dtype.rawValue }
    public func storedShape(_ name: String) -> [Int]? { (try? view(name))?.shape }
    public func withBF16Bits<R>(_ name: String, shape: [Int], _ body: (UnsafeRawPointer) throws -> R) throws -> R? {
        guard contains(name), let v = try? view(name), v.dtype == .bf16 else { return nil }
        guard v.shape == shape else { throw ModelError.wrongShape(tensor: name, expected: shape, actual: v.shape) }
        return try v.withRawBytes { try body($0.baseAddress!) }
    }
    public func withReader<R>(_ name: String, shape: [Int], _ body: ((Int) -> Float) throws -> R) throws -> R {
        guard contains(name) else { throw ModelError.missingTensor(directory: directory, tensor: name) }
        let v: TensorView
        do { v = try view(name) } catch { throw ModelError.weights("\(error)") }
        guard v.shape == shape else { throw ModelError.wrongShape(tensor: name, expected: shape, actual: v.shape) }
        do { return try v.withFloatReader(body) } catch let e as ModelError { throw e } catch { throw ModelError.weights("\(error)") }
    }
    public var description: String { directory }
}

/// Deterministic pseudo-random weights (uniform ±scale, norms = 1) for shape-only benchmarks.
public struct RandomWeights: WeightSource {
    public let seed: UInt64
    public let scale: Float
    public let dtype: String
    public init(seed: UInt64, scale: Float = 0.02, dtype: String = "BF16") { self.seed = seed; self.scale = scale; self.dtype = dtype }
    public func storedDType(_ name: String) -> String? { dtype }
    public func contains(_ name: String) -> Bool { true }
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        try withReader(name, shape: shape) { r in (0..<shape.reduce(1, *)).map(r) }
    }
    /// Element i is a hash of (seed, name, i): deterministic and computed on demand.
    public func withReader<R>(_ name: String, shape: [Int], _ body: ((Int) -> Float) throws -> R) throws -> R {
        if name.hasSuffix("norm.weight") || name.hasSuffix("layernorm.weight") || name.hasSuffix("ln_f.weight") { return try body { _ in 1 } }
        let base = seed ^ name.utf8.reduce(5381) { ($0 &* 33) &+ UInt64($1) }
        let sc = scale
        return try body { i in
            var z = base &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return (Float(z % 1_000_001) / 500_000 - 1) * sc
        }
    }
    public var description: String { "random weights (seed \(seed))" }
}
