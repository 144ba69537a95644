import Foundation
import Testing
@testable import Completion

@Suite struct PostProcessingTests {
    let p = PostProcessor()

    @Test(arguments: [
        // (raw fill, shape, text after the hole, expected)
        ("foo(a, b))", PostProcessor.Shape.midLine, ")\nnext()", "foo(a, b)"),          // no duplicated closing paren
        ("x + 1  \nextra line", .finishLine, "\n", "x + 1"),                            // one line, no trailing spaces
        ("value]", .midLine, "]", "value"),
        ("name", .midLine, "name = 1", "name"),                                          // identifiers are not trimmed as overlap
        ("    a = 1   \n    b = 2\n\n    c = 3\n", .lines(max: 8), "\nreturn", "    a = 1\n    b = 2"),   // a block ends at a blank line
        ("    a\n    b\n    c", .lines(max: 2), "", "    a\n    b"),
        ("    x = 1\n    return x", .lines(max: 8), "\n    return x\n", "    x = 1"),      // last line repeats what follows
        ("a\r\nb", .free, "", "a\nb"),
    ])
    func cleans(raw: String, shape: PostProcessor.Shape, following: String, expected: String) {
        #expect(p.clean(raw, shape: shape, following: Substring(following)) == expected)
    }
}

@Suite struct FunctionFinderTests {
    let f = FunctionFinder()

    func body(_ text: String, at marker: String, _ lang: String) -> String? {
        let off = text.utf8.count - text.split(separator: marker.first!, maxSplits: 1, omittingEmptySubsequences: false)[1].utf8.count - 1
        guard let r = f.enclosingBody(in: text.replacingOccurrences(of: marker, with: " "), at: off, languageID: lang) else { return nil }
        return String(decoding: Array(text.replacingOccurrences(of: marker, with: " ").utf8)[r], as: UTF8.self)
    }

    @Test func swiftBraces() {
        let src = "struct S {\n    func f(x: Int) -> Int {\n        if x > 0 { return 1 }\n        return @0\n    }\n}\n"
        #expect(body(src, at: "@", "swift") == "\n        if x > 0 { return 1 }\n        return  0\n    ")
    }

    @Test func pythonIndentation() {
        let src = "import os\n\ndef f(a,\n      b):\n    x = a\n    return @x\n\n\ndef g():\n    pass\n"
        #expect(body(src, at: "@", "python") == "    x = a\n    return  x")
    }

    @Test func noFunction() {
        #expect(f.enclosingBody(in: "let x = 1\n", at: 3, languageID: "swift") == nil)
    }
}

@Suite struct SettingsTests {
    func apply(_ o: [String: Any], to s: inout EngineSettings) -> [String] { EngineSettings.table.apply(json: o, to: &s).map(\.message) }

    @Test func unknownAndIllTypedKeysAreReportedAndLeaveTheValue() {
        var s = EngineSettings()
        #expect(apply(["steps": 8], to: &s).isEmpty && s.steps == 8)
        #expect(apply(["steps": "many"], to: &s).first?.contains("unmask.steps") == true && s.steps == 8)
        #expect(apply(["steps": "auto"], to: &s).isEmpty && s.steps == nil)
        #expect(apply(["threshold": 2.0], to: &s).first?.contains("0.01...1") == true && s.threshold == 0.9)
        #expect(apply(["algorithm": "entropy"], to: &s).isEmpty && s.algorithm == .entropy)
        #expect(apply(["bogus": 1], to: &s).first?.contains("unknown setting") == true)
        #expect(apply(["maxTokens": true], to: &s).first?.contains("got true") == true && s.maxTokens == 48)
        #expect(apply(["tokensPerStep": 2, "blockLength": NSNull()], to: &s).isEmpty && s.tokensPerStep == 2 && s.blockLength == nil)
        // One bad key does not stop the others.
        let problems = apply(["contextTokens": 512, "temperature": "hot", "seed": 7], to: &s)
        #expect(problems.count == 1 && s.contextTokens == 512 && s.seed == 7)
    }

    @Test func everySettingsDefaultIsInItsOwnRangeAndReadsBack() throws {
        let d = EngineSettings()
        for spec in EngineSettings.table.specs {
            var s = EngineSettings()
            let v = spec.read(d)
            spec.write(&s, v)
            #expect(spec.read(s) == v, "\(spec.key)")
            // The default survives a round trip through the same validation editors' values get.
            if v != .unset { #expect(try spec.parse(json: v.json) == v, "\(spec.key)") }
        }
    }

    @Test func commandLineTextParsesThroughTheSameSpecs() throws {
        let steps = try #require(EngineSettings.table.spec("steps"))
        #expect(try steps.parse(text: "auto") == .auto)
        #expect(try steps.parse(text: "12") == .int(12))
        #expect(throws: SettingError.self) { try steps.parse(text: "0") }
        let threshold = try #require(EngineSettings.table.spec("threshold"))
        #expect(throws: SettingError.self) { try threshold.parse(text: "1.5") }
    }
}
