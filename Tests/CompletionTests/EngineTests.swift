import Foundation
import Testing
@testable import Completion
import Tokenizer
import Denoiser
import DiffusionModel
import SafeTensors

let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The embedded model, when it is present in models/ (it is committed).
func embedded() throws -> ModelBundle {
    let dir = repo.appendingPathComponent("models/\(ModelLocator.defaultName)")
    try #require(FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path), "models/\(ModelLocator.defaultName) is missing")
    return try ModelBundle(directory: dir.path, threads: 2)
}

@Suite struct ContextWindowTests {
    @Test func cutsAtLineBoundariesKeepingWhatIsNearest() throws {
        let b = try embedded()
        let w = ContextWindow(tokenizer: b.tokenizer)
        let lines = (0..<200).map { "    value_\($0) = compute(\($0), other=\($0 * 3))\n" }.joined()
        let cut = w.prefix(Substring(lines), budget: 60)
        #expect(cut.tokens.count <= 60 && !cut.complete)
        let kept = String(lines.utf8.suffix(cut.keptBytes))!
        #expect(kept.hasPrefix("    value_") && lines.hasSuffix(kept))     // starts at a line start
        #expect(kept.contains("value_199"))                                  // nearest the hole is kept
        let s = w.suffix(Substring(lines), budget: 60)
        let keptS = String(lines.utf8.prefix(s.keptBytes))!
        #expect(s.tokens.count <= 60 && keptS.hasSuffix("\n") && keptS.hasPrefix("    value_0 "))
        let small = w.prefix("x = 1\n", budget: 60)
        #expect(small.complete && b.tokenizer.decode(small.tokens) == "x = 1\n")
    }

    @Test func specialTokenStringsInDocumentsStayText() throws {
        let b = try embedded()
        let ids = ContextWindow(tokenizer: b.tokenizer).prefix("s = \"<|mask|>\"\n", budget: 100).tokens
        #expect(!ids.contains(b.maskID))
    }
}

extension Tag {
    /// Runs the embedded model in a debug build (seconds per test).
    @Tag static var slow: Self
}

