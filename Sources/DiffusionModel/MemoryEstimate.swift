import Foundation

/// What a model will hold resident once loaded, checked before any weight is mapped, so a model that
/// does not fit is refused with the figure instead of driving the machine into swap.
public struct MemoryEstimate: Sendable, Equatable {
    /// Weight matrices in their in-memory format plus a K/V cache and activations for the longest canvas.
    public let residentBytes: Int
    public let precision: DiffusionTransformer.WeightPrecision

    /// `storedBF16`: the checkpoint stores BF16 (kept as BF16 under `.stored`; F32 checkpoints stay F32).
    public init(config c: ModelConfig, precision: DiffusionTransformer.WeightPrecision, storedBF16: Bool) {
        let bytesPerWeight: Double
        switch precision {
        case .stored: bytesPerWeight = storedBF16 ? 2 : 4
        case .f32: bytesPerWeight = 4
        case .int8: bytesPerWeight = 1.0 + 4.0 / Double(c.hiddenSize)   // a scale per row
        }
        let positions = Double(min(c.maxPositions, 2048))
        let kv = 2 * Double(c.numLayers) * positions * Double(c.numKVHeads * c.headDim) * 4           // [2, L, S, Hk·Dh] F32
        let activations = positions * Double(4 * c.hiddenSize + 3 * c.intermediateSize) * 4            // hidden, q/k/v, MLP rows
        residentBytes = ModelConfig.count(Double(c.parameterCount) * bytesPerWeight + kv + activations)
        self.precision = precision
    }

    /// DiffusionGemma: its weights (every expert resident, the embedding twice: as the tied lm_head and
    /// transposed for self-conditioning), the encoder cache of a 2048-token prompt, and one step's
    /// canvas activations, logits, probabilities and self-conditioning input ([canvas, vocab] F32 each).
    public init(gemma c: DiffusionGemmaConfig, precision: DiffusionTransformer.WeightPrecision, storedBF16: Bool) {
        let bytesPerWeight: Double
        switch precision {
        case .stored: bytesPerWeight = storedBF16 ? 2 : 4
        case .f32: bytesPerWeight = 4
        case .int8: bytesPerWeight = 1.0 + 4.0 / Double(c.hiddenSize)
        }
        let weights = (Double(c.parameterCount) + Double(c.vocabSize) * Double(c.hiddenSize)) * bytesPerWeight
        let positions = min(c.maxPositions, 2048)
        let kv = c.layers.reduce(0.0) { $0 + 2 * Double(min(positions, $1.type == .sliding ? c.slidingWindow : positions)) * Double($1.kvHeads * $1.headDim) * 4 }
        let canvas = Double(c.canvasLength) * Double(3 * c.vocabSize + 4 * c.hiddenSize + 2 * c.intermediateSize) * 4
        residentBytes = ModelConfig.count(weights + kv + canvas)
        self.precision = precision
    }

    /// Memory the system can give without swapping: MemAvailable, lowered to a cgroup's limit when one applies.
    public static func availableBytes() -> Int? {
        var available: Int?
        if let s = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = s.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
            available = kb * 1024
        }
        if let maxS = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let limit = Int(maxS.trimmingCharacters(in: .whitespacesAndNewlines)),
           let curS = try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8),
           let current = Int(curS.trimmingCharacters(in: .whitespacesAndNewlines)) {
            available = min(available ?? .max, max(limit - current, 0))
        }
        return available
    }

    /// Throws `ModelError.notEnoughMemory` when the estimate exceeds `available`.
    public func check(available: Int?, model: String, config: ModelConfig, storedBF16: Bool) throws {
        try check(available: available, model: model, int8: MemoryEstimate(config: config, precision: .int8, storedBF16: storedBF16))
    }

    /// The same for DiffusionGemma.
    public func check(available: Int?, model: String, gemma: DiffusionGemmaConfig, storedBF16: Bool) throws {
        try check(available: available, model: model, int8: MemoryEstimate(gemma: gemma, precision: .int8, storedBF16: storedBF16))
    }

    /// `int8`: the same model's estimate with `weights: int8`, named in the refusal as the way out.
    func check(available: Int?, model: String, int8: MemoryEstimate) throws {
        guard let available, residentBytes > available else { return }
        throw ModelError.notEnoughMemory(model: model, needed: residentBytes, available: available, precision: precision.rawValue,
                                         int8Needed: precision == .int8 ? nil : int8.residentBytes)
    }
}
