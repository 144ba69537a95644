import Foundation
import Testing
@testable import Completion

/// Repair only fixes: a misspelt name is put right with a minimal edit, clean code is left alone with
/// "no repair found", rewrites pass their gate or say why, and next edits follow a rename.
@Suite(.tags(.slow)) struct RepairTests {
    /// The issue's example: one function whose helper's name can be misspelt (Tests/Fixtures/edits,
    /// shared with the Neovim test).
    static let source = try! String(contentsOf: repo.appendingPathComponent("Tests/Fixtures/edits/store.py"), encoding: .utf8)

    func request(_ kind: CompletionKind, _ text: String, region: Swift.Range<Int>) -> CompletionRequest {
        CompletionRequest(kind: kind, uri: "file:///t.py", version: 1, languageID: "python", text: text, cursor: region.lowerBound, selection: region)
    }

    func region(_ text: String, from: String, to: String) -> Swift.Range<Int> {
        let a = text.range(of: from)!.lowerBound, b = text.range(of: to, range: a..<text.endIndex)!.upperBound
        return text.utf8.distance(from: text.startIndex, to: a)..<text.utf8.distance(from: text.startIndex, to: b)
    }

    @Test func aMisspeltNameIsFixedWithAMinimalEdit() throws {
        let broken = Self.source.replacingOccurrences(of: "    ensure_directory(os.path", with: "    ensure_directry(os.path")
        let e = LocalBackend(bundle: try embedded())
        let r = request(.repair, broken, region: region(broken, from: "def save", to: "f.write(text)"))
        let res = try e.complete(r, settings: EngineSettings(), cancel: CancellationToken()) { _ in }
        #expect(res.edits.count == 1, "\(res.explanation ?? "")")
        let edit = try #require(res.edits.first)
        #expect(edit.range.count <= 2 && edit.newText.count <= 2, "not minimal: \(edit)")
        var fixed = Array(broken.utf8); fixed.replaceSubrange(edit.range, with: Array(edit.newText.utf8))
        #expect(String(decoding: fixed, as: UTF8.self) == Self.source)
    }

    @Test func cleanCodeIsLeftAloneAndSaysSo() throws {
        let e = LocalBackend(bundle: try embedded())
        for (from, to) in [("def ensure", "return path"), ("def save", "f.write(text)")] {
            let res = try e.complete(request(.repair, Self.source, region: region(Self.source, from: from, to: to)), settings: EngineSettings(), cancel: CancellationToken()) { _ in }
            #expect(res.edits.isEmpty, "\(res.edits)")
            #expect(res.explanation?.hasPrefix("no repair found") == true)
        }
    }

    @Test func aRewriteThatBreaksTheShapeIsRefusedWithTheReason() {
        #expect(CodeShape.problem(old: Array("f(a, [b])".utf8), new: Array("f(a, [b)".utf8), languageID: "python") != nil)
        #expect(CodeShape.problem(old: Array("    x = (1,\n".utf8), new: Array("    x = (1, 2,\n".utf8), languageID: "python") == nil)
        #expect(CodeShape.problem(old: Array("    a\n    b".utf8), new: Array("    a\nb".utf8), languageID: "python")?.contains("indented") == true)
        // Brackets inside strings and comments do not count.
        #expect(CodeShape.problem(old: Array("x = '('  # )".utf8), new: Array("x = 1".utf8), languageID: "python") == nil)
        #expect(CodeShape(Array("s = \"{\" // }\n/* ( */ f()".utf8), languageID: "javascript").unclosedOpeners.isEmpty)
    }

    @Test func aRenameIsFollowedToTheOtherUses() throws {
        let before = "def total(xs):\n    count = 0\n    for x in xs:\n        count += x\n    return count\n"
        let after = before.replacingOccurrences(of: "    count = 0", with: "    acc = 0")
        let at = after.utf8.distance(from: after.startIndex, to: after.range(of: "acc")!.lowerBound)
        var r = request(.nextEdit, after, region: at..<at)
        r.selection = nil
        r.recentEdits = [RecentEdit(offset: at, removed: "count", inserted: "acc")]
        let e = LocalBackend(bundle: try embedded())
        let res = try e.complete(r, settings: EngineSettings(), cancel: CancellationToken()) { _ in }
        #expect(!res.edits.isEmpty && res.edits.allSatisfy { $0.newText == "acc" && String(decoding: Array(after.utf8)[$0.range], as: UTF8.self) == "count" }, "\(res.edits) \(res.explanation ?? "")")
        // No recent edit: nothing to follow, said so.
        r.recentEdits = []
        #expect(try e.complete(r, settings: EngineSettings(), cancel: CancellationToken()) { _ in }.explanation?.contains("no recent edit") == true)
    }

    @Test func minimalEditsKeepCharactersWhole() {
        let e = Repairer.minimalEdit(old: Array("x = 'é'".utf8), new: Array("x = 'è'".utf8), at: 10)
        #expect(e?.newText == "è" && e?.range.count == 2)
        #expect(Repairer.minimalEdit(old: Array("same".utf8), new: Array("same".utf8), at: 0) == nil)
    }

    @Test func identifierNeighboursAreOneEditAway() {
        let ids = Identifiers(Array("ensure_directory(p); ensure_directory(q); ensure_directry(r); item items".utf8))
        #expect(ids.neighbours(of: "ensure_directry") == ["ensure_directory"])
        #expect(Identifiers.distance(Array("abcd".utf8), Array("abdc".utf8), limit: 1) == 1)
        #expect(Identifiers.distance(Array("abcd".utf8), Array("wxyz".utf8), limit: 2) == 3)
    }
}
