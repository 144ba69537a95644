/// What is asked of a backend.
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
    /// The edit the user's recent edits call for next (a renamed name's other uses, or a repair of the
    /// code around the last edit), near `cursor`.
    case nextEdit
    /// The selection rewritten as `instruction` asks (an instruct checkpoint's chat template, or a chat backend).
    case edit
}

/// An editor-agnostic request. Offsets are UTF-8 byte offsets into the document; `utf8` and `text`
/// are the same document, converted once when the request is made.
public struct CompletionRequest: Sendable {
    public var kind: CompletionKind
    public var uri: String
    public var version: Int
    public var languageID: String
    public let utf8: [UInt8]
    public let text: String
    public var cursor: Int
    public var selection: Swift.Range<Int>?
    public var deadline: ContinuousClock.Instant?
    /// Other open documents, most recently used first, offered as extra context.
    public var neighbours: [String]
    /// For `.infill`: slots in the hole, and how many lines of the fill to keep (nil: all).
    public var holeTokens: Int?
    public var maxLines: Int?
    /// For `.inline`: how many distinct suggestions are wanted (an editor's explicit request asks for
    /// several to cycle through; automatic requests for one).
    public var suggestions = 1
    /// Reuse the document's kept context (`contextReuse`): always for inline requests; for infill when
    /// asked (the evaluation's "previous keystroke" measurement).
    public var reuseContext = false
    /// For `.nextEdit`: the document's recent edits, newest last.
    public var recentEdits: [RecentEdit] = []
    /// For `.edit`: what the user asked for.
    public var instruction: String?

    public init(kind: CompletionKind, uri: String, version: Int, languageID: String, text: String, cursor: Int,
                selection: Swift.Range<Int>? = nil, deadline: ContinuousClock.Instant? = nil, neighbours: [String] = []) {
        self.init(kind: kind, uri: uri, version: version, languageID: languageID, utf8: Array(text.utf8), text: text, cursor: cursor,
                  selection: selection, deadline: deadline, neighbours: neighbours)
    }

    /// From a document's bytes (the server's copy), decoded to a String once.
    public init(kind: CompletionKind, uri: String, version: Int, languageID: String, utf8: [UInt8], cursor: Int,
                selection: Swift.Range<Int>? = nil, deadline: ContinuousClock.Instant? = nil, neighbours: [String] = []) {
        self.init(kind: kind, uri: uri, version: version, languageID: languageID, utf8: utf8, text: String(decoding: utf8, as: UTF8.self),
                  cursor: cursor, selection: selection, deadline: deadline, neighbours: neighbours)
    }

    init(kind: CompletionKind, uri: String, version: Int, languageID: String, utf8: [UInt8], text: String, cursor: Int,
         selection: Swift.Range<Int>?, deadline: ContinuousClock.Instant?, neighbours: [String]) {
        self.kind = kind; self.uri = uri; self.version = version; self.languageID = languageID; self.utf8 = utf8; self.text = text
        self.cursor = cursor; self.selection = selection; self.deadline = deadline; self.neighbours = neighbours
    }

    /// The document's text in `range` (UTF-8 offsets).
    public func slice(_ range: Swift.Range<Int>) -> String { String(decoding: utf8[range], as: UTF8.self) }

    /// Cursor and selection inside the document.
    public func validate() throws(CompletionError) {
        guard cursor >= 0, cursor <= utf8.count else { throw .positionOutOfRange(offset: cursor, length: utf8.count) }
        if let s = selection, s.lowerBound < 0 || s.upperBound > utf8.count { throw .positionOutOfRange(offset: s.upperBound, length: utf8.count) }
    }
}
