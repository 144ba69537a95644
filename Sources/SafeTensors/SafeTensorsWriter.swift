import Foundation

/// Serialises tensors into the safetensors format (used by tests, benches and fixture tools).
public enum SafeTensorsWriter {
    public struct Entry {
        public let name: String, dtype: DType, shape: [Int], bytes: [UInt8]
        public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) { self.name = name; self.dtype = dtype; self.shape = shape; self.bytes = bytes }

        /// F32 values stored as `dtype` (F32, F16 not supported for writing, BF16 round-to-nearest-even).
        public static func floats(_ name: String, shape: [Int], _ values: [Float], as dtype: DType = .f32) -> Entry {
            var out: [UInt8] = []
            out.reserveCapacity(values.count * dtype.byteSize)
            for v in values {
                switch dtype {
                case .bf16: let b = HalfConversion.floatToBF16(v); out += [UInt8(b & 0xFF), UInt8(b >> 8)]
                default: withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 }
                }
            }
            return Entry(name: name, dtype: dtype == .bf16 ? .bf16 : .f32, shape: shape, bytes: out)
        }
    }

    public static func serialize(_ entries: [Entry], metadata: [String: String] = [:]) -> Data {
        var header = "{"
        var offset = 0
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append("\"__metadata__\":{" + metadata.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}")
        }
        for e in entries {
            parts.append("\"\(e.name)\":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
            offset += e.bytes.count
        }
        header += parts.joined(separator: ",") + "}"
        while (header.utf8.count + 8) % 8 != 0 { header += " " }
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        for e in entries { data.append(contentsOf: e.bytes) }
        return data
    }
}
