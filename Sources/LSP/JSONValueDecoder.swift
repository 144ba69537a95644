/// Decodes `Decodable` protocol types straight from a parsed `JSONValue` (no second serialisation).
/// Integers stay exact; a number with a fraction where an integer is expected is a type mismatch.
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: JSONValue, path: [CodingKey] = []) { self.value = value; codingPath = path }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let o) = value else { throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "expected an object, got \(value.typeName)")) }
        return KeyedDecodingContainer(Keyed<Key>(object: o, codingPath: codingPath))
    }
    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .array(let a) = value else { throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "expected an array, got \(value.typeName)")) }
        return Unkeyed(array: a, codingPath: codingPath)
    }
    func singleValueContainer() throws -> SingleValueDecodingContainer { Single(value: value, codingPath: codingPath) }

    struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue!)" }
        init(_ i: Int) { intValue = i }
        init?(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    static func mismatch<T>(_ t: T.Type, _ v: JSONValue, _ path: [CodingKey]) -> DecodingError {
        .typeMismatch(t, .init(codingPath: path, debugDescription: "expected \(t), got \(v.typeName)"))
    }

    /// The scalar decodings every container shares.
    static func scalar<T: Decodable>(_ t: T.Type, _ v: JSONValue, _ path: [CodingKey]) throws -> T {
        switch t {
        case is String.Type: guard case .string(let s) = v else { throw mismatch(t, v, path) }; return s as! T
        case is Bool.Type: guard case .bool(let b) = v else { throw mismatch(t, v, path) }; return b as! T
        case is Int.Type: guard let i = v.intValue else { throw mismatch(t, v, path) }; return i as! T
        case is Double.Type: guard let d = v.doubleValue else { throw mismatch(t, v, path) }; return d as! T
        case is Float.Type: guard let d = v.doubleValue else { throw mismatch(t, v, path) }; return Float(d) as! T
        case is JSONValue.Type: return v as! T
        default: return try T(from: JSONValueDecoder(v, path: path))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let object: [String: JSONValue]
        let codingPath: [CodingKey]
        var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }
        func value(_ key: Key) throws -> JSONValue {
            guard let v = object[key.stringValue] else { throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing")) }
            return v
        }
        func decodeNil(forKey key: Key) throws -> Bool { (object[key.stringValue] ?? .null) == .null }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let v = try value(key)
            if v == .null && T.self != JSONValue.self {
                throw DecodingError.valueNotFound(T.self, .init(codingPath: codingPath + [key], debugDescription: "null"))
            }
            return try JSONValueDecoder.scalar(type, v, codingPath + [key])
        }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            try JSONValueDecoder(value(key), path: codingPath + [key]).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            try JSONValueDecoder(value(key), path: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> Decoder { JSONValueDecoder(.object(object), path: codingPath) }
        func superDecoder(forKey key: Key) throws -> Decoder { JSONValueDecoder(try value(key), path: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let array: [JSONValue]
        let codingPath: [CodingKey]
        var currentIndex = 0
        var count: Int? { array.count }
        var isAtEnd: Bool { currentIndex >= array.count }
        init(array: [JSONValue], codingPath: [CodingKey]) { self.array = array; self.codingPath = codingPath }
        mutating func next() throws -> (JSONValue, [CodingKey]) {
            guard !isAtEnd else { throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath + [Index(currentIndex)], debugDescription: "past the end")) }
            defer { currentIndex += 1 }
            return (array[currentIndex], codingPath + [Index(currentIndex)])
        }
        mutating func decodeNil() throws -> Bool {
            if !isAtEnd && array[currentIndex] == .null { currentIndex += 1; return true }
            return false
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { let (v, p) = try next(); return try JSONValueDecoder.scalar(type, v, p) }
        mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
            let (v, p) = try next(); return try JSONValueDecoder(v, path: p).container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { let (v, p) = try next(); return try JSONValueDecoder(v, path: p).unkeyedContainer() }
        mutating func superDecoder() throws -> Decoder { let (v, p) = try next(); return JSONValueDecoder(v, path: p) }
    }

    struct Single: SingleValueDecodingContainer {
        let value: JSONValue
        let codingPath: [CodingKey]
        func decodeNil() -> Bool { value == .null }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONValueDecoder.scalar(type, value, codingPath) }
    }
}
