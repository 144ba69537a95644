import Foundation
import Kernels

extension KVCache {
    /// One run of rows kept from another canvas: old slots `from ..< from+count` become new slots
    /// `to ..< to+count`, their keys rotated by `to − from` positions.
    public struct Segment: Sendable, Equatable {
        public let from: Int, to: Int, count: Int
        public init(from: Int, to: Int, count: Int) { self.from = from; self.to = to; self.count = count }
    }

    /// Fills this cache for a new canvas of `newLength` slots from `old`'s rows: each segment's keys and
    /// values are copied and its keys rotated to their new positions (RoPE is a rotation: R(p + δ) =
    /// R(δ)·R(p); rotate-half pairs (i, i+half) with `rope`'s inv_freq; its attention factor is already
    /// in the kept keys). Slots no
    /// segment covers are left for the caller to recompute (a block forward over at least them). Kept
    /// keys/values were computed with the old canvas around them: an approximation where it differs.
    public func fill(from old: KVCache, segments: [Segment], newLength: Int, rope: RoPETable) {
        precondition(newLength <= capacity && old.kvDim == kvDim && old.keys.count == keys.count, "fill outside the cache")
        let headDim = rope.headDim, half = headDim / 2, heads = kvDim / headDim
        for seg in segments where seg.count > 0 {
            precondition(seg.from >= 0 && seg.from + seg.count <= old.length && seg.to >= 0 && seg.to + seg.count <= newLength, "segment outside the caches")
            let delta = seg.to - seg.from
            var cosD = [Float](repeating: 1, count: half), sinD = [Float](repeating: 0, count: half)
            for i in 0..<half where delta != 0 {
                let a = Double(delta) * Double(rope.inverseFrequencies[i])
                cosD[i] = Float(Foundation.cos(a)); sinD[i] = Float(Foundation.sin(a))
            }
            for l in 0..<keys.count {
                (values[l] + seg.to * kvDim).update(from: old.values[l] + seg.from * kvDim, count: seg.count * kvDim)
                let src = old.keys[l] + seg.from * kvDim, dst = keys[l] + seg.to * kvDim
                if delta == 0 { dst.update(from: src, count: seg.count * kvDim); continue }
                for r in 0..<(seg.count * heads) {
                    let x = src + r * headDim, y = dst + r * headDim
                    for i in 0..<half {
                        let x1 = x[i], x2 = x[i + half]
                        y[i] = x1 * cosD[i] - x2 * sinD[i]
                        y[i + half] = x2 * cosD[i] + x1 * sinD[i]
                    }
                }
            }
        }
        length = newLength
        positions = Array(0..<newLength)
        keyMask = nil
    }
}
