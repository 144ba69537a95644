/// Every way a safetensors file or index can be wrong, each naming the file, the tensor and the values.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case fileUnreadable(path: String, reason: String)
    case truncated(path: String, size: Int)
    case headerLengthOutOfRange(path: String, headerLength: UInt64, fileSize: Int)
    case invalidHeader(path: String, reason: String)
    case unknownDType(path: String, tensor: String, dtype: String)
    case invalidEntry(path: String, tensor: String, reason: String)
    case byteSpanMismatch(path: String, tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    case spanOutsideFile(path: String, tensor: String, end: Int, dataSize: Int)
    case overlappingTensors(path: String, first: String, second: String)
    case invalidIndex(path: String, reason: String)
    case missingTensor(name: String, searched: String)
    case notFloat(tensor: String, dtype: String)

    public var description: String {
        switch self {
        case let .fileUnreadable(p, r): return "cannot read \(p): \(r). Hint: check the model folder path."
        case let .truncated(p, s): return "\(p) is truncated: \(s) bytes, less than the 8-byte header length. Hint: the download or copy was interrupted; fetch the file again."
        case let .headerLengthOutOfRange(p, n, s): return "\(p): header length \(n) does not fit in a file of \(s) bytes. Hint: the file is truncated or not a safetensors file."
        case let .invalidHeader(p, r): return "\(p): invalid safetensors header: \(r)."
        case let .unknownDType(p, t, d): return "\(p): tensor '\(t)' has unknown dtype '\(d)' (known: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)."
        case let .invalidEntry(p, t, r): return "\(p): tensor '\(t)': \(r)."
        case let .byteSpanMismatch(p, t, shape, d, e, a): return "\(p): tensor '\(t)' of shape \(shape) and dtype \(d) needs \(e) bytes but its data_offsets span \(a)."
        case let .spanOutsideFile(p, t, e, s): return "\(p): tensor '\(t)' ends at byte \(e) of a \(s)-byte data section. Hint: the file is truncated."
        case let .overlappingTensors(p, a, b): return "\(p): tensors '\(a)' and '\(b)' overlap."
        case let .invalidIndex(p, r): return "\(p): invalid sharded index: \(r)."
        case let .missingTensor(n, s): return "tensor '\(n)' not found in \(s)."
        case let .notFloat(t, d): return "tensor '\(t)' has dtype \(d), not a floating-point type."
        }
    }
}
