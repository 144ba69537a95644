import DiffusionModel

/// What the denoiser needs from a model: full forwards that can fill a K/V cache, block forwards over
/// a filled cache, and the family's conventions. `DiffusionTransformer` conforms; tests use scripted fakes.
public protocol DenoisingModel: AnyObject {
    var config: ModelConfig { get }
    /// `interrupt`, asked between layers, stops the forward with `ModelError.interrupted`.
    func forward(tokens: [Int32], positions: [Int]?, keyMask: [Bool]?, rows: [Int], cache: KVCache?, interrupt: (() -> Bool)?) throws -> Logits
    func forwardBlock(tokens: [Int32], start: Int, cache: KVCache, rows: [Int], interrupt: (() -> Bool)?) throws -> Logits
    func makeCache(capacity: Int) -> KVCache?
}

extension DiffusionTransformer: DenoisingModel {
    public func makeCache(capacity: Int) -> KVCache? { KVCache(config: config, capacity: capacity) }
}
