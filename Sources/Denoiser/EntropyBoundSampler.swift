import Foundation
import DiffusionModel
import Kernels

/// One denoising step of one canvas, for `--show-steps` and tests.
public struct EntropyBoundStep: Sendable {
    public let block: Int
    /// Remaining steps, N … 1 (transformers' `cur_step`).
    public let step: Int
    public let temperature: Float
    /// Positions whose sample was accepted this step (the rest were re-noised).
    public let accepted: [Int]
    /// The argmax of this step's logits: what the canvas becomes if it stops here.
    public let argmax: [Int32]
    public let meanEntropy: Float
}

/// DiffusionGemma's generation loop exactly as transformers' `DiffusionGemmaGenerationMixin.generate`
/// runs it (generation_diffusion_gemma.py: `EntropyBoundSampler`, `LinearTemperatureScheduleLogitsProcessor`,
/// `StableAndConfidentStoppingCriteria`, `_finalize_canvas`), for one sequence:
///
///     encode(prompt)
///     per canvas: x = uniform ids
///       for s = N … 1: T = t_min + (t_max − t_min)·s/N
///         z = decoder(x, self-conditioning z_prev) / T; draw ~ softmax z; best = argmax z; H = entropy
///         accept positions by ascending H while the H summed before each ≤ bound (the lowest always)
///         x = accepted ? draw : fresh noise                        nothing stays locked
///         stop when best equals the last `stability` bests and mean H < confidence
///       emit best; EOS → pad after it and finish; else encode(best) and go on
public struct EntropyBoundSampler {
    public let model: DiffusionGemma
    public let settings: EntropyBoundSettings

    public init(model: DiffusionGemma, settings: EntropyBoundSettings) { self.model = model; self.settings = settings }

    /// What `generate` produced.
    public struct Generation: Sendable {
        /// The prompt followed by the generated canvases (each `canvas_length` ids; after an EOS, pad).
        public var tokens: [Int32]
        /// Stopped by `interrupt` or `onStep` before the sampler would have (the last canvas is the
        /// draft of its last finished step, or absent when none finished).
        public var cutShort = false
        /// Decoder passes run.
        public var steps = 0
    }

    /// `onStep` returning false stops after the current step (the canvas so far is emitted);
    /// `interrupt` is checked before every layer of every forward: when it fires inside a denoising
    /// step, the draft of the previous step is emitted (nothing for a canvas with no finished step).
    /// An interrupt during the prompt's encoding throws `ModelError.interrupted`.
    public func generate<D: DiffusionDraws>(prompt: [Int32], draws: inout D, interrupt: (() -> Bool)? = nil,
                                            onStep: (EntropyBoundStep) -> Bool = { _ in true }) throws -> Generation {
        let c = model.config, C = c.canvasLength, V = c.vocabSize, N = settings.maxDenoisingSteps
        let eos = Set(settings.eosTokenIDs ?? c.eosTokenIDs), pad = settings.padTokenID ?? c.padTokenID
        var cache = model.emptyCache()
        try model.encode(prompt, into: &cache, interrupt: interrupt)
        var result = Generation(tokens: prompt)
        let maxLength = prompt.count + settings.maxNewTokens
        canvases: for block in 0..<((settings.maxNewTokens + C - 1) / C) {
            var x = draws.canvas(length: C, vocab: V)
            var best = x
            var selfConditioning: [Float]? = nil
            var history: [[Int32]] = []                          // the last `stabilityThreshold` bests
            var stopped = false, drafted = false
            for s in stride(from: N, through: 1, by: -1) {
                let temperature = settings.tMin + (settings.tMax - settings.tMin) * Float(s) / Float(N)
                var z: [Float]
                do { z = try model.decode(x, cache: cache, selfConditioning: selfConditioning, interrupt: interrupt) }
                catch ModelError.interrupted { stopped = true; break }
                result.steps += 1; drafted = true
                for i in z.indices { z[i] /= temperature }
                let (probs, entropy, argmax) = Self.distributions(z, rows: C, vocab: V, pool: model.pool)
                let drawn = draws.samples(probabilities: probs, rows: C, vocab: V)
                best = argmax
                let accepted = Self.accept(entropy, bound: settings.entropyBound)
                let noise = draws.canvas(length: C, vocab: V)
                x = (0..<C).map { accepted[$0] ? drawn[$0] : noise[$0] }
                let stable = settings.stabilityThreshold == 0 || (history.count == settings.stabilityThreshold && history.allSatisfy { $0 == best })
                history.append(best)
                if history.count > settings.stabilityThreshold { history.removeFirst() }
                let mean = entropy.reduce(0, +) / Float(C)
                selfConditioning = z
                let go = onStep(EntropyBoundStep(block: block, step: s, temperature: temperature, accepted: (0..<C).filter { accepted[$0] },
                                                 argmax: best, meanEntropy: mean))
                if stable && mean < settings.confidenceThreshold { break }
                if !go { stopped = true; break }
            }
            if stopped { result.cutShort = true; if !drafted { break canvases } }
            // _finalize_canvas: an EOS ends the sequence; what follows the first one becomes pad.
            if let first = best.firstIndex(where: { eos.contains($0) }) {
                if let pad { for i in (first + 1)..<C { best[i] = pad } }
                result.tokens += best
                break canvases
            }
            result.tokens += best
            if stopped || result.tokens.count >= maxLength { break }
            do { try model.encode(best, into: &cache, interrupt: interrupt) } catch ModelError.interrupted { result.cutShort = true; break }
        }
        return result
    }

