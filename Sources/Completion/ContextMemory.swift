import Foundation
import Denoiser
import DiffusionModel

/// Context reuse across keystrokes: the last request's canvas and its K/V cache, for one document.
/// A new request's canvas is aligned with it: the run of tokens both share at the start (found even when
/// the context window's first line moved, up to `maxShift` tokens) and the run they share at the end keep
/// their cached keys/values (rotated to their new positions); only the changed span, a `window` around it
/// and the hole are recomputed, in the first step's block forward. Kept keys/values were computed with the
/// old canvas around them, so a full refresh comes every `refreshEvery` requests, when the change is
/// large, and for another document. Two caches take turns (the new layout is copied from the old).
final class ContextMemory: @unchecked Sendable {
    static let window = 8, maxChanged = 96, maxShift = 96

    private struct Entry { let uri: String; let canvas: [Int32]; var reuses: Int }
    private let lock = NSLock()
    private var entry: Entry?
    private var current: KVCache?, spare: KVCache?

    /// How the next run for `canvas` uses a kept cache: laid out for it with the span to recompute, or
    /// a fresh fill (a full refresh, not cut by the deadline when nothing was kept for this document).
    /// nil: reuse is off.
    func plan(uri: String, canvas: [Int32], hole: Swift.Range<Int>, model: DiffusionTransformer, capacity: Int, refreshEvery: Int) -> CacheReuse? {
        guard refreshEvery > 0, canvas.count <= capacity else { return nil }
        lock.lock(); defer { lock.unlock() }
        if current == nil || current!.capacity < capacity { current = KVCache(config: model.config, capacity: capacity); spare = nil; entry = nil }
        // The kept cache must hold the whole last canvas (a run that threw before its refresh left it short).
        if let e = entry, e.uri == uri, e.reuses < refreshEvery, let old = current, old.length == e.canvas.count,
           let layout = Self.align(old: e.canvas, new: canvas, hole: hole) {
            if spare == nil { spare = KVCache(config: model.config, capacity: capacity) }
            let next = spare!
            next.fill(from: old, segments: layout.keep, newLength: canvas.count, rope: model.rope)
            spare = old; current = next
            entry = Entry(uri: uri, canvas: canvas, reuses: e.reuses + 1)
            return CacheReuse(cache: next, recompute: layout.recompute, refreshIgnoresDeadline: false)
        }
        let first = entry?.uri != uri || (entry?.reuses ?? 0) >= refreshEvery
        entry = Entry(uri: uri, canvas: canvas, reuses: 0)
        return CacheReuse(cache: current!, recompute: nil, refreshIgnoresDeadline: first)
    }

    /// The kept segments and the span to recompute, or nil when the canvases are too different.
    static func align(old: [Int32], new: [Int32], hole: Swift.Range<Int>) -> (keep: [KVCache.Segment], recompute: Swift.Range<Int>)? {
        // The start: the new canvas's first tokens inside the old one at some shift (a line left or
        // entered the context window), longest common run wins.
        var best = (shift: 0, run: 0)
        for shift in -maxShift...maxShift {
            let a0 = max(0, shift), b0 = max(0, -shift)            // old index a0 ↔ new index b0
            var run = 0
            while a0 + run < old.count && b0 + run < new.count && old[a0 + run] == new[b0 + run] { run += 1 }
            if b0 > 0 { continue }                                  // the new canvas's start must be kept (positions from 0)
            if run > best.run { best = (shift, run) }
        }
        let prefixRun = min(best.run, hole.lowerBound)
        guard prefixRun > 0 else { return nil }
        var s = 0
        while s < min(old.count - best.shift - prefixRun, new.count - prefixRun) && old[old.count - 1 - s] == new[new.count - 1 - s] { s += 1 }
        let suffixRun = min(s, new.count - hole.upperBound)
        let changed = prefixRun..<(new.count - suffixRun)
        guard changed.count <= maxChanged + hole.count else { return nil }
        let recompute = max(0, changed.lowerBound - window)..<min(new.count, changed.upperBound + window)
        return ([KVCache.Segment(from: best.shift, to: 0, count: prefixRun),
                 KVCache.Segment(from: old.count - suffixRun, to: new.count - suffixRun, count: suffixRun)], recompute)
    }

    /// After a run whose refresh did not finish (cancelled, or cut mid-forward), the cache is not
    /// trustworthy: the next request refreshes.
    func forget() { lock.lock(); entry = nil; lock.unlock() }
}
