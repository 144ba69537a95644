import Foundation

/// Local counters for `unmask.stats`: shown and accepted suggestions, request latencies. Never leaves the machine.
struct Statistics {
    var shown = 0
    var accepted = 0
    var cached = 0
    var early = 0
    var cancelled = 0
    /// Client feedback (Copilot's dialect): suggestions displayed, partial accepts and the units they took.
    var displayed = 0
    var partiallyAccepted = 0
    var acceptedUnits = 0
    var latencies: [Double] = []

    mutating func record(ms: Double) {
        latencies.append(ms)
        if latencies.count > 10_000 { latencies.removeFirst(latencies.count - 10_000) }
    }

    func percentile(_ p: Double) -> Double? {
        guard !latencies.isEmpty else { return nil }
        let s = latencies.sorted()
        return s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
    }
}