    /// Softmax rows of z [rows, vocab], each row's entropy −Σ p log p (in Double, from log-softmax) and
    /// its argmax (the first maximum, as torch.argmax), rows split over `pool`.
    static func distributions(_ z: [Float], rows: Int, vocab V: Int, pool: ThreadPool = .single) -> (probabilities: [Float], entropy: [Float], argmax: [Int32]) {
        var p = [Float](repeating: 0, count: z.count), h = [Float](repeating: 0, count: rows), best = [Int32](repeating: 0, count: rows)
        z.withUnsafeBufferPointer { zb in p.withUnsafeMutableBufferPointer { pb in h.withUnsafeMutableBufferPointer { hb in best.withUnsafeMutableBufferPointer { bb in
            let zp = zb.baseAddress!, pp = pb.baseAddress!, hp = hb.baseAddress!, bp = bb.baseAddress!
            pool.forEachRange(rows) { range in
                for r in range {
                    let row = zp + r * V
                    var mx = -Double.infinity, at = 0
                    for v in 0..<V where Double(row[v]) > mx { mx = Double(row[v]); at = v }
                    bp[r] = Int32(at)
                    var sum = 0.0
                    for v in 0..<V { sum += Foundation.exp(Double(row[v]) - mx) }
                    let logZ = mx + Foundation.log(sum)
                    var e = 0.0
                    for v in 0..<V {
                        let lp = Double(row[v]) - logZ, pv = Foundation.exp(lp)
                        pp[r * V + v] = Float(pv); e -= pv * lp
                    }
                    hp[r] = Float(e)
                }
            }
        } } } }
        return (p, h, best)
    }

    /// transformers' `accept_canvas`: sort by entropy ascending; position i is accepted when the
    /// cumulative entropy before it (cumsum − its own) is within `bound`.
    static func accept(_ entropy: [Float], bound: Float) -> [Bool] {
        let order = entropy.indices.sorted { entropy[$0] != entropy[$1] ? entropy[$0] < entropy[$1] : $0 < $1 }
        var accepted = [Bool](repeating: false, count: entropy.count)
        var cumulative: Float = 0
        for i in order {
            cumulative += entropy[i]
            accepted[i] = cumulative - entropy[i] <= bound
        }
        return accepted
    }
}
