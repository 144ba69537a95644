import Foundation
import Denoiser
import DiffusionModel
import Tokenizer

/// The completion engine on a loaded model: sizes the hole for the request, lays the canvas, denoises
/// with frames and cancellation, post-processes, and caches the last inline answer so typing through a
/// suggestion needs no new denoise.
public final class DiffusionEngine: CompletionEngine, @unchecked Sendable {
    public let bundle: ModelBundle
    public var settings: EngineSettings
    let window: ContextWindow
    let post = PostProcessor()
    let finder = FunctionFinder()
    let lock = NSLock()
    var lastInline: (uri: String, before: String, after: String, tail: String, early: Bool)?
    public private(set) var lastTimings: [String: Double] = [:]
    /// Baseline knob: commit exactly this many tokens per forward (1 = autoregressive-equivalent).
    public var tokensPerStep: Int?
    /// Block length for cached decoding (nil: the whole hole is one block).
    public var blockLength: Int?

    public init(bundle: ModelBundle, settings: EngineSettings) {
        self.bundle = bundle; self.settings = settings
        window = ContextWindow(tokenizer: bundle.tokenizer)
    }

    public var summary: [String: String] {
        [
            "model": bundle.directory, "architecture": bundle.config.architecture, "family": bundle.config.family.rawValue,
            "parameters": String(format: "%.2f M", Double(bundle.config.parameterCount) / 1e6),
            "weightsMB": String(format: "%.1f", Double(bundle.model.weightBytes) / 1048576),
            "loadMs": String(format: "%.0f", bundle.loadMilliseconds), "shiftedLogits": "\(bundle.config.shiftedLogits)",
            "algorithm": settings.algorithm.rawValue, "threshold": "\(settings.threshold)",
            "lastTimings": lastTimings.map { "\($0.key)=\(Int($0.value))" }.sorted().joined(separator: " "),
        ]
    }

    public func complete(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let t0 = ContinuousClock.now
        let bytes = r.text.utf8.count
        guard r.cursor >= 0, r.cursor <= bytes else { throw CompletionError.positionOutOfRange(offset: r.cursor, length: bytes) }
        if let s = r.selection, s.lowerBound < 0 || s.upperBound > bytes { throw CompletionError.positionOutOfRange(offset: s.upperBound, length: bytes) }
        var result: CompletionResult
        switch r.kind {
        case .inline:
            if let hit = cachedInline(r) { return hit }
            result = try inline(r, cancel: cancel, onFrame: onFrame)
        case .fill: result = try fill(r, cancel: cancel, onFrame: onFrame)
        case .rewrite: result = try rewrite(r, cancel: cancel, onFrame: onFrame)
        case .repair: result = try repair(r, cancel: cancel, onFrame: onFrame)
        case .infill: result = try infill(r, cancel: cancel, onFrame: onFrame)
        }
        result.milliseconds = Double((ContinuousClock.now - t0) / .microseconds(1)) / 1000
        lock.lock(); lastTimings[r.kind.rawValue] = result.milliseconds; lock.unlock()
        return result
    }

    // MARK: Inline

