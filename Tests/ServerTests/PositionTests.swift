import Testing
@testable import LSP
@testable import Server

@Suite struct PositionTests {
    // "a😀b\r\ncé\rz": line 0 = a😀b (😀: 4 UTF-8 bytes, 2 UTF-16 units, 1 scalar), line 1 = cé, line 2 = z
    let doc = TextDocument(uri: "u", languageID: "x", version: 1, text: "a😀b\r\ncé\rz")

    @Test(arguments: [
        (PositionEncoding.utf16, 0, 3, 5), (.utf8, 0, 5, 5), (.utf32, 0, 2, 5),
        (.utf16, 1, 1, 9), (.utf16, 1, 2, 11), (.utf8, 1, 3, 11), (.utf32, 2, 1, 13), (.utf16, 2, 0, 12),
    ])
    func offsets(_ e: PositionEncoding, _ line: Int, _ ch: Int, _ expected: Int) {
        let (o, clamped) = doc.offset(of: Position(line: line, character: ch), encoding: e)
        #expect(o == expected && !clamped)
        #expect(doc.position(of: o, encoding: e) == Position(line: line, character: ch))
    }

    @Test func clamping() {
        #expect(doc.offset(of: Position(line: 0, character: 50), encoding: .utf16) == (6, true))     // end of line 0, before \r\n
        #expect(doc.offset(of: Position(line: 9, character: 0), encoding: .utf16) == (13, true))     // end of document
        #expect(doc.offset(of: Position(line: 0, character: 2), encoding: .utf16) == (1, true))      // inside the surrogate pair
        #expect(doc.offset(of: Position(line: 0, character: 2), encoding: .utf8) == (1, true))       // inside the UTF-8 sequence
        #expect(doc.offset(of: Position(line: -1, character: 0), encoding: .utf16).clamped)
    }

    @Test func offsetsInsideACharacterRoundDown() {
        // Found by the positions fuzzer: byte 2 lies inside 😀 (bytes 1..<5); it must map to 😀's start.
        for e in [PositionEncoding.utf8, .utf16, .utf32] {
            let p = doc.position(of: 2, encoding: e)
            #expect(doc.offset(of: p, encoding: e).offset == 1)
        }
    }

    @Test func lineStartsForEveryLineEnding() {
        #expect(doc.lineStarts == [0, 8, 12])
        let d = TextDocument(uri: "u", languageID: "x", version: 1, text: "\n\r\n\r")
        #expect(d.lineStarts == [0, 1, 3, 4])
    }

    @Test func lengths() {
        #expect(TextDocument.length("😀é", .utf16) == 3 && TextDocument.length("😀é", .utf8) == 6 && TextDocument.length("😀é", .utf32) == 2)
    }
}
