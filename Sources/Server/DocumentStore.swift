import LSP

/// Open documents by URI. Every change is validated before it is applied, so a bad edit leaves the
/// text as it was.
public struct DocumentStore: Sendable {
    public private(set) var documents: [String: TextDocument] = [:]
    /// Most recently opened or edited first.
    public private(set) var recency: [String] = []

    public init() {}

    public subscript(uri: String) -> TextDocument? { documents[uri] }

    public mutating func open(_ doc: TextDocument) {
        documents[doc.uri] = doc
        touch(doc.uri)
    }

    public mutating func close(_ uri: String) -> Bool {
        recency.removeAll { $0 == uri }
        return documents.removeValue(forKey: uri) != nil
    }

    mutating func touch(_ uri: String) {
        recency.removeAll { $0 == uri }
        recency.insert(uri, at: 0)
    }

    /// Applies `changes` in order; returns notes about clamped positions. Throws without modifying on error.
    public mutating func change(uri: String, version: Int, changes: [TextDocumentContentChangeEvent],
                                encoding: PositionEncoding, maxBytes: Int) throws -> [String] {
        guard var doc = documents[uri] else { throw ServerError.notOpen(uri) }
        guard version > doc.version else { throw ServerError.staleVersion(uri: uri, have: doc.version, got: version) }
        var notes: [String] = []
        for (i, c) in changes.enumerated() {
            if let r = c.range {
                if (r.start.line, r.start.character) > (r.end.line, r.end.character) {
                    throw ServerError.badRange("didChange for \(uri): change \(i) has start \(r.start.line):\(r.start.character) after end \(r.end.line):\(r.end.character); change ignored")
                }
                let (a, ca) = doc.offset(of: r.start, encoding: encoding)
                let (b, cb) = doc.offset(of: r.end, encoding: encoding)
                if ca || cb { notes.append("didChange for \(uri): change \(i) range \(r.start.line):\(r.start.character)-\(r.end.line):\(r.end.character) was past a line or the document end and was clamped") }
                doc.replace(a..<max(a, b), with: c.text)
            } else {
                doc = TextDocument(uri: uri, languageID: doc.languageID, version: doc.version, text: c.text)
            }
            if doc.bytes.count > maxBytes { throw ServerError.tooLarge(uri: uri, bytes: doc.bytes.count, limit: maxBytes) }
        }
        doc.version = version
        documents[uri] = doc
        touch(uri)
        return notes
    }
}
