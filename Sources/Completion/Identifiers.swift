/// The identifiers of a document (ASCII letters, digits and `_`, not starting with a digit), with
/// where each occurs, and the edit distance repair uses to find a misspelt one's intended name.
public struct Identifiers {
    /// name → byte ranges of its whole-word occurrences, in document order.
    public let occurrences: [String: [Swift.Range<Int>]]

    public init(_ u: [UInt8]) {
        var occ: [String: [Swift.Range<Int>]] = [:]
        var i = 0
        while i < u.count {
            if Self.isStart(u[i]) && (i == 0 || !Self.isPart(u[i - 1])) {
                var j = i + 1
                while j < u.count && Self.isPart(u[j]) { j += 1 }
                occ[String(decoding: u[i..<j], as: UTF8.self), default: []].append(i..<j)
                i = j
            } else { i += 1 }
        }
        occurrences = occ
    }

    public static func isStart(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
    public static func isPart(_ b: UInt8) -> Bool { isStart(b) || (b >= 0x30 && b <= 0x39) }

    /// The whole string is one identifier.
    static func isName(_ s: String) -> Bool { s.utf8.first.map(isStart) == true && s.utf8.allSatisfy(isPart) }

    /// The identifier around byte `offset` of `u`, if one is there.
    static func word(in u: [UInt8], around offset: Int) -> Swift.Range<Int>? {
        var a = min(offset, u.count), b = a
        while a > 0 && isPart(u[a - 1]) { a -= 1 }
        while b < u.count && isPart(u[b]) { b += 1 }
        while a < b && !isStart(u[a]) { a += 1 }
        return a < b ? a..<b : nil
    }

    /// Names within one edit (insertion, deletion, substitution or adjacent swap; two for names of 10+
    /// characters) of `name`, at least 4 characters long, used at least as often as `name` is.
    func neighbours(of name: String) -> [String] {
        let a = Array(name.utf8), uses = occurrences[name]?.count ?? 0
        let limit = a.count >= 10 ? 2 : 1
        return occurrences.compactMap { other, ranges in
            guard other != name, other.utf8.count >= 4, ranges.count >= uses, abs(other.utf8.count - a.count) <= limit else { return nil }
            return Self.distance(a, Array(other.utf8), limit: limit) <= limit ? other : nil
        }.sorted { (occurrences[$0]!.count, $1) > (occurrences[$1]!.count, $0) }
    }

    /// Optimal-string-alignment distance (Damerau–Levenshtein without repeated edits of a substring),
    /// or `limit + 1` as soon as it must exceed `limit`.
    static func distance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if a == b { return 0 }
        var prev2 = [Int](repeating: 0, count: b.count + 1), prev = Array(0...b.count), cur = prev
        for i in 1...max(1, a.count) where !a.isEmpty {
            cur[0] = i
            var rowMin = cur[0]
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] { d = min(d, prev2[j - 2] + 1) }
                cur[j] = d; rowMin = min(rowMin, d)
            }
            if rowMin > limit { return limit + 1 }
            prev2 = prev; prev = cur
        }
        return a.isEmpty ? b.count : prev[b.count]
    }
}