@Suite(.tags(.slow)) struct EngineTests {
    func request(_ kind: CompletionKind, _ text: String, cursor: Int, selection: Range<Int>? = nil) -> CompletionRequest {
        CompletionRequest(kind: kind, uri: "file:///t.py", version: 1, languageID: "python", text: text, cursor: cursor, selection: selection)
    }

    @Test func inlineIsDeterministicAndStaysOnTheCursorLineShape() throws {
        let e = LocalBackend(bundle: try embedded())
        let text = "def add(a, b):\n    return \n"
        let cursor = "def add(a, b):\n    return ".utf8.count
        let a = try e.complete(request(.inline, text, cursor: cursor), settings: EngineSettings(), cancel: CancellationToken()) { _ in }
        let e2 = LocalBackend(bundle: try embedded())
        let b = try e2.complete(request(.inline, text, cursor: cursor), settings: EngineSettings(), cancel: CancellationToken()) { _ in }
        #expect(a.edits == b.edits)
        for edit in a.edits {
            #expect(!edit.newText.contains("\n"))                  // finish-line: one line
            #expect(edit.range.lowerBound >= "def add(a, b):\n".utf8.count)
        }
    }

    @Test func typingThroughASuggestionReusesIt() throws {
        let e = LocalBackend(bundle: try embedded())
        let text = "import os\n\nprint(os.path.join(\n"
        let cursor = "import os\n\nprint(os.path.join(".utf8.count
        let first = try e.complete(request(.inline, text, cursor: cursor), settings: EngineSettings(), cancel: CancellationToken()) { _ in }
        guard let s = first.edits.first, s.range == cursor..<cursor, s.newText.count > 1 else { return }   // nothing to type through
        let typed = String(s.newText.prefix(1))
        var t2 = text
        t2.insert(contentsOf: typed, at: t2.utf8.index(t2.utf8.startIndex, offsetBy: cursor))
        let again = try e.complete(request(.inline, t2, cursor: cursor + typed.utf8.count), settings: EngineSettings(), cancel: CancellationToken()) { _ in }
        #expect(again.cached)
        #expect(again.edits.first?.newText == String(s.newText.dropFirst()))
    }

    @Test func fillWithSeveralMarkersGivesOneEditPerMarker() throws {
        let e = LocalBackend(bundle: try embedded())
        let text = "def f(xs):\n    total = TODO\n    for x in xs:\n        total += TODO\n    return total\n"
        let r = try e.complete(request(.fill, text, cursor: 0, selection: 0..<text.utf8.count), settings: EngineSettings(), cancel: CancellationToken()) { _ in }
        #expect(r.edits.count == 2)
        let todo1 = text.range(of: "TODO")!
        #expect(r.edits[0].range == text.utf8.distance(from: text.startIndex, to: todo1.lowerBound)..<(text.utf8.distance(from: text.startIndex, to: todo1.lowerBound) + 4))
    }

    @Test func tokenHealingMovesAPartialWordIntoTheHole() throws {
        let b = try embedded()
        let decoder = LocalDecoder(bundle: b, settings: EngineSettings())
        let healer = TokenHealer(bundle: b)
        let text = "import os\n\ndef main():\n    pri"
        let r = request(.inline, text, cursor: text.utf8.count)
        var spec = decoder.canvas(r, hole: r.cursor..<r.cursor, maskCount: 8)
        let full = spec.prefix
        var o = DenoiseOptions()
        let moved = healer.heal(&spec, &o, textBefore: r.utf8[..<r.cursor])
        #expect(!moved.isEmpty && text.hasSuffix(moved))
        // The moved tokens are exactly the prefix's tail that spells the moved text.
        let k = full.count - spec.prefix.count
        #expect(k >= 1 && k <= TokenHealer.maxTokens && spec.prefix == Array(full.dropLast(k)))
        #expect(b.tokenizer.decode(Array(full.suffix(k))) == moved)
        let allowed = try #require(o.allowedAt[0])
        #expect(!allowed.isEmpty)
        for id in allowed { #expect(b.tokenizer.decode([id]).hasPrefix(moved)) }
        // A word split over several tokens moves as a whole when a vocabulary token covers it
        // (" p" "r" "i" → slot 0 must start with " pri"), not just its last piece.
        if !b.tokenizer.ids(startingWith: Array(" pri".utf8)).isEmpty {
            #expect(moved == " pri")
        }
        // After a space or punctuation there is no partial word: nothing moves.
        for t in ["x = ", "print(", "x.y\n"] {
            let q = request(.inline, t, cursor: t.utf8.count)
            var s2 = decoder.canvas(q, hole: q.cursor..<q.cursor, maskCount: 8)
            var o2 = DenoiseOptions()
            #expect(healer.heal(&s2, &o2, textBefore: q.utf8[..<q.cursor]).isEmpty && o2.allowedAt.isEmpty, "\(t)")
        }
        // End to end: the suggestion never repeats the word's start that is already typed.
        let c = try LocalBackend(bundle: b).complete(r, settings: EngineSettings(), cancel: CancellationToken()) { _ in }
        for edit in c.edits { #expect(edit.range == r.cursor..<r.cursor && !edit.newText.hasPrefix("pri")) }
    }

    /// An explicit request asks for several suggestions: most holes get at least two distinct ones (the
    /// second most likely length and branches at the least certain tokens), the best one first and equal
    /// to what an automatic request gets.
    @Test func explicitRequestsGetSeveralDistinctSuggestions() throws {
        let b = try embedded()
        let texts = ["def add(a, b):\n    return \n", "import os\n\ndef main():\n    path = \n", "for i in range(10):\n    print(\n",
                     "class Stack:\n    def push(self, x):\n        self.\n", "def area(r):\n    return 3.14 * \n",
                     "let xs = [1, 2, 3]\nlet total = xs.\n", "x = 1\nif x > 0:\n    \n", "def greet(name):\n    print(\"Hello, \" + \n"]
        var several = 0
        for t in texts {
            let cursor = t.utf8.count - 1
            var r = request(.inline, t, cursor: cursor); r.suggestions = 3
            let many = try LocalBackend(bundle: b).complete(r, settings: EngineSettings(), cancel: CancellationToken()) { _ in }
            let one = try LocalBackend(bundle: b).complete(request(.inline, t, cursor: cursor), settings: EngineSettings(), cancel: CancellationToken()) { _ in }
            #expect(many.edits == one.edits, "\(t)")
            let all = (many.edits + many.alternatives).map(\.newText)
            #expect(Set(all).count == all.count && many.alternatives.count <= 2)
            if all.count >= 2 { several += 1 }
        }
        #expect(several * 2 > texts.count, "only \(several) of \(texts.count) holes got two or more suggestions")
    }

    @Test func cancelledRequestsReturnCancelled() throws {
        let e = LocalBackend(bundle: try embedded())
        let t = CancellationToken(); t.cancel()
        let r = try e.complete(request(.inline, "x = \n", cursor: 4), settings: EngineSettings(), cancel: t) { _ in }
        #expect(r.cancelled && r.edits.isEmpty)
    }

    @Test func framesShowMaskedSlots() throws {
        var s = EngineSettings(); s.algorithm = .threshold; s.tokensPerStep = 2
        let e = LocalBackend(bundle: try embedded())
        var frames: [CanvasFrame] = []
        var r = request(.infill, "def f():\n    \n", cursor: 13, selection: 13..<13)
        r.holeTokens = 8
        _ = try e.complete(r, settings: s, cancel: CancellationToken()) { frames.append($0) }
        #expect(frames.count == 4)
        #expect(frames.first?.maskedRanges.count ?? 0 > 0 || frames.first?.text.isEmpty == false)
        #expect(frames.last?.maskedRanges.isEmpty == true)
    }

    @Test func positionsOutsideTheDocumentAreErrors() throws {
        let e = LocalBackend(bundle: try embedded())
        #expect(throws: CompletionError.positionOutOfRange(offset: 99, length: 3)) {
            try e.complete(request(.inline, "abc", cursor: 99), settings: EngineSettings(), cancel: CancellationToken()) { _ in }
        }
    }

    @Test func brokenModelFoldersAreNamedErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(throws: (any Error).self) { try ModelBundle(directory: dir.path) }
        let src = repo.appendingPathComponent("models/\(ModelLocator.defaultName)")
        for f in ["config.json", "tokenizer.json", "tokenizer_config.json"] { try FileManager.default.copyItem(at: src.appendingPathComponent(f), to: dir.appendingPathComponent(f)) }
        // A truncated weights file.
        let weights = try Data(contentsOf: src.appendingPathComponent("model.safetensors"))
        try weights.prefix(weights.count / 2).write(to: dir.appendingPathComponent("model.safetensors"))
        do { _ = try ModelBundle(directory: dir.path); Issue.record("a truncated model loaded") }
        catch { #expect("\(error)".contains("model.safetensors")) }
        // Unknown architecture.
        try #"{"architectures":["RWKVForCausalLM"],"model_type":"rwkv"}"#.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        do { _ = try ModelBundle(directory: dir.path); Issue.record("an unknown architecture loaded") }
        catch { #expect("\(error)".contains("RWKVForCausalLM")) }
    }

    /// A model that would not fit is refused before its weights are read, with both figures and the
    /// int8 alternative; the same folder loads when the memory is there.
    @Test func aModelThatDoesNotFitIsRefusedWithTheFigure() throws {
        let dir = repo.appendingPathComponent("models/\(ModelLocator.defaultName)")
        let cfg = try ModelConfig.load(path: dir.appendingPathComponent("config.json").path)
        let bf16 = try Checkpoint(directory: dir.path).storedDType(WeightNames.forFamily(cfg.family).embed) == "BF16"
        let need = MemoryEstimate(config: cfg, precision: .stored, storedBF16: bf16).residentBytes
        #expect(need > cfg.parameterCount * (bf16 ? 2 : 4))
        do { _ = try ModelBundle(directory: dir.path, threads: 1, memoryAvailable: need / 2); Issue.record("loaded without the memory") }
        catch let e as ModelError {
            guard case let .notEnoughMemory(_, needed, available, _, int8) = e else { Issue.record("\(e)"); return }
            #expect(needed == need && available == need / 2 && int8 != nil)
            #expect(e.description.contains("weights: int8") && e.description.contains("Hint:"))
        }
        _ = try ModelBundle(directory: dir.path, threads: 1, memoryAvailable: need)
        #expect(MemoryEstimate.availableBytes().map { $0 > 0 } ?? true)
    }
}
