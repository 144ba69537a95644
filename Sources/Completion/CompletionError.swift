/// Why a request got no answer; the server turns these into JSON-RPC errors.
public enum CompletionError: Error, CustomStringConvertible, Equatable {
    case noModel(reason: String)
    case positionOutOfRange(offset: Int, length: Int)
    case nothingToDo(String)
    case tooLarge(what: String, size: Int, limit: Int)

    public var description: String {
        switch self {
        case let .noModel(r): return "no model is loaded: \(r)"
        case let .positionOutOfRange(o, l): return "offset \(o) is outside the document (\(l) bytes)"
        case let .nothingToDo(s): return s
        case let .tooLarge(w, s, l): return "\(w) of \(s) exceeds the limit of \(l)"
        }
    }
}
