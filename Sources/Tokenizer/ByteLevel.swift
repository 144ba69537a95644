/// GPT-2's reversible byte ↔ printable-character map used by every byte-level BPE: bytes that are
/// printable Latin-1 map to themselves, the other 68 map to U+0100 upward in byte order.
public enum ByteLevel {
    /// byteToScalar[b] is the character standing for byte b in vocab strings.
    public static let byteToScalar: [Unicode.Scalar] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if printable.contains(b) { table[b] = Unicode.Scalar(UInt32(b))! }
            else { table[b] = Unicode.Scalar(next)!; next += 1 }
        }
        printable.removeAll()
        return table
    }()

    /// Inverse of `byteToScalar`, keyed by scalar value.
    public static let scalarToByte: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { m[s.value] = UInt8(b) }
        return m
    }()

    /// The vocab string for raw bytes.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }

    /// Raw bytes of a vocab string; nil if it holds a character outside the byte map.
    public static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for s in token.unicodeScalars {
            guard let b = scalarToByte[s.value] else { return nil }
            out.append(b)
        }
        return out
    }
}
