import Foundation
import Kernels

/// One decision for one masked slot.
public struct Proposal: Sendable {
    public var token: Int32
    /// Ordering key of the algorithm (larger = commit first).
    public var confidence: Float
    /// log p(token) under the filtered distribution.
    public var logProb: Float
    /// Probability mass of the end ids (pad/eos) before any exclusion: the slot's vote for "the hole ends here".
    public var endProbability: Float = 0
    /// The likeliest other token and its log p (where an alternative suggestion branches).
    public var runnerUp: Int32 = -1
    public var runnerUpLogProb: Float = -.infinity
}

/// Temperature → top-p → top-k → sample (or argmax at temperature 0), then the algorithm's confidence.
struct Sampler {
    var options: DenoiseOptions

    /// Ids that end a hole and the penalty they get at this step (set by the denoiser).
    var endIDs: Set<Int32> = []
    var currentEndPenalty: Float = 0

    /// `excludeEnds`: the token is drawn from the distribution conditioned on "not an end id" (the
    /// length is decided elsewhere); `endProbability` still reports the end ids' mass.
    /// `allowed`: when given, every other id is excluded before the softmax (a constrained slot).
    func propose(_ row: ArraySlice<Float>, rng: inout RandomSource, excludeEnds: Bool = false, allowed: Set<Int32>? = nil) -> Proposal {
        let V = options.vocabularyLimit.map { min($0, row.count) } ?? row.count
        var l = [Float](repeating: -.infinity, count: V)
        let base = row.startIndex
        let invT: Float = options.temperature > 0 ? 1 / options.temperature : 1
        for i in 0..<V { l[i] = row[base + i] * invT }
        for f in options.forbidden where Int(f) < V && f >= 0 { l[Int(f)] = -.infinity }
        if let allowed {   // keep only the allowed ids' logits (|allowed| writes, not V hash lookups)
            var kept = [Float](repeating: -.infinity, count: V)
            for a in allowed where a >= 0 && Int(a) < V { kept[Int(a)] = l[Int(a)] }
            l = kept
        }
        if currentEndPenalty > 0 { for e in endIDs where Int(e) < V && e >= 0 { l[Int(e)] -= currentEndPenalty * invT } }
        var p = l
        p.withUnsafeMutableBufferPointer { Ops.softmax($0.baseAddress!, V) }
        var endProbability: Float = 0
        for e in endIDs where Int(e) < V && e >= 0 { endProbability += p[Int(e)] }
        if excludeEnds && endProbability < 1 {
            for e in endIDs where Int(e) < V && e >= 0 { p[Int(e)] = 0 }
            for i in 0..<V { p[i] /= 1 - endProbability }
        }
        let (best, second) = top2(p)
        var token = best
        if options.temperature > 0 {
            if options.topP < 1 || options.topK > 0 { filter(&p) }
            let u = Float(rng.uniform())
            var acc: Float = 0
            token = V - 1
            for i in 0..<V where p[i] > 0 {
                acc += p[i]
                if u < acc { token = i; break }
            }
            if p[token] == 0 { token = argmax(p) }
        }
        let other = token == best ? second : best
        let pt = p[token]
        var conf = pt
        switch options.algorithm {
        case .topkMargin:
            conf = pt - (other >= 0 ? p[other] : 0)
        case .entropy:
            var s: Float = 0
            for v in p where v > 0 { s += v * logf(v + 1e-10) }
            conf = s
        case .random:
            conf = Float(rng.uniform())
        default: break
        }
        return Proposal(token: Int32(token), confidence: conf, logProb: logf(max(pt, 1e-30)), endProbability: endProbability,
                        runnerUp: Int32(other), runnerUpLogProb: other >= 0 && p[other] > 0 ? logf(p[other]) : -.infinity)
    }

    /// The two most likely ids (the first index wins ties; second is -1 for a one-element row).
    func top2(_ p: [Float]) -> (Int, Int) {
        var a = 0, b = -1
        for i in 1..<p.count {
            if p[i] > p[a] { b = a; a = i } else if b < 0 || p[i] > p[b] { b = i }
        }
        return (a, b)
    }

    func argmax(_ p: [Float]) -> Int {
        var best = 0
        for i in 1..<p.count where p[i] > p[best] { best = i }
        return best
    }

    /// top-p keeps the smallest set of most likely tokens whose mass reaches p; top-k keeps k; renormalises.
    func filter(_ p: inout [Float]) {
        let order = p.indices.filter { p[$0] > 0 }.sorted { p[$0] > p[$1] }
        var keep = order.count
        if options.topK > 0 { keep = min(keep, options.topK) }
        if options.topP < 1 {
            var acc: Float = 0
            for (i, idx) in order.enumerated() { acc += p[idx]; if acc >= options.topP { keep = min(keep, i + 1); break } }
        }
        var z: Float = 0
        for (i, idx) in order.enumerated() { if i >= keep { p[idx] = 0 } else { z += p[idx] } }
        for i in p.indices { p[i] /= z }
    }
}
