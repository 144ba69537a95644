import Foundation
import Testing
@testable import SafeTensors

func tempFile(_ data: Data, name: String = "t.safetensors") -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let p = dir.appendingPathComponent(name).path
    _ = FileManager.default.createFile(atPath: p, contents: data)
    return p
}

/// Builds a file from a raw header string and a data section.
func rawFile(header: String, dataBytes: Int) -> Data {
    var d = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
    d.append(contentsOf: Array(header.utf8)); d.append(Data(count: dataBytes))
    return d
}

@Suite struct SafeTensorsReadTests {
    @Test func roundTripsF32AndBF16AndReadsF16() throws {
        let vals: [Float] = [0, 1, -2.5, 3.140625, 1e-3, -65504]
        // F16 bytes of [1, -2, 0.5, 65504, 2^-24 (subnormal), -0]
        let f16: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x8000]
        let f16Bytes = f16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let data = SafeTensorsWriter.serialize([
            .floats("a", shape: [2, 3], vals), .floats("b", shape: [6], vals, as: .bf16),
            .init(name: "h", dtype: .f16, shape: [6], bytes: f16Bytes)], metadata: ["format": "pt"])
        let f = try SafeTensorsFile(path: tempFile(data))
        #expect(try f.view("a").floats() == vals)
        #expect(f.metadata["format"] == "pt")
        let b = try f.view("b").floats()
        for (x, y) in zip(b, vals) { #expect(abs(x - y) <= abs(y) * 1.0 / 128) }   // BF16 keeps 8 significant bits
        #expect(try f.view("h").floats() == [1, -2, 0.5, 65504, Float(sign: .plus, exponent: -24, significand: 1), -0.0])
        #expect(try f.view("a").shape == [2, 3])
    }

    @Test func truncatedFile() {
        #expect(throws: SafeTensorsError.truncated(path: "x", size: 3)) { try SafeTensorsFile.parseHeader(Data([1, 2, 3]), path: "x") }
    }

    @Test func headerLengthBeyondFile() {
        var d = Data(); withUnsafeBytes(of: UInt64(1000).littleEndian) { d.append(contentsOf: $0) }; d.append(Data(count: 10))
        #expect(throws: SafeTensorsError.headerLengthOutOfRange(path: "x", headerLength: 1000, fileSize: 18)) { try SafeTensorsFile.parseHeader(d, path: "x") }
    }

    @Test func invalidJSONHeader() {
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.parseHeader(rawFile(header: "{not json", dataBytes: 0), path: "x") }
    }

    @Test func unknownDType() {
        let d = rawFile(header: #"{"w":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}}"#, dataBytes: 2)
        #expect(throws: SafeTensorsError.unknownDType(path: "x", tensor: "w", dtype: "F8")) { try SafeTensorsFile.parseHeader(d, path: "x") }
    }

    @Test func spanMismatch() {
        let d = rawFile(header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, dataBytes: 16)
        #expect(throws: SafeTensorsError.byteSpanMismatch(path: "x", tensor: "w", shape: [2, 2], dtype: "F32", expectedBytes: 16, actualBytes: 12)) {
            try SafeTensorsFile.parseHeader(d, path: "x")
        }
    }

    @Test func spanOutsideFile() {
        let d = rawFile(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8)
        #expect(throws: SafeTensorsError.spanOutsideFile(path: "x", tensor: "w", end: 16, dataSize: 8)) { try SafeTensorsFile.parseHeader(d, path: "x") }
    }

    @Test func overlappingSpans() {
        let d = rawFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12)
        #expect(throws: SafeTensorsError.overlappingTensors(path: "x", first: "a", second: "b")) { try SafeTensorsFile.parseHeader(d, path: "x") }
    }

    @Test func negativeAndHugeShapes() {
        let neg = rawFile(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, dataBytes: 0)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.parseHeader(neg, path: "x") }
        let huge = rawFile(header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#, dataBytes: 0)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.parseHeader(huge, path: "x") }
    }

    @Test func missingTensorAndNonFloat() throws {
        let data = SafeTensorsWriter.serialize([.init(name: "i", dtype: .i32, shape: [1], bytes: [1, 0, 0, 0])])
        let f = try SafeTensorsFile(path: tempFile(data))
        #expect(throws: SafeTensorsError.missingTensor(name: "nope", searched: f.path)) { try f.view("nope") }
        #expect(throws: SafeTensorsError.notFloat(tensor: "i", dtype: "I32")) { try f.view("i").floats() }
    }

    @Test func shardedCheckpointThroughIndex() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try SafeTensorsWriter.serialize([.floats("a", shape: [1], [1])]).write(to: dir.appendingPathComponent("m-1.safetensors"))
        try SafeTensorsWriter.serialize([.floats("b", shape: [1], [2])]).write(to: dir.appendingPathComponent("m-2.safetensors"))
        try #"{"metadata":{},"weight_map":{"a":"m-1.safetensors","b":"m-2.safetensors"}}"#.write(to: dir.appendingPathComponent("model.safetensors.index.json"), atomically: true, encoding: .utf8)
        let c = try Checkpoint(directory: dir.path)
        #expect(try c.view("a").floats() == [1])
        #expect(try c.view("b").floats() == [2])
        #expect(throws: SafeTensorsError.self) { try c.view("c") }
    }

    @Test func indexNamingMissingShard() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try #"{"weight_map":{"a":"gone.safetensors"}}"#.write(to: dir.appendingPathComponent("model.safetensors.index.json"), atomically: true, encoding: .utf8)
        #expect(throws: SafeTensorsError.self) { try Checkpoint(directory: dir.path) }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: URL(fileURLWithPath: #filePath).appendingPathComponent("../../../../shared/reference").standardized.path),
                   "../shared/reference is absent: these tests read its real configs, vocabularies and indexes; place the shared folder beside the repository"),
          arguments: ["dream-v0-instruct-7b", "llada-8b-instruct", "llada-8b-base"])
    func realIndexFilesParse(folder: String) throws {
        let p = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/reference/\(folder)/model.safetensors.index.json").standardized.path
        try #require(FileManager.default.fileExists(atPath: p), "reference file missing: \(p)")
        let map = try Checkpoint.readIndex(path: p)
        #expect(map.count > 200)
        #expect(Set(map.values).count > 1)
    }
}
