import Foundation
import Testing
@testable import Tokenizer

/// Chat templates rendered by Unmask's Jinja interpreter equal transformers' renderings byte for byte
/// (Tests/Fixtures/templates, made by training/make_template_fixtures.py with transformers 5.24.0 and
/// jinja2 3.1.6), and what it lacks is an error naming the construct and the line.
@Suite struct ChatTemplateTests {
    struct Fixture: Decodable {
        struct Template: Decodable { let chat_template: String; let special_tokens: [String: String] }
        struct Case: Decodable { let model: String; let conversation: String; let add_generation_prompt: Bool; let prompt: String }
        let templates: [String: Template]; let cases: [Case]
    }

    static let fixturePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/templates/chat-templates.json").standardized

    func load() throws -> (Fixture, [String: [JinjaValue]]) {
        let data = try Data(contentsOf: Self.fixturePath)
        let f = try JSONDecoder().decode(Fixture.self, from: data)
        // The messages as the file orders their keys.
        let raw = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var conversations: [String: [JinjaValue]] = [:]
        for c in raw["cases"] as! [[String: Any]] {
            conversations[c["conversation"] as! String] = try ChatTemplate.messages(json: JSONSerialization.data(withJSONObject: c["messages"]!))
        }
        return (f, conversations)
    }

    @Test func everyReferenceTemplateRendersAsTransformersDoes() throws {
        let (f, conversations) = try load()
        #expect(f.cases.count >= 50 && Set(f.cases.map(\.model)).count >= 5)
        for c in f.cases {
            let t = try #require(f.templates[c.model])
            let template = try ChatTemplate(source: t.chat_template, specialTokens: t.special_tokens)
            let ours = try template.render(messages: try #require(conversations[c.conversation]), addGenerationPrompt: c.add_generation_prompt)
            #expect(ours == c.prompt, "\(c.model) \(c.conversation) generation prompt \(c.add_generation_prompt)")
        }
    }

    @Test(.enabled(if: referencePresent)) func loadReadsTheTemplateAndTokensFromTokenizerConfig() throws {
        let (f, _) = try load()
        for (model, t) in f.templates {
            let loaded = try ChatTemplate.load(directory: referenceDir.appendingPathComponent(model).path)
            #expect(loaded.specialTokens == t.special_tokens, "\(model)")
        }
        #expect(throws: TokenizerError.noChatTemplate(directory: referenceDir.appendingPathComponent("gpt2").path)) {
            try ChatTemplate.load(directory: referenceDir.appendingPathComponent("gpt2").path)
        }
    }

    @Test(arguments: [
        ("{% macro m() %}x{% endmacro %}", "{% macro %}", 1),
        ("a\n{{ x | wordwrap }}", "the filter 'wordwrap'", 2),
        ("{% set x %}y{% endset %}", "a block {% set %}", 1),
        ("\n\n{{ 'a'.zfill(3) }}", "the method .zfill()", 3),
        ("{{ foo() }}", "the function foo()", 1),
    ])
    func missingFeaturesNameTheConstructAndLine(source: String, construct: String, line: Int) {
        do {
            _ = try JinjaTemplate(source).render(["x": .string("x")])
            Issue.record("\(source) rendered")
        } catch let e as JinjaError {
            guard case let .unsupported(c, l) = e else { Issue.record("\(e)"); return }
            #expect(c.contains(construct) && l == line, "\(e)")
        } catch { Issue.record("\(error)") }
    }

    @Test func raiseExceptionAndSyntaxErrorsAreErrors() {
        #expect(throws: JinjaError.raised("roles must alternate", line: 1)) {
            try JinjaTemplate("{{ raise_exception('roles must alternate') }}").render([:])
        }
        #expect(throws: JinjaError.self) { try JinjaTemplate("{% if x %}never closed").render([:]) }
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ x.y }}").render([:]) }
    }

    /// Semantics templates depend on: loop scoping with namespace, slicing, filters, tests, whitespace control.
    @Test func semantics() throws {
        func r(_ s: String, _ c: [String: JinjaValue] = [:]) throws -> String { try JinjaTemplate(s).render(c) }
        let xs: JinjaValue = .array([.int(1), .int(2), .int(3)])
        #expect(try r("{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% set y = x %}{% endfor %}{{ ns.n }}{{ y }}", ["xs": xs]) == "6")
        #expect(try r("{{ xs[::-1] }}|{{ xs[1:] }}|{{ xs | length - 1 }}", ["xs": xs]) == "[3, 2, 1]|[2, 3]|2")
        #expect(try r("{%- for x in xs %}\n  {{ loop.index0 }}{% if loop.last %}!{% endif %}\n{%- endfor %}", ["xs": xs]) == "  0  1  2!")
        #expect(try r("  {% if true %}\nyes\n  {% endif %}\nend") == "yes\nend")
        #expect(try r("{{ ' a ' | trim }}{{ 'x,y'.split(',') }}{{ 'ab'.startswith('a') }}{{ none is none }}{{ u is defined }}") == "a['x', 'y']TrueTrueFalse")
        #expect(try r("{{ {'a': [1, 'é'], 'b': none} | tojson }}") == #"{"a": [1, "é"], "b": null}"#)
        #expect(try r("{{ 'x' if false else 'y' }}{{ 1 ~ 2 }}{{ 7 // 2 }}{{ -7 % 3 }}{{ 'ab' * 2 }}") == "y1232abab")
    }
}
