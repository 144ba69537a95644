/// Replace `range` (UTF-8 offsets into the request's text) by `newText`.
public struct CompletionEdit: Sendable, Equatable {
    public var range: Swift.Range<Int>
    public var newText: String
    public init(range: Swift.Range<Int>, newText: String) { self.range = range; self.newText = newText }
}

public struct CompletionResult: Sendable {
    /// The edits to apply together (one per hole). For `.inline`, the best suggestion.
    public var edits: [CompletionEdit]
    /// For `.inline` with `suggestions > 1`: further distinct suggestions for the same place, ranked.
    public var alternatives: [CompletionEdit] = []
    /// Answered at the deadline with the current draft.
    public var early: Bool
    public var cached: Bool
    public var forwards: Int
    public var milliseconds: Double
    public var cancelled: Bool
    /// Why nothing (or less than asked) is proposed: "no repair found: …", a rewrite refused by its gate.
    public var explanation: String?
    /// Remote backends: the time spent waiting on the network (so the client's own overhead is the rest).
    public var networkMilliseconds: Double
    public init(edits: [CompletionEdit], early: Bool = false, cached: Bool = false, forwards: Int = 0, milliseconds: Double = 0, cancelled: Bool = false,
                networkMilliseconds: Double = 0) {
        self.edits = edits; self.early = early; self.cached = cached; self.forwards = forwards; self.milliseconds = milliseconds; self.cancelled = cancelled
        self.networkMilliseconds = networkMilliseconds
    }
    public static let cancelled = CompletionResult(edits: [], cancelled: true)
}
