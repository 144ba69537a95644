import Foundation

/// A fixed number of worker lanes over which kernels split rows, panels or heads.
/// Work is dispatched with `DispatchQueue.concurrentPerform`, so lanes map onto the system's cores;
/// `threads == 1` runs inline (deterministic and easy to profile).
public struct ThreadPool: Sendable {
    public let threads: Int

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threads = max(1, threads)
    }

    public static let single = ThreadPool(threads: 1)

    /// Splits `0..<count` into at most `threads` contiguous ranges and runs `body` on each.
    public func forEachRange(_ count: Int, minimumPerLane: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let lanes = min(threads, max(1, count / max(1, minimumPerLane)))
        if lanes == 1 { body(0..<count); return }
        // The kernels' closures capture raw buffers that each lane touches disjointly; the box
        // states that promise to the compiler. `concurrentPerform` returns only when all lanes are done.
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                let lo = count * lane / lanes, hi = count * (lane + 1) / lanes
                if lo < hi { box.value(lo..<hi) }
            }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over the lanes.
    public func forEach(_ count: Int, _ body: (Int) -> Void) {
        forEachRange(count) { r in for i in r { body(i) } }
    }
}

/// Carries a non-Sendable value into a `@Sendable` closure whose caller guarantees disjoint use.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
