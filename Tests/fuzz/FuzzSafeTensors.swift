import Foundation
// libFuzzer target: safetensors header validation and config.json decoding (the masked families'
// and DiffusionGemma's) on arbitrary bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let d = Data(bytes: data, count: size)
    if let (tensors, _, start) = try? SafeTensorsFile.parseHeader(d, path: "fuzz") {
        for t in tensors.values {
            precondition(start + t.range.upperBound <= size, "validated span outside the file")
            precondition(t.elementCount * t.dtype.byteSize == t.range.count, "validated span has the wrong size")
        }
    }
    if let obj = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] {
        _ = try? ModelConfig(json: obj, path: "fuzz")
        if let c = try? DiffusionGemmaConfig(json: obj, path: "fuzz") {
            // What is computed from a config before any weight is read must not trap.
            _ = c.parameterCount
            _ = c.layers.map { $0.rope.inverseFrequencies(headDim: $0.headDim) }
        }
    }
    return 0
}