    func inline(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let u = Array(r.text.utf8)
        var lineStart = r.cursor
        while lineStart > 0 && u[lineStart - 1] != 10 && u[lineStart - 1] != 13 { lineStart -= 1 }
        var lineEnd = r.cursor
        while lineEnd < u.count && u[lineEnd] != 10 && u[lineEnd] != 13 { lineEnd += 1 }
        let before = String(decoding: u[lineStart..<r.cursor], as: UTF8.self)
        let rest = String(decoding: u[r.cursor..<lineEnd], as: UTF8.self)
        let shape: PostProcessor.Shape
        var holeStart = r.cursor, holeEnd = r.cursor, n: Int
        if !rest.allSatisfy(\.isWhitespace) {
            shape = .midLine; n = min(settings.maxTokens, 16)
        } else if !before.allSatisfy(\.isWhitespace) {
            shape = .finishLine; n = min(settings.maxTokens, 32)
            // A hole right after spaces would force the model to produce a space-less token: start it at the spaces.
            while holeStart > lineStart && (u[holeStart - 1] == 32 || u[holeStart - 1] == 9) { holeStart -= 1 }
            holeEnd = lineEnd
        } else {
            // Blank line: fill from the line start so the model chooses the indentation.
            shape = .lines(max: 8); n = min(settings.maxTokens, 48)
            holeStart = lineStart; holeEnd = lineEnd
        }
        var fill = try denoise(r, hole: holeStart..<holeEnd, maskCount: n, cancel: cancel, onFrame: onFrame)
        if fill.cancelled { return CompletionResult(edits: [], cancelled: true) }
        let following = r.text.utf8[r.text.utf8.index(r.text.utf8.startIndex, offsetBy: holeEnd)...]
        fill.text = post.clean(fill.text, shape: shape, following: Substring(following))
        if fill.text.allSatisfy(\.isWhitespace) { return CompletionResult(edits: [], early: fill.early, forwards: fill.forwards) }
        // On a whitespace-only line whose fill starts with exactly that whitespace, keep the range at the cursor.
        var range = holeStart..<holeEnd
        var text = fill.text
        let replaced = String(decoding: u[holeStart..<r.cursor], as: UTF8.self)
        if text.hasPrefix(replaced) { text.removeFirst(replaced.count); range = r.cursor..<holeEnd }
        if case .midLine = shape { range = r.cursor..<r.cursor }
        if case .finishLine = shape, rest.isEmpty { range = range.lowerBound..<r.cursor }
        remember(r, insert: text, range: range, early: fill.early)
        return CompletionResult(edits: [CompletionEdit(range: range, newText: text)], early: fill.early, forwards: fill.forwards)
    }

    /// Typing through a suggestion (the new text is the old one plus a prefix of the suggestion at the
    /// cursor) or asking again at the same place reuses the last answer.
    func cachedInline(_ r: CompletionRequest) -> CompletionResult? {
        lock.lock(); defer { lock.unlock() }
        guard let last = lastInline, last.uri == r.uri else { return nil }
        let b = r.text.utf8.prefix(r.cursor), a = r.text.utf8.dropFirst(r.cursor)
        guard a.elementsEqual(last.after.utf8), b.starts(with: last.before.utf8) else { return nil }
        let typed = String(decoding: b.dropFirst(last.before.utf8.count), as: UTF8.self)
        guard last.tail.hasPrefix(typed), last.tail.count > typed.count else { return nil }
        let remaining = String(last.tail.dropFirst(typed.count))
        return CompletionResult(edits: [CompletionEdit(range: r.cursor..<r.cursor, newText: remaining)], early: last.early, cached: true)
    }

    func remember(_ r: CompletionRequest, insert: String, range: Swift.Range<Int>, early: Bool) {
        // Only finished answers at the cursor are reused; a draft cut by the deadline is not.
        guard range.lowerBound == r.cursor, range.upperBound == r.cursor, !early else { lock.lock(); lastInline = nil; lock.unlock(); return }
        let before = String(decoding: r.text.utf8.prefix(r.cursor), as: UTF8.self)
        let after = String(decoding: r.text.utf8.dropFirst(r.cursor), as: UTF8.self)
        lock.lock(); lastInline = (r.uri, before, after, insert, early); lock.unlock()
    }

    // MARK: Fill, rewrite, repair

    static let markers = ["<mask>", "TODO", "<|mask|>", "???"]

    func fill(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let sel = r.selection ?? (r.cursor..<r.cursor)
        let u = Array(r.text.utf8)
        let selected = String(decoding: u[sel], as: UTF8.self)
        // Several markers inside the selection: one hole per marker, filled jointly; the text between stays fixed.
        var holes: [Swift.Range<Int>] = []
        for m in Self.markers {
            var from = selected.startIndex
            while let hit = selected.range(of: m, range: from..<selected.endIndex) {
                let lo = sel.lowerBound + selected.utf8.distance(from: selected.startIndex, to: hit.lowerBound)
                holes.append(lo..<(lo + m.utf8.count)); from = hit.upperBound
            }
        }
        holes.sort { $0.lowerBound < $1.lowerBound }
        if holes.isEmpty {
            let n = sel.isEmpty ? min(settings.maxTokens, 48) : min(max(bundle.tokenizer.encode(selected, special: .none).count + 8, 8), settings.maxTokens * 4)
            let f = try denoise(r, hole: sel, maskCount: n, cancel: cancel, onFrame: onFrame)
            if f.cancelled { return CompletionResult(edits: [], cancelled: true) }
            let following = Substring(String(decoding: u[sel.upperBound...], as: UTF8.self))
            let text = post.clean(f.text, shape: .free, following: following)
            return CompletionResult(edits: [CompletionEdit(range: sel, newText: text)], early: f.early, forwards: f.forwards)
        }
        // Template: fixed tokens between holes, `per` masks per hole.
        let per = min(settings.maxTokens, 24)
        var template: [Int32] = []
        var cursor = holes[0].lowerBound
        for (i, h) in holes.enumerated() {
            if i > 0 { template += bundle.tokenizer.encode(String(decoding: u[cursor..<h.lowerBound], as: UTF8.self), special: .none) }
            template += [Int32](repeating: bundle.maskID, count: per)
            cursor = h.upperBound
        }
        let f = try denoise(r, hole: holes[0].lowerBound..<holes.last!.upperBound, maskCount: template.count, template: template, cancel: cancel, onFrame: onFrame)
        if f.cancelled { return CompletionResult(edits: [], cancelled: true) }
        let edits = zip(holes, f.holes).map { CompletionEdit(range: $0, newText: post.clean($1, shape: .free, following: "")) }
        return CompletionResult(edits: edits, early: f.early, forwards: f.forwards)
    }

