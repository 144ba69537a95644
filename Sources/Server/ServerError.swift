/// What the server refuses about a client's document traffic; logged, never fatal, the text kept as it was.
public enum ServerError: Error, CustomStringConvertible {
    case notOpen(String)
    case staleVersion(uri: String, have: Int, got: Int)
    case badRange(String)
    case tooLarge(uri: String, bytes: Int, limit: Int)
    public var description: String {
        switch self {
        case .notOpen(let u): return "didChange for \(u), which was never opened (or was closed); change ignored. Hint: the client must send didOpen first."
        case let .staleVersion(u, h, g): return "didChange for \(u) with version \(g), not newer than the current \(h); change ignored."
        case .badRange(let s): return s
        case let .tooLarge(u, b, l): return "\(u): \(b) bytes exceeds maxDocumentBytes (\(l)); the document is not tracked."
        }
    }
}
