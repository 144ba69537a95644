/// The token sequence being denoised: `leading + prefix + [MASK]×N + suffix + trailing`, where
/// `leading`/`trailing` are the family's boundary tokens (e.g. Dream's `[bos]` … `[eos]`).
/// Only the middle slice is ever written.
public struct CanvasSpec: Sendable, Equatable {
    public var prefix: [Int32]
    public var suffix: [Int32]
    public var maskCount: Int
    public var leading: [Int32]
    public var trailing: [Int32]
    /// Optional initial middle of length `maskCount` mixing fixed tokens and the mask id: several holes
    /// filled jointly. nil means every middle slot is masked.
    public var middleTemplate: [Int32]?
    public init(prefix: [Int32], suffix: [Int32], maskCount: Int, leading: [Int32] = [], trailing: [Int32] = [], middleTemplate: [Int32]? = nil) {
        self.prefix = prefix; self.suffix = suffix; self.maskCount = maskCount; self.leading = leading; self.trailing = trailing
        self.middleTemplate = middleTemplate
    }
}

public struct Canvas: Sendable {
    public internal(set) var tokens: [Int32]
    public let middleStart: Int
    public internal(set) var middleCount: Int
    public let maskID: Int32

    public init(spec: CanvasSpec, maskID: Int32) {
        let middle = spec.middleTemplate.map { Array($0.prefix(spec.maskCount)) } ?? [Int32](repeating: maskID, count: spec.maskCount)
        tokens = spec.leading + spec.prefix + middle + spec.suffix + spec.trailing
        middleStart = spec.leading.count + spec.prefix.count
        middleCount = spec.maskCount
        self.maskID = maskID
    }

    public var middleRange: Range<Int> { middleStart..<(middleStart + middleCount) }
    public var middle: [Int32] { Array(tokens[middleRange]) }
    public func maskedPositions(in r: Range<Int>) -> [Int] { r.filter { tokens[$0] == maskID } }
    public var remainingMasks: Int { tokens[middleRange].filter { $0 == maskID }.count }

    /// Replaces the slot at `position` by two masks (DreamOn's `<|expand|>`); the middle grows by one.
    mutating func expand(at position: Int) {
        tokens[position] = maskID
        tokens.insert(maskID, at: position + 1)
        middleCount += 1
    }
}
