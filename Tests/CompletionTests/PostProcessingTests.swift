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
    @Test func unknownAndIllTypedKeysAreReported() {
        var s = EngineSettings()
        #expect(s.apply("steps", 8) == nil && s.steps == 8)
        #expect(s.apply("steps", "many")?.contains("unmask.steps") == true && s.steps == 8)
        #expect(s.apply("threshold", 2.0) != nil)
        #expect(s.apply("algorithm", "entropy") == nil && s.algorithm == .entropy)
        #expect(s.apply("bogus", 1)?.contains("unknown setting") == true)
        #expect(s.apply("enable", ["inline": false]) == nil && !s.enableInline)
        #expect(s.apply("enable", ["nope": true]) != nil)
    }
}
