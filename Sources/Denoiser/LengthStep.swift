import Foundation

extension Denoiser {
    /// The end run to commit in `hole`: the tail [ℓ, e0) of masked slots, where e0 starts the end slots
    /// already committed and ℓ maximises Σ_{masked i<ℓ} log(1 − pe_i) + Σ_{i≥ℓ} log pe_i over the
    /// masked slots after the last content token (only slots with a proposal this step take part).
    /// Ties keep the longer content. Empty when the model prefers content everywhere.
    static func trailingEndRun(hole: Swift.Range<Int>, tokens: [Int32], maskID: Int32, endIDs: Set<Int32>,
                               endProbability: [Int: Float]) -> Swift.Range<Int> {
        trailingEndRuns(hole: hole, tokens: tokens, maskID: maskID, endIDs: endIDs, endProbability: endProbability)[0]
    }

    /// Every candidate end run, most likely first (the first is `trailingEndRun`'s choice; the second
    /// is the second most likely length, for alternative suggestions).
    static func trailingEndRuns(hole: Swift.Range<Int>, tokens: [Int32], maskID: Int32, endIDs: Set<Int32>,
                                endProbability: [Int: Float]) -> [Swift.Range<Int>] {
        var e0 = hole.upperBound
        while e0 > hole.lowerBound && endIDs.contains(tokens[e0 - 1]) { e0 -= 1 }
        var w = e0
        while w > hole.lowerBound && tokens[w - 1] == maskID && endProbability[w - 1] != nil { w -= 1 }
        // score(ℓ) − score(e0) = Σ_{i∈[ℓ,e0)} (log pe_i − log(1 − pe_i)), accumulated right to left.
        var candidates: [(start: Int, gain: Double)] = [(e0, 0)]
        var gain: Double = 0
        for l in stride(from: e0 - 1, through: w, by: -1) where w < e0 {
            let pe = Double(min(max(endProbability[l]!, 1e-30), 1 - 1e-7))
            gain += log(pe) - log(1 - pe)
            candidates.append((l, gain))
        }
        return candidates.sorted { $0.gain > $1.gain || ($0.gain == $1.gain && $0.start > $1.start) }.map { $0.start..<e0 }
    }

    /// Maximal runs of non-fixed middle slots: one per hole of the template.
    static func holes(of canvas: Canvas, fixed: Set<Int>) -> [Swift.Range<Int>] {
        var out: [Swift.Range<Int>] = []
        var start: Int?
        for p in canvas.middleRange {
            if fixed.contains(p) { if let s = start { out.append(s..<p); start = nil } } else if start == nil { start = p }
        }
        if let s = start { out.append(s..<canvas.middleRange.upperBound) }
        return out
    }
}