    func infill(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let hole = r.selection ?? (r.cursor..<r.cursor)
        let n = r.holeTokens ?? min(settings.maxTokens, 48)
        guard n > 0 else { throw CompletionError.nothingToDo("the hole has 0 tokens; give a positive size") }
        let f = try denoise(r, hole: hole, maskCount: n, cancel: cancel, onFrame: onFrame)
        if f.cancelled { return CompletionResult(edits: [], cancelled: true) }
        var text = f.text
        if let m = r.maxLines {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > m { text = lines.prefix(m).joined(separator: "\n") + "\n" }
        }
        return CompletionResult(edits: [CompletionEdit(range: hole, newText: text)], early: f.early, forwards: f.forwards)
    }

    func rewrite(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        guard let body = r.selection.flatMap({ $0.isEmpty ? nil : $0 }) ?? finder.enclosingBody(in: r.text, at: r.cursor, languageID: r.languageID) else {
            throw CompletionError.nothingToDo("no enclosing function found at the cursor; select the code to rewrite")
        }
        let old = String(decoding: Array(r.text.utf8)[body], as: UTF8.self)
        let n = min(bundle.tokenizer.encode(old, special: .none).count + 16, 512)
        let f = try denoise(r, hole: body, maskCount: n, cancel: cancel, onFrame: onFrame)
        if f.cancelled { return CompletionResult(edits: [], cancelled: true) }
        return CompletionResult(edits: f.text == old ? [] : [CompletionEdit(range: body, newText: f.text)], early: f.early, forwards: f.forwards)
    }

    func repair(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let region = r.selection.flatMap({ $0.isEmpty ? nil : $0 }) ?? finder.enclosingBody(in: r.text, at: r.cursor, languageID: r.languageID)
            ?? lineRange(r.text, r.cursor)
        let u = Array(r.text.utf8)
        let old = String(decoding: u[region], as: UTF8.self)
        let tokens = bundle.tokenizer.encode(old, special: .none)
        guard !tokens.isEmpty else { throw CompletionError.nothingToDo("the region to repair is empty") }
        // Score every region token given both sides, in one forward.
        let spec = try canvasSpec(r, hole: region, maskCount: tokens.count, template: tokens)
        let canvas = spec.leading + spec.prefix + tokens + spec.suffix + spec.trailing
        let start = spec.leading.count + spec.prefix.count
        let shift = bundle.config.shiftedLogits
        let rows = (start..<(start + tokens.count)).map { shift ? max(0, $0 - 1) : $0 }
        let logits = try bundle.model.forward(tokens: canvas, rows: rows)
        var scored: [(Int, Float)] = []
        for (k, t) in tokens.enumerated() {
            let row = logits.row(k)
            let mx = row.max() ?? 0
            var z: Float = 0
            for v in row { z += expf(v - mx) }
            scored.append((k, expf(row[row.startIndex + Int(t)] - mx) / z))
        }
        let cap = max(1, tokens.count * 3 / 10)
        let suspicious = scored.filter { $0.1 < 0.05 }.sorted { $0.1 < $1.1 }.prefix(cap).map(\.0)
        guard !suspicious.isEmpty else { return CompletionResult(edits: [], forwards: 1) }
        var template = tokens
        for k in suspicious { template[k] = bundle.maskID }
        let f = try denoise(r, hole: region, maskCount: template.count, template: template, cancel: cancel, onFrame: onFrame)
        if f.cancelled { return CompletionResult(edits: [], cancelled: true) }
        // Only the part that really changed.
        let new = Array(f.text.utf8), oldB = Array(old.utf8)
        var p = 0
        while p < min(new.count, oldB.count) && new[p] == oldB[p] { p += 1 }
        var s = 0
        while s < min(new.count, oldB.count) - p && new[new.count - 1 - s] == oldB[oldB.count - 1 - s] { s += 1 }
        // Keep the edit on character boundaries: never split a multi-byte UTF-8 sequence.
        while p > 0 && (p < oldB.count && (oldB[p] & 0xC0) == 0x80 || p < new.count && (new[p] & 0xC0) == 0x80) { p -= 1 }
        while s > 0 && ((oldB[oldB.count - s] & 0xC0) == 0x80 || (new[new.count - s] & 0xC0) == 0x80) { s -= 1 }
        if p == new.count && p == oldB.count { return CompletionResult(edits: [], forwards: f.forwards + 1) }
        let edit = CompletionEdit(range: (region.lowerBound + p)..<(region.upperBound - s), newText: String(decoding: new[p..<(new.count - s)], as: UTF8.self))
        return CompletionResult(edits: [edit], early: f.early, forwards: f.forwards + 1)
    }

