/// Where DiffusionGemma's sampler gets its randomness: uniform canvases (the first canvas of each block
/// and every step's re-noise) and one sample per position from the step's distribution. `SeededDraws`
/// in use; a test replays what torch drew.
public protocol DiffusionDraws {
    /// `length` ids uniform in 0..<vocab.
    mutating func canvas(length: Int, vocab: Int) -> [Int32]
    /// One id per row of `probabilities` [rows, vocab] (each row sums to 1).
    mutating func samples(probabilities: [Float], rows: Int, vocab: Int) -> [Int32]
}

/// Draws from a seeded SplitMix64 (`RandomSource`): a seed fixes the run.
public struct SeededDraws: DiffusionDraws {
    var rng: RandomSource
    public init(seed: UInt64) { rng = RandomSource(seed: seed) }
    public mutating func canvas(length: Int, vocab: Int) -> [Int32] {
        (0..<length).map { _ in Int32(truncatingIfNeeded: rng.next() % UInt64(vocab)) }
    }
    public mutating func samples(probabilities p: [Float], rows: Int, vocab: Int) -> [Int32] {
        (0..<rows).map { r in
            var u = Float(rng.uniform()), last = 0
            for v in 0..<vocab where p[r * vocab + v] > 0 {
                last = v
                u -= p[r * vocab + v]
                if u < 0 { return Int32(v) }
            }
            return Int32(last)                      // rounding left u ≥ 0: the last possible id
        }
    }
}
