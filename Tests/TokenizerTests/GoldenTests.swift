import Foundation
import Testing
@testable import Tokenizer

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let referenceDir = repoRoot.appendingPathComponent("../shared/reference").standardized

struct GoldenPiece: Decodable { let kind: String; let text: String; let ids: [String: [Int32]]; let splits: [String: [Int]] }
struct GoldenFile: Decodable { let tokenizers: [String]; let bytes: Int; let pieces: [GoldenPiece] }

/// Fixtures made by `training/make_tokenizer_fixtures.py` (Hugging Face `tokenizers` and Python `regex`): the
/// full 2.7 MB corpus that `Tests/run.sh` generates, else the committed sample (two pieces of every kind).
let fullGolden: GoldenFile? = readGolden("Tests/Fixtures/generated/tokenizer-golden.json")
let golden: GoldenFile? = fullGolden ?? readGolden("Tests/Fixtures/tokenizer/tokenizer-golden-sample.json")
let referencePresent = FileManager.default.fileExists(atPath: referenceDir.appendingPathComponent("gpt2/vocab.json").path)

func readGolden(_ path: String) -> GoldenFile? {
    guard let d = try? Data(contentsOf: repoRoot.appendingPathComponent(path)) else { return nil }
    return try? JSONDecoder().decode(GoldenFile.self, from: d)
}

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
    @Test func fixturesArePresentAndCoverEveryKind() throws {
        let g = try #require(golden, "missing Tests/Fixtures/tokenizer/tokenizer-golden-sample.json (committed)")
        if fullGolden != nil { #expect(g.bytes >= 2_000_000) }
        #expect(Set(g.pieces.map(\.kind)).isSuperset(of: ["python", "swift", "go", "rust", "typescript", "c", "python-crlf", "python-cr", "whitespace", "digits", "unicode", "special-strings", "invalid-utf8"]))
    }

    /// 100% of pieces must produce exactly Hugging Face's ids, and decode back to the (NFC-normalised, for Qwen) text.
    @Test(.enabled(if: referencePresent, "../shared/reference is absent: the qwen2.5 and gpt2 vocabularies live there"),
          arguments: ["qwen2.5", "gpt2", "unmask"])
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
