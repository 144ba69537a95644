import Foundation
import Testing
@testable import Server
import Completion

/// The settings table is the one definition: the README's configuration table and VS Code's
/// `contributes.configuration` must be exactly what it generates (`unmask settings --markdown|--vscode`).
@Suite struct SettingsDocsTests {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func readmeConfigurationTableIsGenerated() throws {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- settings:begin"), "README has no settings:begin marker")
        let afterMarker = try #require(readme.range(of: "-->\n", range: begin.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "<!-- settings:end -->"))
        let block = String(readme[afterMarker.upperBound..<end.lowerBound])
        #expect(block == Settings.table.markdown(defaults: Settings()), "README's table differs: regenerate it with python3 docs/sync_settings.py")
    }

    @Test func vscodeContributesEverySettingAsTheTableSays() throws {
        let data = try Data(contentsOf: root.appendingPathComponent("editors/vscode/package.json"))
        let pkg = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let props = try #require(((pkg["contributes"] as? [String: Any])?["configuration"] as? [String: Any])?["properties"] as? [String: Any])
        let clientOnly: Set<String> = ["unmask.serverPath"]
        let expected = Settings.table.vscodeProperties(defaults: Settings())
        #expect(Set(props.keys).subtracting(clientOnly) == Set(expected.keys))
        func canonical(_ v: Any?) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: try #require(v), options: [.sortedKeys]), as: UTF8.self)
        }
        for (k, v) in expected {
            #expect(try canonical(v) == canonical(props[k]), "\(k): regenerate with python3 docs/sync_settings.py")
        }
    }

    @Test func everyKeyIsDefinedOnceAndHasADoc() {
        let keys = Settings.table.specs.map(\.key)
        #expect(Set(keys).count == keys.count)
        for s in Settings.table.specs { #expect(!s.doc.isEmpty, "\(s.key)") }
        let flags = EngineSettings.table.specs.compactMap(\.flag?.name)
        #expect(Set(flags).count == flags.count)
    }

    @Test func emptyArraysStandForEmptyObjectsAndUnknownNestedKeysAreNamed() {
        var s = Settings()
        #expect(Settings.table.apply(json: ["enable": [Any]()], to: &s).isEmpty)
        let p = Settings.table.apply(json: ["enable": ["inline": false, "nope": true]], to: &s)
        #expect(!s.server.enableInline && p.count == 1 && p[0].message.contains("unmask.enable.nope") && p[0].message.contains("inline"))
        #expect(Settings.table.apply(json: ["enable": 3], to: &s).first?.message.contains("expected an object") == true)
    }
}
