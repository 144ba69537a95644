import Foundation

/// All tensors of a model folder: a single `model.safetensors`, or the shards listed by
/// `model.safetensors.index.json` (`weight_map`: tensor name → shard file). Shards are mapped lazily.
public final class Checkpoint: @unchecked Sendable {
    public let directory: String
    private var shards: [String: SafeTensorsFile] = [:]
    private let weightMap: [String: String]   // tensor → shard file name

    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        let index = (directory as NSString).appendingPathComponent("model.safetensors.index.json")
        let single = (directory as NSString).appendingPathComponent("model.safetensors")
        if fm.fileExists(atPath: index) {
            weightMap = try Self.readIndex(path: index)
            for shard in Set(weightMap.values) {
                let p = (directory as NSString).appendingPathComponent(shard)
                guard fm.fileExists(atPath: p) else {
                    throw SafeTensorsError.invalidIndex(path: index, reason: "shard '\(shard)' listed in weight_map is missing from \(directory)")
                }
            }
        } else if fm.fileExists(atPath: single) {
            let f = try SafeTensorsFile(path: single)
            shards["model.safetensors"] = f
            weightMap = Dictionary(uniqueKeysWithValues: f.tensors.keys.map { ($0, "model.safetensors") })
        } else {
            throw SafeTensorsError.fileUnreadable(path: single, reason: "neither model.safetensors nor model.safetensors.index.json exists in \(directory)")
        }
    }

    /// Parses an index file's `weight_map` (exposed for tests of the real index files).
    public static func readIndex(path: String) throws -> [String: String] {
        guard let d = FileManager.default.contents(atPath: path) else { throw SafeTensorsError.fileUnreadable(path: path, reason: "cannot open") }
        guard let obj = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else {
            throw SafeTensorsError.invalidIndex(path: path, reason: "not a JSON object")
        }
        guard let map = obj["weight_map"] as? [String: String], !map.isEmpty else {
            throw SafeTensorsError.invalidIndex(path: path, reason: "missing or empty weight_map")
        }
        for f in Set(map.values) where f.contains("/") || f.contains("..") {
            throw SafeTensorsError.invalidIndex(path: path, reason: "shard name '\(f)' is not a plain file name")
        }
        return map
    }

    public var tensorNames: [String] { Array(weightMap.keys) }

    /// The weight files' names, sizes and modification times: changes when any of them does (the key
    /// of derived caches such as packed panels).
    public var fingerprint: String {
        Set(weightMap.values).sorted().map { f -> String in
            let a = try? FileManager.default.attributesOfItem(atPath: (directory as NSString).appendingPathComponent(f))
            let size = (a?[.size] as? NSNumber)?.intValue ?? -1
            let time = (a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            return "\(f):\(size):\(Int(time * 1000))"
        }.joined(separator: ",")
    }
    public func contains(_ name: String) -> Bool { weightMap[name] != nil }

    public func view(_ name: String) throws -> TensorView {
        guard let shard = weightMap[name] else { throw SafeTensorsError.missingTensor(name: name, searched: directory) }
        if shards[shard] == nil {
            shards[shard] = try SafeTensorsFile(path: (directory as NSString).appendingPathComponent(shard))
        }
        return try shards[shard]!.view(name)
    }

    /// Sum of the mapped shards' tensor bytes (what F16/BF16 weights would take if kept as stored).
    public var storedBytes: Int {
        shards.values.reduce(0) { $0 + $1.tensors.values.reduce(0) { $0 + $1.range.count } }
    }
}
