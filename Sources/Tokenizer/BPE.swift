/// BPE merges over one pre-token, by merge rank with a binary heap over adjacent pairs and a doubly
/// linked list of symbols: O(n log n) per piece, no rescans. Byte-level tokenizers start from each
/// byte's token (`encode`); SentencePiece-style ones from each character's (or its byte-fallback
/// tokens), built by the caller (`merge`).
struct BPE {
    /// (left id << 32 | right id) → (rank, merged id)
    let merges: [UInt64: (rank: Int32, id: Int32)]
    /// Vocab id of each raw byte's single-character token (-1 when the vocab lacks it).
    let byteIDs: [Int32]

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    struct Candidate: Comparable {
        var rank: Int32, pos: Int32, left: Int32, right: Int32
        static func < (a: Candidate, b: Candidate) -> Bool { a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos }
    }

    func encode(_ bytes: ArraySlice<UInt8>, into out: inout [Int32]) {
        var ids: [Int32] = []
        ids.reserveCapacity(bytes.count)
        for b in bytes where byteIDs[Int(b)] >= 0 { ids.append(byteIDs[Int(b)]) }
        merge(ids, into: &out)
    }

    /// Applies the merges to the symbol ids `ids` and appends the result to `out`.
    func merge(_ start: [Int32], into out: inout [Int32]) {
        var ids = start
        let n = ids.count
        if n < 2 { out.append(contentsOf: ids); return }
        var prev = [Int32](repeating: -1, count: n), next = [Int32](repeating: -1, count: n)
        for i in 0..<n { prev[i] = Int32(i - 1); next[i] = i + 1 < n ? Int32(i + 1) : -1 }
        var heap = Heap<Candidate>()
        for i in 0..<(n - 1) {
            if let m = merges[Self.key(ids[i], ids[i + 1])] { heap.push(Candidate(rank: m.rank, pos: Int32(i), left: ids[i], right: ids[i + 1])) }
        }
        var alive = [Bool](repeating: true, count: n)
        while let c = heap.pop() {
            let i = Int(c.pos)
            // Stale entry: the left symbol changed or died, or its right neighbour is no longer `c.right`.
            guard alive[i], ids[i] == c.left, next[i] >= 0, ids[Int(next[i])] == c.right else { continue }
            let j = Int(next[i])
            ids[i] = merges[Self.key(c.left, c.right)]!.id
            alive[j] = false
            next[i] = next[j]
            if next[j] >= 0 { prev[Int(next[j])] = Int32(i) }
            if prev[i] >= 0, let m = merges[Self.key(ids[Int(prev[i])], ids[i])] {
                heap.push(Candidate(rank: m.rank, pos: prev[i], left: ids[Int(prev[i])], right: ids[i]))
            }
            if next[i] >= 0, let m = merges[Self.key(ids[i], ids[Int(next[i])])] {
                heap.push(Candidate(rank: m.rank, pos: Int32(i), left: ids[i], right: ids[Int(next[i])]))
            }
        }
        var k = 0
        while k >= 0 && k < n { out.append(ids[k]); k = Int(next[k]) }
    }
}

/// A minimal binary min-heap.
struct Heap<T: Comparable> {
    private var a: [T] = []
    mutating func push(_ x: T) {
        a.append(x); var i = a.count - 1
        while i > 0 { let p = (i - 1) / 2; if a[i] < a[p] { a.swapAt(i, p); i = p } else { break } }
    }
    mutating func pop() -> T? {
        guard !a.isEmpty else { return nil }
        let top = a[0]; let last = a.removeLast()
        if !a.isEmpty {
            a[0] = last; var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1; var m = i
                if l < a.count && a[l] < a[m] { m = l }
                if r < a.count && a[r] < a[m] { m = r }
                if m == i { break }
                a.swapAt(i, m); i = m
            }
        }
        return top
    }
}
