import Foundation

/// Each request kind's last duration, for `unmask.doctor`: written by the worker, read by the status
/// code on another thread.
final class RequestTimings: @unchecked Sendable {
    private let lock = NSLock()
    private var last: [String: Double] = [:]

    func record(_ kind: CompletionKind, milliseconds: Double) { lock.lock(); last[kind.rawValue] = milliseconds; lock.unlock() }

    /// "fill=120 inline=35", kinds in order.
    var summary: String {
        lock.lock(); let t = last; lock.unlock()
        return t.map { "\($0.key)=\(Int($0.value))" }.sorted().joined(separator: " ")
    }
}
