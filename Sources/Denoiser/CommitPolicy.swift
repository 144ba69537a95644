import Foundation

/// One masked slot's proposal in the current step.
struct SlotProposal {
    let position: Int
    let proposal: Proposal
}

/// Which of this step's proposals to commit: the part of a masked-diffusion sampler that the papers
/// differ on. `proposals` are in canvas order; `order` is the same indices most confident first (ties:
/// leftmost). `step` counts the block's content steps (the length step is not one), `steps` is the
/// block's budget, `initialMasked` the block's masked slots when it started.
protocol CommitPolicy {
    func choose(_ proposals: [SlotProposal], order: [Int], step: Int, steps: Int, initialMasked: Int, rng: inout RandomSource) -> [Int]
}

extension CommitPolicy {
    /// Dream's `linspace(1, eps, steps+1)[i]`.
    static func schedule(_ i: Int, _ steps: Int, eps: Double) -> Double { 1 - Double(i) / Double(steps) * (1 - eps) }
}

/// Exactly `count` per step, most confident first (`tokensPerStep`; 1 is the autoregressive-equivalent baseline).
struct FixedCountPolicy: CommitPolicy {
    let count: Int
    func choose(_ proposals: [SlotProposal], order: [Int], step: Int, steps: Int, initialMasked: Int, rng: inout RandomSource) -> [Int] {
        Array(order.prefix(min(count, proposals.count)))
    }
}

/// Fast-dLLM threshold decoding (`threshold`): every slot with p ≥ τ, and at least enough of the most
/// confident ones to finish the block within its step budget (a weak model's confidences rarely reach
/// τ). With `deferRepeats`, a slot whose token equals a neighbour's chosen in the same step waits a
/// step: slots decided together cannot see each other, and parallel commits otherwise stutter.
struct ThresholdPolicy: CommitPolicy {
    let threshold: Float
    let deferRepeats: Bool
    func choose(_ proposals: [SlotProposal], order: [Int], step: Int, steps: Int, initialMasked: Int, rng: inout RandomSource) -> [Int] {
        let stepsLeft = max(1, steps - step)
        let quota = max(1, (proposals.count + stepsLeft - 1) / stepsLeft)
        func sure(_ j: Int) -> Bool { exp(proposals[j].proposal.logProb) >= threshold }
        if stepsLeft == 1 || !deferRepeats { return Array(order.prefix(quota)) + order.dropFirst(quota).filter(sure) }
        var chosen: [Int: Int32] = [:], commit: [Int] = []
        for j in order {
            let s = proposals[j]
            guard commit.count < quota || sure(j) else { continue }
            if chosen[s.position - 1] == s.proposal.token || chosen[s.position + 1] == s.proposal.token { continue }
            chosen[s.position] = s.proposal.token; commit.append(j)
        }
        return commit
    }
}

/// Dream `origin`: each masked slot is committed with probability 1 − s(i+1)/s(i), in random order.
struct OriginPolicy: CommitPolicy {
    let eps: Double
    func choose(_ proposals: [SlotProposal], order: [Int], step: Int, steps: Int, initialMasked: Int, rng: inout RandomSource) -> [Int] {
        let p = step < steps - 1 ? 1 - Self.schedule(step + 1, steps, eps: eps) / Self.schedule(step, steps, eps: eps) : 1
        return proposals.indices.filter { _ in rng.uniform() < p }
    }
}

/// Dream `maskgit_plus` / `topk_margin` / `entropy`: the k most confident, k = ⌊n·(1 − s(i+1)/s(i))⌋
/// (the rest at the last step); the algorithms differ only in the confidence the sampler reports.
struct DreamSchedulePolicy: CommitPolicy {
    let eps: Double
    func choose(_ proposals: [SlotProposal], order: [Int], step: Int, steps: Int, initialMasked: Int, rng: inout RandomSource) -> [Int] {
        let k = step < steps - 1
            ? Int(Double(proposals.count) * (1 - Self.schedule(step + 1, steps, eps: eps) / Self.schedule(step, steps, eps: eps)))
            : proposals.count
        return Array(order.prefix(k))
    }
}

/// LLaDA's block quotas (`low_confidence` / `random`): the block's masks split evenly over its steps,
/// the remainder to the first steps (`get_num_transfer_tokens`); `random` ranks by a random confidence.
struct BlockQuotaPolicy: CommitPolicy {
    func choose(_ proposals: [SlotProposal], order: [Int], step: Int, steps: Int, initialMasked: Int, rng: inout RandomSource) -> [Int] {
        let q = initialMasked / steps + (step < initialMasked % steps ? 1 : 0)
        return Array(order.prefix(step >= steps - 1 ? proposals.count : max(q, 0)))
    }
}

extension DenoiseOptions {
    /// The commit policy these options name (`tokensPerStep` overrides the algorithm).
    var commitPolicy: CommitPolicy {
        if let k = tokensPerStep { return FixedCountPolicy(count: k) }
        switch algorithm {
        case .threshold: return ThresholdPolicy(threshold: threshold, deferRepeats: deferRepeats)
        case .origin: return OriginPolicy(eps: eps)
        case .maskgitPlus, .topkMargin, .entropy: return DreamSchedulePolicy(eps: eps)
        case .lowConfidence, .random: return BlockQuotaPolicy()
        }
    }
}
