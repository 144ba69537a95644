import Foundation
import Testing
@testable import DiffusionModel
import SafeTensors

@Suite struct CacheReuseTests {
    /// RoPE attention depends on position differences only, so the same tokens at positions shifted by
    /// δ give the same values and keys rotated by δ: a segment moved δ slots later equals the shifted
    /// forward's cache (tolerance 1e-4 of the keys' scale; angles in Double, keys in Float). A move to
    /// earlier slots is the same rotation with a negative angle.
    @Test(arguments: ["qwen2", "qwen3", "llada"])
    func movedSegmentsEqualAShiftedForward(layout: String) throws {
        let m = try loadModel(fixtures.appendingPathComponent(layout))
        let ids: [Int32] = (0..<24).map { Int32(($0 * 37 + 5) % 290) }
        for delta in [5, 11] {
            let base = 0
            let a = KVCache(config: m.config, capacity: 40), b = KVCache(config: m.config, capacity: 40)
            _ = try m.forward(tokens: ids, positions: Array(base..<(base + 24)), rows: [], cache: a)
            _ = try m.forward(tokens: ids, positions: Array((base + delta)..<(base + delta + 24)), rows: [], cache: b)
            // `fill` rotates by (to − from): move a's 24 rows by delta slots, then compare with b.
            let moved = KVCache(config: m.config, capacity: 40)
            a.length = 24
            let to = delta, from = 0
            moved.fill(from: a, segments: [.init(from: from, to: to, count: 24)], newLength: 24 + to, rope: m.rope)
            for l in 0..<m.config.numLayers {
                let n = 24 * moved.kvDim
                let got = Array(UnsafeBufferPointer(start: moved.keys[l] + to * moved.kvDim, count: n))
                let want = Array(UnsafeBufferPointer(start: b.keys[l], count: n))
                let scale = want.map { abs($0) }.max()!
                let err = zip(got, want).map { abs($0 - $1) }.max()!
                #expect(err <= 1e-4 * scale, "\(layout) layer \(l) delta \(delta): \(err) vs \(scale)")
                let gv = Array(UnsafeBufferPointer(start: moved.values[l] + to * moved.kvDim, count: n)), wv = Array(UnsafeBufferPointer(start: b.values[l], count: n))
                #expect(zip(gv, wv).map { abs($0 - $1) }.max()! <= 1e-4 * wv.map { abs($0) }.max()!)
            }
        }
    }
}

@Suite struct PanelCacheTests {
    /// The second load maps the panels the first one wrote: the same logits bit for bit, with no repacking;
    /// a changed key (other weights, precision or layout) or a damaged file is repacked, never trusted.
    @Test(arguments: ["qwen2", "llada"])
    func mappedPanelsGiveTheSameLogits(layout: String) throws {
        let dir = fixtures.appendingPathComponent(layout + "/bf16")
        let cfg = try ModelConfig.load(path: dir.appendingPathComponent("config.json").path)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("panels-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ids: [Int32] = (0..<12).map { Int32(($0 * 41) % 290) }
        let first = try DiffusionTransformer(config: cfg, weights: try Checkpoint(directory: dir.path), isa: .avx2, panelCache: (path, "k1"))
        #expect(first.panelCache == nil && FileManager.default.fileExists(atPath: path))
        let second = try DiffusionTransformer(config: cfg, weights: try Checkpoint(directory: dir.path), isa: .avx2, panelCache: (path, "k1"))
        #expect(second.panelCache?.complete == true)
        #expect(try first.forward(tokens: ids, rows: Array(0..<12)).values == second.forward(tokens: ids, rows: Array(0..<12)).values)
        let other = try DiffusionTransformer(config: cfg, weights: try Checkpoint(directory: dir.path), isa: .avx2, panelCache: (path, "k2"))
        #expect(other.panelCache == nil)
        // A damaged file: truncated in the middle of the panels.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let damaged = try DiffusionTransformer(config: cfg, weights: try Checkpoint(directory: dir.path), isa: .avx2, panelCache: (path, "k2"))
        #expect(damaged.panelCache == nil)
        #expect(try damaged.forward(tokens: ids, rows: Array(0..<12)).values == first.forward(tokens: ids, rows: Array(0..<12)).values)
    }
}