    func lineRange(_ text: String, _ offset: Int) -> Swift.Range<Int> {
        let u = Array(text.utf8)
        var a = min(offset, u.count), b = a
        while a > 0 && u[a - 1] != 10 { a -= 1 }
        while b < u.count && u[b] != 10 { b += 1 }
        return a..<b
    }

    // MARK: Canvas and denoising

    struct Fill { var text: String; var holes: [String]; var early: Bool; var cancelled: Bool; var forwards: Int }

    func canvasSpec(_ r: CompletionRequest, hole: Swift.Range<Int>, maskCount: Int, template: [Int32]?) throws -> CanvasSpec {
        let u = r.text.utf8
        let beforeEnd = u.index(u.startIndex, offsetBy: hole.lowerBound), afterStart = u.index(u.startIndex, offsetBy: hole.upperBound)
        let budget = max(16, min(settings.contextTokens, bundle.canvasLimit) - maskCount - 4)
        let suffixBudget = budget / 3
        let suf = window.suffix(Substring(r.text[afterStart...]), budget: suffixBudget)
        let pre = window.prefix(Substring(r.text[..<beforeEnd]), budget: budget - suf.tokens.count)
        var (lead, trail) = bundle.boundaries(prefixIsFileStart: pre.complete, suffixIsFileEnd: suf.complete)
        var prefix = pre.tokens
        // Spare budget: chunks of other open documents, nearest first, separated by end-of-text.
        var spare = budget - pre.tokens.count - suf.tokens.count
        if spare > 32, let sep = bundle.config.eosTokenID {
            for other in r.neighbours {
                let cut = window.prefix(Substring(other), budget: spare - 1)
                if cut.tokens.isEmpty { continue }
                prefix = cut.tokens + [sep] + lead + prefix
                lead = []
                spare -= cut.tokens.count + 1
                if spare <= 32 { break }
            }
        }
        if maskCount + prefix.count + suf.tokens.count + lead.count + trail.count > bundle.canvasLimit { trail = [] }
        return CanvasSpec(prefix: prefix, suffix: suf.tokens, maskCount: maskCount, leading: lead, trailing: trail, middleTemplate: template)
    }

