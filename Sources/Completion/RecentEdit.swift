/// One of the user's recent edits to a document, as the next-edit search reads it: at byte `offset` of
/// the document as it is now, `removed` was replaced by `inserted`. Consecutive keystrokes on one spot
/// are merged into one edit (`TextDocument` records them).
public struct RecentEdit: Sendable, Equatable {
    public var offset: Int
    public var removed: String
    public var inserted: String
    public init(offset: Int, removed: String, inserted: String) { self.offset = offset; self.removed = removed; self.inserted = inserted }

    /// The edited range in the document as it is now.
    public var range: Swift.Range<Int> { offset..<(offset + inserted.utf8.count) }
}
