import Foundation

/// The last finished inline suggestion at a cursor, so typing through it (the new text is the old one
/// plus a prefix of the suggestion at the cursor) or asking again at the same place needs no new denoise.
final class SuggestionCache: @unchecked Sendable {
    private struct Entry { let uri: String; let before: [UInt8]; let after: [UInt8]; let tail: String }
    private let lock = NSLock()
    private var last: Entry?

    /// The rest of the remembered suggestion at `r`'s cursor, if `r` is typing through it.
    func hit(_ r: CompletionRequest) -> CompletionResult? {
        lock.lock(); defer { lock.unlock() }
        guard let last, last.uri == r.uri else { return nil }
        let b = r.utf8[..<r.cursor], a = r.utf8[r.cursor...]
        guard a.elementsEqual(last.after), b.starts(with: last.before) else { return nil }
        let typed = String(decoding: b.dropFirst(last.before.count), as: UTF8.self)
        guard last.tail.hasPrefix(typed), last.tail.count > typed.count else { return nil }
        return CompletionResult(edits: [CompletionEdit(range: r.cursor..<r.cursor, newText: String(last.tail.dropFirst(typed.count)))], cached: true)
    }

    /// Only finished answers inserted at the cursor are reused; a draft cut by the deadline is not.
    func remember(_ r: CompletionRequest, insert: String, range: Swift.Range<Int>, early: Bool) {
        lock.lock(); defer { lock.unlock() }
        guard range.lowerBound == r.cursor, range.upperBound == r.cursor, !early else { last = nil; return }
        last = Entry(uri: r.uri, before: Array(r.utf8[..<r.cursor]), after: Array(r.utf8[r.cursor...]), tail: insert)
    }
}