    func denoise(_ r: CompletionRequest, hole: Swift.Range<Int>, maskCount: Int, template: [Int32]? = nil, cancel: CancellationToken,
                 onFrame: (CanvasFrame) -> Void) throws -> Fill {
        var spec = try canvasSpec(r, hole: hole, maskCount: maskCount, template: template)
        var options = settings.denoiseOptions(deadline: r.deadline, slots: maskCount)
        options.forbidden = bundle.forbidden
        let healed = template == nil && settings.tokenHealing ? heal(&spec, &options, textBefore: r.text.utf8.prefix(hole.lowerBound)) : ""
        options.vocabularyLimit = bundle.tokenizer.vocabularySize
        if template != nil { options.maxExpansions = 0 }
        options.tokensPerStep = tokensPerStep
        options.blockLength = blockLength
        let denoiser = try Denoiser(model: bundle.model, options: options, maskID: bundle.maskID)
        let tok = bundle.tokenizer
        let ends = Set([bundle.config.padTokenID, bundle.config.eosTokenID].compactMap { $0 })
        let res: DenoiseResult
        if ends.isEmpty && template == nil && maskCount >= 8 {
            // No token can end a hole early: try a few lengths and keep the most likely fill.
            res = try denoiser.bestOfLengths(spec, lengths: [maskCount / 4, maskCount / 2, maskCount], isCancelled: { cancel.isCancelled })
        } else {
            res = try denoiser.run(spec, isCancelled: { cancel.isCancelled }, onStep: { frame in
                if settings.enableFrames { onFrame(render(frame, hole: hole, steps: max(options.steps, maskCount), healed: healed)) }
                return true
            })
        }
        var text = tok.decode(res.rawMiddle.filter { !ends.contains($0) && $0 != bundle.maskID })
        if text.hasPrefix(healed) { text.removeFirst(healed.count) } else if !healed.isEmpty { text = "" }
        let holes = res.holeTokens.map { tok.decode($0) }
        return Fill(text: text, holes: holes, early: res.early, cancelled: res.cancelled, forwards: res.forwards)
    }

    /// Token healing (see `EngineSettings.tokenHealing`): when the text before the hole ends inside an
    /// ASCII word, the prefix's trailing tokens that spell that word's start (the first optionally after
    /// one space; at most `maxHealTokens`) move into the hole and slot 0 may only take the tokens that
    /// begin with their bytes. The most tokens that some vocabulary token still begins with are moved:
    /// " p" "r" "in" becomes one slot that must start with " prin" (" print"), where moving "in" alone
    /// left the model continuing " pr" from a boundary the tokenizer never produces. Returns the moved
    /// text, which the caller strips from the fill ("" when nothing was moved).
    func heal(_ spec: inout CanvasSpec, _ options: inout DenoiseOptions, textBefore: Substring.UTF8View) -> String {
        func isWord(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
        guard let lastByte = textBefore.last, isWord(lastByte) else { return "" }
        var bytes: [UInt8] = []                              // the last k tokens' bytes
        var best: (k: Int, bytes: [UInt8], allowed: Set<Int32>)?
        for k in 1...min(Self.maxHealTokens, spec.prefix.count) {
            let piece = bundle.tokenizer.decodeBytes([spec.prefix[spec.prefix.count - k]])
            let word = piece.first == 32 ? piece.dropFirst() : piece[...]
            guard !word.isEmpty, word.allSatisfy(isWord) else { break }
            bytes = piece + bytes
            guard textBefore.reversed().starts(with: bytes.reversed()) else { break }
            let allowed = bundle.tokenizer.ids(startingWith: bytes).subtracting(bundle.forbidden)
            // One token that only continues as itself is nothing to heal.
            if allowed.count > (k == 1 ? 1 : 0) { best = (k, bytes, allowed) }
            if piece.first == 32 { break }                   // the word's start
        }
        guard let best else { return "" }
        spec.prefix.removeLast(best.k)
        options.allowedAt[0] = best.allowed
        return String(decoding: best.bytes, as: UTF8.self)
    }

    /// How many of the prefix's tokens token healing may move into the hole.
    static let maxHealTokens = 4

    func render(_ f: StepFrame, hole: Swift.Range<Int>, steps: Int, healed: String = "") -> CanvasFrame {
        var text = ""
        var masked: [Swift.Range<Int>] = []
        let ends = Set([bundle.config.padTokenID, bundle.config.eosTokenID].compactMap { $0 })
        var dec = StreamingDecoder(tokenizer: bundle.tokenizer)
        for t in f.middle {
            if t == f.maskID {
                text += dec.finish()
                let lo = text.utf8.count
                text += CanvasFrame.maskGlyph
                masked.append(lo..<text.utf8.count)
            } else if !ends.contains(t) {
                text += dec.push(t)
            }
        }
        text += dec.finish()
        if !healed.isEmpty && text.hasPrefix(healed) {   // the word's start is already in the document
            text.removeFirst(healed.count)
            masked = masked.map { ($0.lowerBound - healed.utf8.count)..<($0.upperBound - healed.utf8.count) }
        }
        return CanvasFrame(range: hole, text: text, maskedRanges: masked, step: f.step, steps: steps)
    }
}
