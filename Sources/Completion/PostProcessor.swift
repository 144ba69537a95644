/// Turns a raw fill into what the editor should insert: the line discipline of the request, no
/// trailing whitespace at line ends, and no text that duplicates what already follows the hole.
public struct PostProcessor {
    public enum Shape: Sendable { case midLine, finishLine, lines(max: Int), free }

    public init() {}

    public func clean(_ raw: String, shape: Shape, following: Substring) -> String {
        var s = raw.replacingOccurrences(of: "\r\n", with: "\n")
        let restOfLine = following.prefix { $0 != "\n" && $0 != "\r" && $0 != "\r\n" }
        switch shape {
        case .midLine, .finishLine:
            if let nl = s.firstIndex(where: { $0 == "\n" || $0 == "\r" }) { s = String(s[..<nl]) }
        case .lines(let max):
            var lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            while let l = lines.last, l.allSatisfy(\.isWhitespace) { lines.removeLast() }
            // Stop at the first blank line after some content (a block ends there), and at `max` lines.
            if let firstBlank = lines.indices.dropFirst().first(where: { lines[$0].allSatisfy(\.isWhitespace) }) { lines = Array(lines[..<firstBlank]) }
            lines = Array(lines.prefix(max))
            s = lines.joined(separator: "\n")
        case .free: break
        }
        // Trailing whitespace at line ends (only where the line ends inside the insertion or the rest of the line is blank).
        var lines = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for i in lines.indices where i < lines.count - 1 || restOfLine.allSatisfy(\.isWhitespace) {
            while lines[i].last?.isWhitespace == true { lines[i].removeLast() }
        }
        s = lines.joined(separator: "\n")
        // Never duplicate the text right after the hole: drop a tail that repeats the start of the rest of the line.
        let rest = restOfLine.drop { $0 == " " || $0 == "\t" }
        if !rest.isEmpty {
            for k in stride(from: min(rest.count, s.count), through: 1, by: -1) {
                let head = rest.prefix(k)
                if s.hasSuffix(head) && !(head.allSatisfy { $0.isLetter || $0.isNumber }) { s.removeLast(k); break }
            }
        }
        // A multi-line fill whose last lines repeat the lines after the hole: drop them.
        if case .lines = shape {
            let after = following.drop { $0 == "\n" }.split(separator: "\n", omittingEmptySubsequences: false)
            var mine = s.split(separator: "\n", omittingEmptySubsequences: false)
            while mine.count > 1, let l = mine.last, let first = after.first, l.trimmingCharacters() == first.trimmingCharacters(), !l.trimmingCharacters().isEmpty { mine.removeLast() }
            s = mine.joined(separator: "\n")
        }
        return s
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
