/// An incremental `text/event-stream` parser: bytes in, complete events' `data` out (multi-line data
/// joined with newlines; comments and other fields ignored). `finish` tells whether the stream ended
/// between events or in the middle of one.
struct ServerSentEvents {
    private var buffer: [UInt8] = []
    private var data: [String] = []
    /// Some field of an event not yet terminated by a blank line.
    private var open = false

    /// Feeds bytes; returns the data of every event they completed.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        buffer.append(contentsOf: bytes)
        var events: [String] = []
        while let nl = buffer.firstIndex(of: 10) {
            var line = buffer[..<nl]
            if line.last == 13 { line = line.dropLast() }
            buffer.removeSubrange(...nl)
            if line.isEmpty {
                if open { events.append(data.joined(separator: "\n")) }
                data = []; open = false
                continue
            }
            if line.first == UInt8(ascii: ":") { continue }                // comment
            let text = String(decoding: line, as: UTF8.self)
            open = true
            if text.hasPrefix("data:") {
                var value = text.dropFirst(5)
                if value.first == " " { value = value.dropFirst() }
                data.append(String(value))
            }
        }
        return events
    }

    /// True when the stream stopped inside an event (bytes or fields with no terminating blank line).
    var cutMidEvent: Bool { open || !buffer.isEmpty }
}
