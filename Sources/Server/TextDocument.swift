import LSP
import Completion

/// How `Position.character` counts (negotiated at `initialize`).
public enum PositionEncoding: String, Sendable {
    case utf8 = "utf-8", utf16 = "utf-16", utf32 = "utf-32"
}

/// An open document: UTF-8 bytes plus the offsets of line starts. Line breaks are `\n`, `\r\n` and `\r`,
/// as the LSP specification says. Positions past a line's end or the document's end clamp (reported).
public struct TextDocument: Sendable {
    public let uri: String
    public var languageID: String
    public var version: Int
    public private(set) var bytes: [UInt8]
    /// Byte offset where each line starts; lineStarts[0] == 0.
    public private(set) var lineStarts: [Int] = [0]

    public init(uri: String, languageID: String, version: Int, text: String) {
        self.uri = uri; self.languageID = languageID; self.version = version
        bytes = Array(text.utf8)
        indexLines()
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func indexLines() {
        var starts = [0]
        var i = 0
        let n = bytes.count
        bytes.withUnsafeBufferPointer { b in
            while i < n {
                let c = b[i]
                if c == 10 { starts.append(i + 1) }
                else if c == 13 {
                    if i + 1 < n && b[i + 1] == 10 { i += 1 }
                    starts.append(i + 1)
                }
                i += 1
            }
        }
        lineStarts = starts
    }

    /// End of line `l`'s content (before its line break).
    func contentEnd(_ l: Int) -> Int {
        var e = l + 1 < lineStarts.count ? lineStarts[l + 1] : bytes.count
        if e > lineStarts[l] && l + 1 < lineStarts.count {
            if bytes[e - 1] == 10 { e -= 1 }
            if e > lineStarts[l] && bytes[e - 1] == 13 { e -= 1 }
        }
        return e
    }

    /// Byte offset of `p`; `clamped` is true when `p` was past a line's or the document's end (or
    /// inside a UTF-16 surrogate pair / a UTF-8 sequence).
    public func offset(of p: Position, encoding: PositionEncoding) -> (offset: Int, clamped: Bool) {
        if p.line < 0 || p.character < 0 { return (p.line < 0 ? 0 : lineStarts[min(p.line, lineStarts.count - 1)], true) }
        if p.line >= lineStarts.count { return (bytes.count, true) }
        let start = lineStarts[p.line], end = contentEnd(p.line)
        var i = start, units = 0
        while i < end && units < p.character {
            let b = bytes[i]
            let len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
            let step: Int
            switch encoding {
            case .utf8: step = len
            case .utf16: step = len == 4 ? 2 : 1
            case .utf32: step = 1
            }
            if units + step > p.character { return (i, true) }   // inside a character: clamp to its start
            units += step; i += min(len, end - i)
        }
        return (i, units < p.character)
    }

    /// The position of byte `offset`, clamped into the document and rounded down to the start of the
    /// character it falls in (an offset inside a multi-byte character never moves forward).
    public func position(of offset: Int, encoding: PositionEncoding) -> Position {
        var o = max(0, min(offset, bytes.count))
        while o > 0 && o < bytes.count && (bytes[o] & 0xC0) == 0x80 { o -= 1 }
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi { let mid = (lo + hi + 1) / 2; if lineStarts[mid] <= o { lo = mid } else { hi = mid - 1 } }
        let start = lineStarts[lo]
        return Position(line: lo, character: Self.units(bytes[start..<min(o, max(start, contentEnd(lo)))], encoding))
    }

    static func units(_ s: ArraySlice<UInt8>, _ e: PositionEncoding) -> Int {
        switch e {
        case .utf8: return s.count
        case .utf32: return s.reduce(0) { $0 + (($1 & 0xC0) != 0x80 ? 1 : 0) }
        case .utf16: return s.reduce(0) { $0 + (($1 & 0xC0) != 0x80 ? ($1 >= 0xF0 ? 2 : 1) : 0) }
        }
    }

    /// Units of `text` in an encoding (for ranges inside inserted text).
    public static func length(_ text: String, _ e: PositionEncoding) -> Int {
        switch e { case .utf8: return text.utf8.count; case .utf16: return text.utf16.count; case .utf32: return text.unicodeScalars.count }
    }

    /// The user's last edits (newest last, at most `recentLimit`), offsets in the document as it is
    /// now; an edit touching the previous one's inserted text is merged into it (a word typed or
    /// deleted key by key is one edit). What `unmask/nextEdit` follows.
    public private(set) var recentEdits: [RecentEdit] = []
    static let recentLimit = 8

    /// Replaces bytes `range` with `text` and re-indexes the lines.
    public mutating func replace(_ range: Swift.Range<Int>, with text: String) {
        let inserted = Array(text.utf8)
        record(range, inserted)
        bytes.replaceSubrange(range, with: inserted)
        indexLines()
    }

    /// Shifts the kept edits past `range` and merges the new edit with the last one when they touch.
    mutating func record(_ range: Swift.Range<Int>, _ inserted: [UInt8]) {
        let delta = inserted.count - range.count
        var new = RecentEdit(offset: range.lowerBound, removed: String(decoding: bytes[range], as: UTF8.self), inserted: String(decoding: inserted, as: UTF8.self))
        if let last = recentEdits.last, range.upperBound >= last.range.lowerBound, range.lowerBound <= last.range.upperBound {
            // [lo, hi) of the document before this edit covers both; what it held before either edit
            // was the last edit's removed text with the bytes around it.
            let lo = min(range.lowerBound, last.range.lowerBound), hi = max(range.upperBound, last.range.upperBound)
            var now = Array(bytes[lo..<hi])
            now.replaceSubrange((range.lowerBound - lo)..<(range.upperBound - lo), with: inserted)
            let before = Array(bytes[lo..<last.range.lowerBound]) + Array(last.removed.utf8) + Array(bytes[last.range.upperBound..<hi])
            new = RecentEdit(offset: lo, removed: String(decoding: before, as: UTF8.self), inserted: String(decoding: now, as: UTF8.self))
            recentEdits.removeLast()
        }
        for i in recentEdits.indices where recentEdits[i].offset >= range.upperBound { recentEdits[i].offset += delta }
        recentEdits.removeAll { $0.range.overlaps(range) }
        if new.removed != new.inserted { recentEdits.append(new) }
        if recentEdits.count > Self.recentLimit { recentEdits.removeFirst(recentEdits.count - Self.recentLimit) }
    }
}
