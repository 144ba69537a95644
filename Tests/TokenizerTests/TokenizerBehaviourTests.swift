import Foundation
import Testing
@testable import Tokenizer

func tempDir(_ files: [String: String]) -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    for (n, c) in files { try! c.write(to: d.appendingPathComponent(n), atomically: true, encoding: .utf8) }
    return d.path
}

/// A tiny byte-level vocabulary: all 256 byte characters plus a few merges.
func tinyFiles(extraMerges: [String] = [], duplicate: Bool = false) -> [String: String] {
    var vocab: [String: Int] = [:]
    for (b, s) in ByteLevel.byteToScalar.enumerated() { vocab[String(s)] = b }
    vocab["he"] = 256; vocab["ll"] = 257; vocab["hell"] = 258; vocab["Ġw"] = 259
    if duplicate { vocab["zz"] = 3 }
    let v = try! String(decoding: JSONSerialization.data(withJSONObject: vocab, options: [.sortedKeys]), as: UTF8.self)
    return ["vocab.json": v, "merges.txt": (["#version: 0.2", "h e", "l l", "he ll", "Ġ w"] + extraMerges).joined(separator: "\n") + "\n"]
}

@Suite struct TokenizerBehaviourTests {
    @Test func mergesByRank() throws {
        let t = try Tokenizer.load(directory: tempDir(tinyFiles()))
        #expect(t.encode("hello world") == [258, Int32(UInt8(ascii: "o")), 259, 111, 114, 108, 100])
        #expect(t.decode(t.encode("hello world")) == "hello world")
    }

    @Test func idsStartingWithABytePrefix() throws {
        let t = try Tokenizer.load(directory: tempDir(tinyFiles()))
        // "he" (256) and "hell" (258) begin with "he"; the single byte "h" does not.
        #expect(t.ids(startingWith: Array("he".utf8)) == [256, 258])
        #expect(t.ids(startingWith: Array("hel".utf8)) == [258])
        #expect(t.ids(startingWith: [32, 119]) == [259])          // " w"
        #expect(t.ids(startingWith: Array("q".utf8)) == [Int32(UInt8(ascii: "q"))])
    }

    /// The binary search over the byte-sorted vocabulary finds exactly what a scan of every token finds.
    @Test(.enabled(if: referencePresent, "../shared/reference is absent: these tests read its real configs, vocabularies and indexes; place the shared folder beside the repository")) func idsStartingWithAgreesWithAScanOnARealVocabulary() throws {
        let t = try tokenizerUnderTest("qwen2.5")
        for p in ["pri", " pri", " self", "_", "ensed", "0", " {", "\u{00e9}", "zzzq"] {
            let bytes = Array(p.utf8)
            let scan = Set(t.idBytes.filter { !t.specialIDs.contains($0.key) && $0.value.starts(with: bytes) }.map(\.key))
            #expect(t.ids(startingWith: bytes) == scan, "\(p)")
        }
        #expect(t.ids(startingWith: Array(" pri".utf8)).count > 10)
    }

    @Test func missingFilesNameTheDirectory() {
        let d = tempDir([:])
        #expect(throws: TokenizerError.missingFiles(directory: d)) { try Tokenizer.load(directory: d) }
    }

