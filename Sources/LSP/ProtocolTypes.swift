/// The LSP structures Unmask reads and writes (LSP 3.17, plus 3.18's inline completion).

public struct Position: Codable, Equatable, Sendable {
    public var line: Int
    public var character: Int
    public init(line: Int, character: Int) { self.line = line; self.character = character }
    public var json: JSONValue { ["line": .int(line), "character": .int(character)] }
}

public struct Range: Codable, Equatable, Sendable {
    public var start: Position
    public var end: Position
    public init(start: Position, end: Position) { self.start = start; self.end = end }
    public var json: JSONValue { ["start": start.json, "end": end.json] }
}

public struct TextDocumentIdentifier: Codable, Equatable, Sendable { public var uri: String }

public struct VersionedTextDocumentIdentifier: Codable, Equatable, Sendable { public var uri: String; public var version: Int }

public struct TextDocumentItem: Codable, Equatable, Sendable {
    public var uri: String
    public var languageId: String
    public var version: Int
    public var text: String
}

/// A change event of `didChange`: a range edit, or the whole text when `range` is absent.
public struct TextDocumentContentChangeEvent: Codable, Equatable, Sendable {
    public var range: Range?
    public var text: String
}

public struct DidOpenTextDocumentParams: Codable, Sendable { public var textDocument: TextDocumentItem }
public struct DidChangeTextDocumentParams: Codable, Sendable {
    public var textDocument: VersionedTextDocumentIdentifier
    public var contentChanges: [TextDocumentContentChangeEvent]
}
public struct DidCloseTextDocumentParams: Codable, Sendable { public var textDocument: TextDocumentIdentifier }

public struct TextDocumentPositionParams: Codable, Sendable {
    public var textDocument: TextDocumentIdentifier
    public var position: Position
}

/// `textDocument/inlineCompletion` params (3.18). `context.triggerKind`: 1 Invoked, 2 Automatic
/// (older drafts used 0/1; both are accepted).
public struct InlineCompletionParams: Codable, Sendable {
    public struct Context: Codable, Sendable {
        public var triggerKind: Int
        public struct SelectedCompletionInfo: Codable, Sendable { public var range: Range; public var text: String }
        public var selectedCompletionInfo: SelectedCompletionInfo?
        /// 3.18's Invoked (1), or an older draft's Invoke (0); Automatic is 2.
        public var invoked: Bool { triggerKind != 2 }
    }
    /// Copilot-style clients add the document version they asked for.
    public struct Document: Codable, Sendable { public var uri: String; public var version: Int? }
    public var textDocument: Document
    public var position: Position
    public var context: Context?
    /// Unmask's own: a deadline for this request only.
    public var deadlineMs: Int?
}

/// `textDocument/didShowCompletion` and `textDocument/didPartiallyAcceptCompletion` (Copilot's dialect):
/// the item shown, and how much of its `insertText` was accepted (UTF-16 units from its start).
public struct CompletionFeedbackParams: Codable, Sendable {
    public struct Item: Codable, Sendable { public var insertText: JSONValue? }
    public var item: Item?
    public var acceptedLength: Int?
}

public struct CodeActionParams: Codable, Sendable {
    public var textDocument: TextDocumentIdentifier
    public var range: Range
}

public struct ExecuteCommandParams: Codable, Sendable {
    public var command: String
    public var arguments: [JSONValue]?
}

public struct CancelParams: Sendable {
    public var id: RequestID
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
