import Foundation
import Testing
@testable import Tokenizer

/// The byte-level vocab.json reader must read exactly what JSONSerialization reads, or decline.
@Suite struct VocabJSONTests {
    @Test func readsWhatJSONSerializationReads() throws {
        let text = #"{"a": 0, "\u0120the":1 ,"\"q\\": 2, "\ud83d\ude00": 3, "x\/y\n\t": 4, "é漢": 5, "": 6}"#
        let ours = try #require(VocabJSON.parse(Data(text.utf8)))
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: NSNumber])
        #expect(ours.count == theirs.count)
        for (k, v) in ours { #expect(theirs[k]?.int32Value == v, "\(k)") }
        #expect(ours.map(\.0).contains("😀") && ours.map(\.0).contains("Ġthe"))
    }

    @Test(arguments: [#"{"a": 1.5}"#, #"{"a": [1]}"#, #"{"a": -1}"#, #"{"a": 1"#, #"{"a": 1} x"#, #"["a"]"#, #"{"\ud800": 1}"#, #"{"a": 99999999999}"#])
    func declinesAnythingElse(text: String) {
        #expect(VocabJSON.parse(Data(text.utf8)) == nil)
    }

    /// A real vocabulary read both ways gives the same map.
    @Test(.enabled(if: referencePresent)) func realVocabularyEqualsFoundation() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/reference/qwen2.5-coder-0.5b-instruct/vocab.json").standardized
        let d = try Data(contentsOf: path)
        let ours = try Tokenizer.vocabMap(try #require(VocabJSON.parse(d)), path: path.path)
        let theirs = try Tokenizer.vocabMap(try #require(try JSONSerialization.jsonObject(with: d) as? [String: Any]), path: path.path)
        #expect(ours == theirs && ours.count > 150_000)
    }
}