    @Test func unsupportedModelType() {
        let d = tempDir(["tokenizer.json": #"{"model":{"type":"WordPiece","vocab":{}}}"#])
        #expect(throws: TokenizerError.unsupportedModel(path: d + "/tokenizer.json", type: "WordPiece")) { try Tokenizer.load(directory: d) }
        let u = tempDir(["tokenizer.json": #"{"model":{"type":"Unigram","vocab":[]}}"#])
        #expect(throws: TokenizerError.unsupportedModel(path: u + "/tokenizer.json", type: "Unigram")) { try Tokenizer.load(directory: u) }
    }

    @Test func mergeWithUnknownToken() {
        let d = tempDir(tinyFiles(extraMerges: ["q zz"]))
        #expect(throws: TokenizerError.mergeReferencesUnknownToken(path: d + "/merges.txt", line: 5, token: "zz")) { try Tokenizer.load(directory: d) }
    }

    @Test func duplicateIDs() {
        let d = tempDir(tinyFiles(duplicate: true))
        #expect(throws: TokenizerError.self) { try Tokenizer.load(directory: d) }
    }

    @Test func invalidJSON() {
        let d = tempDir(["tokenizer.json": "{nope"])
        #expect(throws: TokenizerError.self) { try Tokenizer.load(directory: d) }
    }

    @Test(.enabled(if: referencePresent, "../shared/reference is absent: these tests read its real configs, vocabularies and indexes; place the shared folder beside the repository")) func specialTokensAreWholeUnitsAndOptionalInDocumentText() throws {
        let t = try Tokenizer.load(directory: referenceDir.appendingPathComponent("dream-v0-instruct-7b").path)
        let mask = try #require(t.roleID("mask_token"))
        #expect(mask == 151666)
        #expect(t.encode("a<|mask|>b") == t.encode("a") + [mask] + t.encode("b"))
        let plain = t.encode("a<|mask|>b", special: .none)
        #expect(!plain.contains(mask))
        #expect(t.decode(plain) == "a<|mask|>b")
        #expect(t.encode("x<|mask|>", special: .only(["<|endoftext|>"])).contains(mask) == false)
        #expect(t.id(of: "<|endoftext|>") == 151643)
    }

    @Test(.enabled(if: referencePresent, "../shared/reference is absent: these tests read its real configs, vocabularies and indexes; place the shared folder beside the repository")) func lladaBrokenSpecialTokensMapLoadsWithWarning() throws {
        let src = referenceDir.appendingPathComponent("llada-8b-base")
        var files = tinyFiles()
        files["special_tokens_map.json"] = try String(contentsOf: src.appendingPathComponent("special_tokens_map.json"), encoding: .utf8)
        files["tokenizer_config.json"] = try String(contentsOf: src.appendingPathComponent("tokenizer_config.json"), encoding: .utf8)
        let t = try Tokenizer.load(directory: tempDir(files))
        #expect(t.warnings.count == 1)
        #expect(t.warnings.first?.contains("special_tokens_map.json") == true)
        #expect(t.roleID("eos_token") == 126081)
        #expect(t.id(of: "<|mdm_mask|>") == 126336)
    }

    @Test func unknownIDsDecodeToNothingAndAreReported() throws {
        let t = try Tokenizer.load(directory: tempDir(tinyFiles()))
        #expect(t.decode([258, 99_999, 111]) == "hello")
        #expect(t.unknownIDs([258, 99_999, -1]) == [99_999, -1])
    }

    @Test func streamingDecodeHoldsBackPartialCharacters() throws {
        let t = try Tokenizer.load(directory: tempDir(tinyFiles()))
        let ids = t.encode("a😀é")            // byte tokens: the emoji is 4 ids, é is 2
        var dec = StreamingDecoder(tokenizer: t)
        var pieces: [String] = []
        for id in ids { pieces.append(dec.push(id)) }
        pieces.append(dec.finish())
        #expect(pieces.joined() == "a😀é")
        #expect(!pieces.contains { $0.contains("\u{FFFD}") })
        #expect(pieces[1...3].allSatisfy { $0.isEmpty })
    }

    @Test(.enabled(if: referencePresent, "../shared/reference is absent: these tests read its real configs, vocabularies and indexes; place the shared folder beside the repository")) func realConfigsGiveRoles() throws {
        let q = try Tokenizer.load(directory: referenceDir.appendingPathComponent("qwen2.5-coder-0.5b-instruct").path)
        #expect(q.pattern == .qwen2 && q.nfc)
        #expect(q.roleID("eos_token") == 151645)
        #expect(q.vocabularySize == 151665)
        let g = try Tokenizer.load(directory: referenceDir.appendingPathComponent("gpt2").path)
        #expect(g.pattern == .gpt2 && !g.nfc)
        #expect(g.vocabularySize == 50257)
    }
}
