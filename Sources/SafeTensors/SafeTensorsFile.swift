import Foundation

/// One tensor's header entry. `range` is relative to the start of the data section.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let range: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A memory-mapped `.safetensors` file whose header has been fully validated:
/// 8-byte little-endian header length N (sane, inside the file), a JSON object of entries, every entry
/// of a known dtype whose shape × dtype size equals its byte span, every span inside the data section,
/// no two spans overlapping.
public final class SafeTensorsFile: @unchecked Sendable {
    public static let maxHeaderBytes = 100 << 20
    public let path: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    private let data: Data          // the whole file, mapped
    private let dataStart: Int      // 8 + N

    public init(path: String) throws {
        self.path = path
        let d: Data
        do { d = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) }
        catch { throw SafeTensorsError.fileUnreadable(path: path, reason: (error as NSError).localizedDescription) }
        data = d
        (tensors, metadata, dataStart) = try Self.parseHeader(d, path: path)
    }

    /// Parses and validates the header of `bytes` (exposed for fuzzing and tests).
    public static func parseHeader(_ bytes: Data, path: String) throws -> ([String: TensorInfo], [String: String], Int) {
        guard bytes.count >= 8 else { throw SafeTensorsError.truncated(path: path, size: bytes.count) }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[bytes.startIndex + i]) << (8 * UInt64(i)) }
        guard n >= 2, n <= UInt64(maxHeaderBytes), 8 + Int(n) <= bytes.count else {
            throw SafeTensorsError.headerLengthOutOfRange(path: path, headerLength: n, fileSize: bytes.count)
        }
        let headerData = bytes.subdata(in: (bytes.startIndex + 8)..<(bytes.startIndex + 8 + Int(n)))
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerData) }
        catch { throw SafeTensorsError.invalidHeader(path: path, reason: "not JSON (\((error as NSError).localizedDescription))") }
        guard let obj = json as? [String: Any] else { throw SafeTensorsError.invalidHeader(path: path, reason: "not a JSON object") }
        let dataSize = bytes.count - 8 - Int(n)
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in obj {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw SafeTensorsError.invalidHeader(path: path, reason: "__metadata__ is not an object") }
                for (k, v) in m { metadata[k] = v as? String ?? "\(v)" }
                continue
            }
            guard let e = value as? [String: Any] else { throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "entry is not an object") }
            guard let ds = e["dtype"] as? String else { throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "missing dtype") }
            guard let dtype = DType(rawValue: ds) else { throw SafeTensorsError.unknownDType(path: path, tensor: name, dtype: ds) }
            guard let shapeAny = e["shape"] as? [Any] else { throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "missing shape") }
            let shape = try shapeAny.map { v -> Int in
                guard let i = (v as? NSNumber)?.intValue, i >= 0, (v as? NSNumber)?.doubleValue == Double(i) else {
                    throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "shape \(shapeAny) has a non-integer or negative dimension")
                }
                return i
            }
            guard let offs = e["data_offsets"] as? [Any], offs.count == 2,
                  let b = (offs[0] as? NSNumber)?.intValue, let en = (offs[1] as? NSNumber)?.intValue, b >= 0, en >= b else {
                throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "data_offsets must be [begin, end] with 0 <= begin <= end")
            }
            var count = 1
            for s in shape {
                let (r, o) = count.multipliedReportingOverflow(by: s)
                guard !o, r <= Int(Int32.max) * 64 else { throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "shape \(shape) is too large") }
                count = r
            }
            let need = count * dtype.byteSize
            guard need == en - b else {
                throw SafeTensorsError.byteSpanMismatch(path: path, tensor: name, shape: shape, dtype: ds, expectedBytes: need, actualBytes: en - b)
            }
            guard en <= dataSize else { throw SafeTensorsError.spanOutsideFile(path: path, tensor: name, end: en, dataSize: dataSize) }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, range: b..<en)
        }
        let sorted = tensors.values.filter { !$0.range.isEmpty }.sorted { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.range.upperBound > b.range.lowerBound {
            throw SafeTensorsError.overlappingTensors(path: path, first: a.name, second: b.name)
        }
        return (tensors, metadata, 8 + Int(n))
    }

    /// A view of the named tensor's bytes (valid while this file is alive).
    public func view(_ name: String) throws -> TensorView {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(name: name, searched: path) }
        return TensorView(info: info, file: self)
    }

    func withBytes<R>(_ info: TensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try data.withUnsafeBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[(dataStart + info.range.lowerBound)..<(dataStart + info.range.upperBound)]))
        }
    }
}

/// A typed window onto one tensor in a mapped file.
public struct TensorView: @unchecked Sendable {
    public let info: TensorInfo
    let file: SafeTensorsFile
    public var shape: [Int] { info.shape }
    public var dtype: DType { info.dtype }

    /// Calls `body` with element i converted to Float, for i in 0..<count, in order, without copying the tensor.
    public func forEachFloat(_ body: (Int, Float) -> Void) throws {
        guard info.dtype.isFloat else { throw SafeTensorsError.notFloat(tensor: info.name, dtype: info.dtype.rawValue) }
        file.withBytes(info) { raw in
            let n = info.elementCount
            switch info.dtype {
            case .f32: for i in 0..<n { body(i, raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self)) }
            case .f16: for i in 0..<n { body(i, HalfConversion.f16ToFloat(raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) }
            case .bf16: for i in 0..<n { body(i, HalfConversion.bf16ToFloat(raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) }
            case .f64: for i in 0..<n { body(i, Float(raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self))) }
            default: break
            }
        }
    }

    /// Calls `body` with a reader of element i as Float (random access, no copy; valid inside `body`).
    public func withFloatReader<R>(_ body: ((Int) -> Float) throws -> R) throws -> R {
        guard info.dtype.isFloat else { throw SafeTensorsError.notFloat(tensor: info.name, dtype: info.dtype.rawValue) }
        return try file.withBytes(info) { raw in
            switch info.dtype {
            case .f32: return try body { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
            case .f16: return try body { HalfConversion.f16ToFloat(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            case .bf16: return try body { HalfConversion.bf16ToFloat(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            default: return try body { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
            }
        }
    }

    /// The stored bytes, row-major, valid inside `body` (no conversion, no copy).
    public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try file.withBytes(info, body) }

    /// The tensor converted to F32, row-major.
    public func floats() throws -> [Float] {
        var out = [Float](repeating: 0, count: info.elementCount)
        try out.withUnsafeMutableBufferPointer { o in try forEachFloat { i, v in o[i] = v } }
        return out
    }
}
