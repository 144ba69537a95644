import Foundation

extension Denoiser {
    /// The end run to commit in `hole`: the tail [ℓ, e0) of masked slots, where e0 starts the end slots
    /// already committed and ℓ maximises Σ_{masked i<ℓ} log(1 − pe_i) + Σ_{i≥ℓ} log pe_i over the
    /// masked slots after the last content token (only slots with a proposal this step take part).
    /// Ties keep the longer content. Empty when the model prefers content everywhere.
    static func trailingEndRun(hole: Swift.Range<Int>, tokens: [Int32], maskID: Int32, endIDs: Set<Int32>,
                               endProbability: [Int: Float]) -> Swift.Range<Int> {
        var e0 = hole.upperBound
        while e0 > hole.lowerBound && endIDs.contains(tokens[e0 - 1]) { e0 -= 1 }
        var w = e0
        while w > hole.lowerBound && tokens[w - 1] == maskID && endProbability[w - 1] != nil { w -= 1 }
        guard w < e0 else { return e0..<e0 }
        // score(ℓ) − score(e0) = Σ_{i∈[ℓ,e0)} (log pe_i − log(1 − pe_i)), accumulated right to left.
        var best = e0, bestGain: Double = 0, gain: Double = 0
        for l in stride(from: e0 - 1, through: w, by: -1) {
            let pe = Double(min(max(endProbability[l]!, 1e-30), 1 - 1e-7))
            gain += log(pe) - log(1 - pe)
            if gain > bestGain { bestGain = gain; best = l }
        }
        return best..<e0
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
