import Foundation
import Testing
@testable import Tokenizer

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let referenceDir = repoRoot.appendingPathComponent("../shared/reference").standardized

struct GoldenPiece: Decodable { let kind: String; let text: String; let ids: [String: [Int32]]; let splits: [String: [Int]] }
struct GoldenFile: Decodable { let tokenizers: [String]; let bytes: Int; let pieces: [GoldenPiece] }

/// Fixtures made by `training/make_tokenizer_fixtures.py` (Hugging Face `tokenizers` and Python `regex`).
let golden: GoldenFile? = {
    let p = repoRoot.appendingPathComponent("Tests/Fixtures/generated/tokenizer-golden.json")
    guard let d = try? Data(contentsOf: p) else { return nil }
    return try? JSONDecoder().decode(GoldenFile.self, from: d)
}()

func tokenizerUnderTest(_ name: String) throws -> Tokenizer {
    switch name {
    case "qwen2.5": return try Tokenizer.load(directory: referenceDir.appendingPathComponent("qwen2.5-coder-0.5b-instruct").path)
    case "gpt2": return try Tokenizer.load(directory: referenceDir.appendingPathComponent("gpt2").path)
    default:
        let models = repoRoot.appendingPathComponent("models")
        let dir = try FileManager.default.contentsOfDirectory(atPath: models.path).sorted()
            .first { FileManager.default.fileExists(atPath: models.appendingPathComponent("\($0)/tokenizer.json").path) }
        return try Tokenizer.load(directory: models.appendingPathComponent(try #require(dir)).path)
    }
}

@Suite struct TokenizerGoldenTests {
    @Test func fixturesArePresentAndLargeEnough() throws {
        let g = try #require(golden, "missing Tests/Fixtures/generated/tokenizer-golden.json: run python3 training/make_tokenizer_fixtures.py Tests/Fixtures/generated")
        #expect(g.bytes >= 2_000_000)
        #expect(Set(g.pieces.map(\.kind)).isSuperset(of: ["python", "swift", "go", "rust", "typescript", "c", "python-crlf", "python-cr", "whitespace", "digits", "unicode", "special-strings", "invalid-utf8"]))
    }

    /// 100% of pieces must produce exactly Hugging Face's ids, and decode back to the (NFC-normalised, for Qwen) text.
    @Test(arguments: ["qwen2.5", "gpt2", "unmask"])
    func idsEqualHuggingFace(name: String) throws {
        let g = try #require(golden)
        guard g.tokenizers.contains(name) else { return }   // "unmask" only once the default model exists
        let tok = try tokenizerUnderTest(name)
        var mismatches: [String] = []
        for (i, p) in g.pieces.enumerated() {
            let ids = tok.encode(p.text)
            if ids != p.ids[name]! {
                let k = zip(ids, p.ids[name]!).prefix { $0 == $1 }.count
                mismatches.append("piece \(i) (\(p.kind)) differs at token \(k): ours \(Array(ids[k..<min(ids.count, k + 5)])) vs \(Array(p.ids[name]![k..<min(p.ids[name]!.count, k + 5)]))")
            }
            let back = tok.decode(ids)
            let expected = tok.nfc ? p.text.precomposedStringWithCanonicalMapping : p.text
            if back.unicodeScalars.elementsEqual(expected.unicodeScalars) == false { mismatches.append("piece \(i) (\(p.kind)) does not round-trip") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(g.pieces.count) pieces: \(mismatches.prefix(5))")
    }

    @Test(arguments: [PreTokenizerPattern.gpt2, .qwen2, .llama3])
    func scannersEqualRegexes(pattern: PreTokenizerPattern) throws {
        let g = try #require(golden)
        var bad: [String] = []
        for (i, p) in g.pieces.enumerated() {
            let ours = PreTokenScanner(pattern: pattern).split(p.text.unicodeScalars.map(\.value))
            if ours != p.splits[pattern.rawValue]! { bad.append("piece \(i) (\(p.kind))") }
        }
        #expect(bad.isEmpty, "\(bad.count) pieces split differently: \(bad.prefix(5))")
    }
}
