/// The keys and values DiffusionGemma's encoder leaves for the decoder, per layer, as transformers'
/// `DynamicCache` keeps them (cache_utils.py): full layers keep every position, sliding layers
/// (`DynamicSlidingWindowLayer`) only the last `sliding_window − 1`. The decoder reads, never writes.
/// Shapes: keys[l], values[l] [retained(l), kvHeads(l)·headDim(l)], keys after k_norm and RoPE, values
/// after the weightless norm.
public struct GemmaCache: Sendable {
    public private(set) var keys: [[Float]]
    public private(set) var values: [[Float]]
    /// Positions the encoder has seen in all (the next token's position).
    public private(set) var length = 0
    let widths: [Int]          // kvHeads·headDim per layer
    let window: [Int?]         // sliding_window − 1 for sliding layers, nil for full ones

    init(config c: DiffusionGemmaConfig) {
        keys = Array(repeating: [], count: c.numLayers); values = keys
        widths = c.layers.map { $0.kvHeads * $0.headDim }
        window = c.layers.map { $0.type == .sliding ? c.slidingWindow - 1 : nil }
    }

    /// Positions layer l holds (the last `retained(l)` of `length`).
    public func retained(_ l: Int) -> Int { keys[l].count / widths[l] }
    /// The absolute position of layer l's first retained key.
    public func firstPosition(_ l: Int) -> Int { length - retained(l) }

    /// Appends `count` new positions' keys/values to layer l (all layers get the same count before
    /// `advance`), dropping what a sliding layer no longer keeps.
    mutating func append(layer l: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, count: Int) {
        keys[l].append(contentsOf: UnsafeBufferPointer(start: k, count: count * widths[l]))
        values[l].append(contentsOf: UnsafeBufferPointer(start: v, count: count * widths[l]))
        if let w = window[l], retained(l) > w {
            let drop = (retained(l) - w) * widths[l]
            keys[l].removeFirst(drop); values[l].removeFirst(drop)
        }
    }

    mutating func advance(by count: Int) { length += count }
}
