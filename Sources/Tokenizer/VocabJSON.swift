import Foundation

/// A reader for the one shape `vocab.json` has, a flat object of string → non-negative integer, on the
/// raw bytes: Foundation's JSONSerialization builds an NSNumber and a bridged dictionary entry per token
/// and took ~250 ms of a 151k-token vocabulary's 0.6 s load. Anything else in the file (nesting,
/// floats, comments) returns nil, and the caller falls back to JSONSerialization, whose errors name
/// the problem.
enum VocabJSON {
    /// The entries in file order, or nil when the bytes are not exactly a flat string → integer object.
    static func parse(_ data: Data) -> [(String, Int32)]? {
        data.withUnsafeBytes { raw -> [(String, Int32)]? in
            let b = raw.bindMemory(to: UInt8.self)
            var i = 0, out: [(String, Int32)] = []
            out.reserveCapacity(b.count / 12)
            func skipSpace() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }
            func hex4() -> UInt32? {
                guard i + 4 <= b.count else { return nil }
                var v: UInt32 = 0
                for _ in 0..<4 {
                    let c = b[i]; i += 1
                    switch c {
                    case 0x30...0x39: v = v << 4 | UInt32(c - 0x30)
                    case 0x41...0x46: v = v << 4 | UInt32(c - 0x41 + 10)
                    case 0x61...0x66: v = v << 4 | UInt32(c - 0x61 + 10)
                    default: return nil
                    }
                }
                return v
            }
            /// A JSON string starting at the opening quote; escapes decoded (\uXXXX with surrogate pairs).
            func string() -> String? {
                guard i < b.count, b[i] == 0x22 else { return nil }
                i += 1
                let start = i
                while i < b.count, b[i] != 0x22, b[i] != 0x5C { i += 1 }
                guard i < b.count else { return nil }
                if b[i] == 0x22 {                                  // no escapes: the common case
                    let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                    i += 1
                    return s
                }
                var bytes = Array(b[start..<i])
                while i < b.count {
                    let c = b[i]; i += 1
                    if c == 0x22 { return String(decoding: bytes, as: UTF8.self) }
                    if c != 0x5C { bytes.append(c); continue }
                    guard i < b.count else { return nil }
                    let e = b[i]; i += 1
                    switch e {
                    case 0x22, 0x5C, 0x2F: bytes.append(e)
                    case 0x62: bytes.append(0x08)
                    case 0x66: bytes.append(0x0C)
                    case 0x6E: bytes.append(0x0A)
                    case 0x72: bytes.append(0x0D)
                    case 0x74: bytes.append(0x09)
                    case 0x75:
                        guard var u = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(u) {
                            guard i + 6 <= b.count, b[i] == 0x5C, b[i + 1] == 0x75 else { return nil }
                            i += 2
                            guard let lo = hex4(), (0xDC00..<0xE000).contains(lo) else { return nil }
                            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                        } else if (0xDC00..<0xE000).contains(u) { return nil }
                        guard let scalar = Unicode.Scalar(u) else { return nil }
                        bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: return nil
                    }
                }
                return nil
            }
            skipSpace()
            guard i < b.count, b[i] == 0x7B else { return nil }
            i += 1; skipSpace()
            if i < b.count, b[i] == 0x7D { return out }
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard i < b.count, b[i] == 0x3A else { return nil }
                i += 1; skipSpace()
                var v: Int64 = 0, digits = 0
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39, digits < 10 { v = v * 10 + Int64(b[i] - 0x30); i += 1; digits += 1 }
                guard digits > 0, v <= Int64(Int32.max) else { return nil }
                out.append((key, Int32(v)))
                skipSpace()
                guard i < b.count else { return nil }
                if b[i] == 0x2C { i += 1; continue }
                if b[i] == 0x7D { i += 1; break }
                return nil
            }
            skipSpace()
            return i == b.count ? out : nil
        }
    }
}
