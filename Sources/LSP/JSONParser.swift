/// A strict RFC 8259 parser over UTF-8 bytes. Errors carry the byte offset. Integers that fit `Int`
/// stay exact. Invalid UTF-8 inside strings is replaced by U+FFFD (counted in `repairedBytes`), so a
/// document with a stray byte is kept rather than refused.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let message: String
    public var description: String { "\(message) at byte \(offset)" }
}

public struct JSONParser {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    var depth = 0
    public private(set) var repairedBytes = 0
    static let maxDepth = 512

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { buf in
            var p = JSONParser(b: buf)
            return try p.document()
        }
    }

    /// Parses and reports whether invalid UTF-8 had to be replaced.
    public static func parseReportingRepairs(_ bytes: [UInt8]) throws -> (JSONValue, Int) {
        try bytes.withUnsafeBufferPointer { buf in
            var p = JSONParser(b: buf)
            let v = try p.document()
            return (v, p.repairedBytes)
        }
    }

    mutating func document() throws -> JSONValue {
        skipSpace()
        let v = try value()
        skipSpace()
        guard i == b.count else { throw err("unexpected data after the JSON value") }
        return v
    }

    func err(_ m: String) -> JSONParseError { JSONParseError(offset: i, message: m) }

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func value() throws -> JSONValue {
        guard i < b.count else { throw err("unexpected end of input") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw err("unexpected character '\(Unicode.Scalar(b[i]))'")
        }
    }

    mutating func literal(_ s: String) throws {
        for c in s.utf8 {
            guard i < b.count, b[i] == c else { throw err("invalid literal, expected \(s)") }
            i += 1
        }
    }

    mutating func object() throws -> JSONValue {
        depth += 1; defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw err("nesting deeper than \(Self.maxDepth)") }
        i += 1
        var o: [String: JSONValue] = [:]
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw err("expected a string key") }
            let k = try string()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw err("expected ':'") }
            i += 1; skipSpace()
            o[k] = try value()
            skipSpace()
            guard i < b.count else { throw err("unexpected end of input in object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            throw err("expected ',' or '}'")
        }
    }

    mutating func array() throws -> JSONValue {
        depth += 1; defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw err("nesting deeper than \(Self.maxDepth)") }
        i += 1
        var a: [JSONValue] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
        while true {
            skipSpace()
            a.append(try value())
            skipSpace()
            guard i < b.count else { throw err("unexpected end of input in array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            throw err("expected ',' or ']'")
        }
    }

    mutating func number() throws -> JSONValue {
        let start = i
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, (48...57).contains(b[i]) else { throw err("invalid number") }
        if b[i] == 48 { i += 1 } else { while i < b.count, (48...57).contains(b[i]) { i += 1 } }
        var isInt = true
        if i < b.count, b[i] == UInt8(ascii: ".") {
            isInt = false; i += 1
            guard i < b.count, (48...57).contains(b[i]) else { throw err("invalid number: digit expected after '.'") }
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            isInt = false; i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, (48...57).contains(b[i]) else { throw err("invalid number: digit expected in exponent") }
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        if isInt, let v = Int(text) { return .int(v) }
        guard let d = Double(text) else { throw JSONParseError(offset: start, message: "invalid number") }
        guard d.isFinite else { throw JSONParseError(offset: start, message: "number \(text.prefix(40)) is out of range") }
        return .double(d)
    }

    mutating func string() throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes and valid ASCII/UTF-8 up to the closing quote.
        while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
        guard i < b.count else { throw err("unterminated string") }
        if b[i] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: b[start..<i])
            i += 1
            if let s = String(validating: slice, as: UTF8.self) { return s }
            return repair(slice)
        }
        var bytes = Array(UnsafeBufferPointer(rebasing: b[start..<i]))
        while true {
            guard i < b.count else { throw err("unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw err("control character in string") }
            if c != UInt8(ascii: "\\") { bytes.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw err("unterminated escape") }
            let e = b[i]; i += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(34)
            case UInt8(ascii: "\\"): bytes.append(92)
            case UInt8(ascii: "/"): bytes.append(47)
            case UInt8(ascii: "b"): bytes.append(8)
            case UInt8(ascii: "f"): bytes.append(12)
            case UInt8(ascii: "n"): bytes.append(10)
            case UInt8(ascii: "r"): bytes.append(13)
            case UInt8(ascii: "t"): bytes.append(9)
            case UInt8(ascii: "u"):
                var u = try hex4()
                if (0xD800..<0xDC00).contains(u), i + 1 < b.count, b[i] == 92, b[i + 1] == UInt8(ascii: "u") {
                    let save = i
                    i += 2
                    let lo = try hex4()
                    if (0xDC00..<0xE000).contains(lo) { u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00) } else { i = save }
                }
                let scalar = Unicode.Scalar(u) ?? "\u{FFFD}"     // a lone surrogate becomes U+FFFD
                if Unicode.Scalar(u) == nil { repairedBytes += 1 }
                UTF8.encode(scalar) { bytes.append($0) }
            default: throw err("invalid escape '\\\(Unicode.Scalar(e))'")
            }
        }
        return bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) } ?? bytes.withUnsafeBufferPointer { repair($0) }
    }

    mutating func repair(_ slice: UnsafeBufferPointer<UInt8>) -> String {
        let s = String(decoding: slice, as: UTF8.self)
        repairedBytes += max(1, slice.count - (s.utf8.count - 2 * s.unicodeScalars.filter { $0 == "\u{FFFD}" }.count))
        return s
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count else { throw err("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]; i += 1
            v <<= 4
            switch c {
            case 48...57: v |= UInt32(c - 48)
            case 65...70: v |= UInt32(c - 55)
            case 97...102: v |= UInt32(c - 87)
            default: throw err("invalid hex digit in \\u escape")
            }
        }
        return v
    }
}
