import Kernels

/// Keys and values (post-RoPE) of every canvas slot for every layer, so a later forward over a short
/// block recomputes only the block's rows and attends to the cached rest (Fast-dLLM's DualCache).
/// Shapes: keys[l], values[l] are [capacity, numKVHeads × headDim]; positions [capacity].
public final class KVCache: @unchecked Sendable {
    public let capacity: Int
    public let kvDim: Int
    let keys: [UnsafeMutablePointer<Float>]
    let values: [UnsafeMutablePointer<Float>]
    /// Slots 0..<length are valid after a filling forward.
    public internal(set) var length = 0
    /// RoPE position of each slot.
    public internal(set) var positions: [Int] = []
    /// Which slots may be attended to (nil: all).
    public internal(set) var keyMask: [Bool]?

    public init(config: ModelConfig, capacity: Int) {
        self.capacity = capacity
        kvDim = config.numKVHeads * config.headDim
        keys = (0..<config.numLayers).map { _ in .allocate(capacity: capacity * config.numKVHeads * config.headDim) }
        values = (0..<config.numLayers).map { _ in .allocate(capacity: capacity * config.numKVHeads * config.headDim) }
    }

    deinit { keys.forEach { $0.deallocate() }; values.forEach { $0.deallocate() } }

    public var byteCount: Int { 2 * keys.count * capacity * kvDim * MemoryLayout<Float>.size }
}
