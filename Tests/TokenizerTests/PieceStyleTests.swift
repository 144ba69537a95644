import Foundation
import Testing
@testable import Tokenizer

private let spFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/sp-tokenizers")

private struct SPGolden: Decodable {
    struct Case: Decodable { let text: String; let ids: [Int32]; let decoded: String }
    let reference: String; let cases: [Case]
}

/// SentencePiece-style BPE (Gemma-3 and Llama-2 shapes of `tokenizer.json`) against Hugging Face
/// `tokenizers` (`training/make_sp_tokenizer_fixtures.py`): the same ids for code, runs of spaces,
/// tabs, newlines, accents, CJK, emoji spelled by byte fallback and special tokens inside the text, and
/// the same decoded text.
@Suite struct PieceStyleTests {
    @Test(arguments: ["gemma", "llama"])
    func idsAndTextEqualHuggingFaceTokenizers(shape: String) throws {
        let dir = spFixtures.appendingPathComponent(shape)
        let tok = try Tokenizer.load(directory: dir.path)
        let golden = try JSONDecoder().decode(SPGolden.self, from: Data(contentsOf: dir.appendingPathComponent("golden.json")))
        #expect(tok.pieces != nil)
        for c in golden.cases {
            #expect(tok.encode(c.text) == c.ids, "\(shape): \(c.text.debugDescription)")
            #expect(tok.decode(c.ids) == c.decoded, "\(shape): decode of \(c.text.debugDescription)")
        }
        // Streaming decoding gives the same text (without the Llama shape's one stripped leading space).
        let long = golden.cases[3]
        var stream = StreamingDecoder(tokenizer: tok)
        let streamed = long.ids.map { stream.push($0) }.joined() + stream.finish()
        #expect(streamed == (shape == "llama" ? " " + long.decoded : long.decoded))
    }

    /// A SentencePiece normalizer with a pre-tokenizer, or another decoder, is refused by name.
    @Test func otherShapesAreRefusedByName() throws {
        let src = spFixtures.appendingPathComponent("gemma/tokenizer.json")
        var o = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: src)) as? [String: Any])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func load(_ o: [String: Any]) throws {
            try JSONSerialization.data(withJSONObject: o).write(to: dir.appendingPathComponent("tokenizer.json"))
            _ = try Tokenizer.load(directory: dir.path)
        }
        o["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁"]
        #expect { try load(o) } throws: { "\($0)".contains("Metaspace") }
        o["pre_tokenizer"] = NSNull()
        o["decoder"] = ["type": "Sequence", "decoders": [["type": "ByteFallback"]]]
        #expect { try load(o) } throws: { "\($0)".contains("decoder") }
    }
}
