import Foundation

/// Set by whoever wants a running request to stop; read between denoising steps.
public final class CancellationToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    public init() {}
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
    public func cancel() { lock.lock(); cancelled = true; lock.unlock() }
}

public enum CompletionKind: String, Sendable {
    /// Ghost text at the cursor (rest of line, next lines, or a mid-line fill).
    case inline
    /// Mask the selection (or every TODO/<mask> marker inside it) and fill.
    case fill
    /// Re-mask the enclosing function's body.
    case rewrite
    /// Re-mask the least likely tokens of the selection (or enclosing function) and re-denoise them.
    case repair
    /// A hole of `holeTokens` slots at the cursor (or replacing the selection), keeping at most `maxLines`
    /// lines: the shape of `unmask fill` and of the HumanEval-Infilling evaluation.
    case infill
}

/// An editor-agnostic request. Offsets are UTF-8 byte offsets into `text`.
public struct CompletionRequest: Sendable {
    public var kind: CompletionKind
    public var uri: String
    public var version: Int
    public var languageID: String
    public var text: String
    public var cursor: Int
    public var selection: Swift.Range<Int>?
    public var deadline: ContinuousClock.Instant?
    /// Other open documents, most recently used first, offered as extra context.
    public var neighbours: [String]
    /// For `.infill`: slots in the hole, and how many lines of the fill to keep (nil: all).
    public var holeTokens: Int?
    public var maxLines: Int?
    public init(kind: CompletionKind, uri: String, version: Int, languageID: String, text: String, cursor: Int,
                selection: Swift.Range<Int>? = nil, deadline: ContinuousClock.Instant? = nil, neighbours: [String] = []) {
        self.kind = kind; self.uri = uri; self.version = version; self.languageID = languageID; self.text = text
        self.cursor = cursor; self.selection = selection; self.deadline = deadline; self.neighbours = neighbours
    }
}

/// Replace `range` (UTF-8 offsets into the request's text) by `newText`.
public struct CompletionEdit: Sendable, Equatable {
    public var range: Swift.Range<Int>
    public var newText: String
    public init(range: Swift.Range<Int>, newText: String) { self.range = range; self.newText = newText }
}

public struct CompletionResult: Sendable {
    public var edits: [CompletionEdit]
    /// Answered at the deadline with the current draft.
    public var early: Bool
    public var cached: Bool
    public var forwards: Int
    public var milliseconds: Double
    public var cancelled: Bool
    public init(edits: [CompletionEdit], early: Bool = false, cached: Bool = false, forwards: Int = 0, milliseconds: Double = 0, cancelled: Bool = false) {
        self.edits = edits; self.early = early; self.cached = cached; self.forwards = forwards; self.milliseconds = milliseconds; self.cancelled = cancelled
    }
}

/// A denoising frame for display: the hole's draft with every still-masked token drawn as `maskGlyph`.
public struct CanvasFrame: Sendable {
    /// Where the draft goes in the document (UTF-8 offsets into the request's text).
    public var range: Swift.Range<Int>
    public var text: String
    /// UTF-8 offsets into `text` of the masked glyphs.
    public var maskedRanges: [Swift.Range<Int>]
    public var step: Int
    public var steps: Int
    public static let maskGlyph = "░"
    public init(range: Swift.Range<Int>, text: String, maskedRanges: [Swift.Range<Int>], step: Int, steps: Int) {
        self.range = range; self.text = text; self.maskedRanges = maskedRanges; self.step = step; self.steps = steps
    }
}

/// What the engine is doing, for status lines.
public enum EngineState: String, Sendable { case loading, ready, busy, error }

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

/// The engine the language server calls. Implementations must be safe to call from one worker at a time.
public protocol CompletionEngine: AnyObject, Sendable {
    func complete(_ request: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult
    /// A short description for `unmask.doctor`.
    var summary: [String: String] { get }
}
