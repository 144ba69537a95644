/// Splits a byte stream into `Content-Length`-framed bodies. Feed it whatever `read` returns — a
/// header split across reads, several messages in one read, bodies of many MB — and take the events.
/// A malformed header is reported and skipped (up to the next blank line) so the stream continues.
public struct MessageFramer {
    public enum Event: Equatable {
        case body([UInt8])
        case headerError(String)
    }

    public static let maxHeaderBytes = 8 * 1024
    public static let maxBodyBytes = 256 << 20

    var buffer: [UInt8] = []
    var start = 0
    var expected: Int?

    public init() {}

    /// Bytes held but not yet a complete message.
    public var pendingBytes: Int { buffer.count - start }

    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Event] {
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        while true {
            if let n = expected {
                guard buffer.count - start >= n else { break }
                events.append(.body(Array(buffer[start..<(start + n)])))
                start += n; expected = nil
                continue
            }
            guard let end = headerEnd() else {
                if buffer.count - start > Self.maxHeaderBytes {
                    events.append(.headerError("header longer than \(Self.maxHeaderBytes) bytes without a blank line; discarded"))
                    buffer.removeAll(); start = 0
                }
                break
            }
            let header = String(decoding: buffer[start..<end], as: UTF8.self)
            start = end + 4
            switch Self.contentLength(header) {
            case .success(let n): expected = n
            case .failure(let e): events.append(.headerError(e.message))
            }
        }
        if start > 1 << 20 || start == buffer.count { buffer.removeFirst(start); start = 0 }
        return events
    }

    /// Called at end of input: what was left unfinished.
    public func finish() -> String? {
        if let n = expected { return "input ended \(n - (buffer.count - start)) bytes short of a \(n)-byte body" }
        if buffer.count > start { return "input ended inside a header (\(buffer.count - start) bytes)" }
        return nil
    }

    func headerEnd() -> Int? {
        var i = start
        while i + 3 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    struct HeaderError: Error { let message: String }

    static func contentLength(_ header: String) -> Result<Int, HeaderError> {
        var length: Int?
        for line in header.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { return .failure(HeaderError(message: "malformed header line '\(line.prefix(80))'")) }
            let name = line[..<colon].trimmingCharacters(in: " \t").lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            if name == "content-length" {
                guard let n = Int(value), n >= 0 else { return .failure(HeaderError(message: "Content-Length '\(value.prefix(40))' is not a non-negative integer")) }
                guard n <= maxBodyBytes else { return .failure(HeaderError(message: "Content-Length \(n) exceeds the \(maxBodyBytes)-byte limit")) }
                length = n
            }
            // Content-Type (and any other header) is accepted and ignored: bodies are always UTF-8 JSON.
        }
        guard let length else { return .failure(HeaderError(message: "header without Content-Length")) }
        return .success(length)
    }

    /// Frames one body for writing.
    public static func frame(_ body: [UInt8]) -> [UInt8] {
        Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
