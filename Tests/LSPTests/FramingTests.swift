import Foundation
import Testing
@testable import LSP

func frame(_ s: String) -> [UInt8] { MessageFramer.frame(Array(s.utf8)) }

@Suite struct FramingTests {
    let bodies = [#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#, #"{"jsonrpc":"2.0","method":"x","params":{"t":"é😀\n"}}"#, "{}"]

    func collect(_ chunks: [[UInt8]]) -> [MessageFramer.Event] {
        var f = MessageFramer()
        return chunks.flatMap { f.feed($0) }
    }

    @Test func byteByByte() {
        let all = bodies.flatMap(frame)
        let events = collect(all.map { [$0] })
        #expect(events == bodies.map { .body(Array($0.utf8)) })
    }

    @Test(arguments: [1, 2, 3, 5, 8, 13, 21])
    func randomSplits(seed: UInt64) {
        var s = seed
        let all = bodies.flatMap(frame)
        var chunks: [[UInt8]] = []
        var i = 0
        while i < all.count {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            let n = Int(s >> 59) + 1
            chunks.append(Array(all[i..<min(all.count, i + n)])); i += n
        }
        #expect(collect(chunks) == bodies.map { .body(Array($0.utf8)) })
    }

    @Test func severalMessagesInOneReadAndContentType() {
        let withType = Array("Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}".utf8)
        let events = collect([frame(bodies[0]) + withType + frame(bodies[1])])
        #expect(events == [.body(Array(bodies[0].utf8)), .body(Array("{}".utf8)), .body(Array(bodies[1].utf8))])
    }

    @Test func largeBody() {
        let big = "{\"t\":\"" + String(repeating: "x", count: 5_000_000) + "\"}"
        let all = frame(big)
        var chunks: [[UInt8]] = []
        var i = 0
        while i < all.count { chunks.append(Array(all[i..<min(all.count, i + 65536)])); i += 65536 }
        let e = collect(chunks)
        #expect(e.count == 1 && e.first == .body(Array(big.utf8)))
    }

    @Test func malformedHeadersAreReportedAndSkipped() {
        let bad = Array("Content-Length: abc\r\n\r\n".utf8) + Array("Foo\r\n\r\n".utf8) + Array("X-Other: 1\r\n\r\n".utf8) + frame("{}")
        let e = collect([bad])
        #expect(e.count == 4)
        #expect(e[0] == .headerError("Content-Length 'abc' is not a non-negative integer"))
        #expect(e[1] == .headerError("malformed header line 'Foo'"))
        #expect(e[2] == .headerError("header without Content-Length"))
        #expect(e[3] == .body(Array("{}".utf8)))
    }

    @Test func shortBodyAtEOF() {
        var f = MessageFramer()
        _ = f.feed(Array("Content-Length: 10\r\n\r\n{}".utf8))
        #expect(f.finish() == "input ended 8 bytes short of a 10-byte body")
    }
}

@Suite struct JSONTests {
    @Test func parsesAndRoundTrips() throws {
        let text = #"{"a":[1,-2,3.5,1e3,true,false,null],"s":"q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","o":{}}"#
        let v = try JSONParser.parse(Array(text.utf8))
        #expect(v["a"] == [1, -2, .double(3.5), .double(1000), true, false, nil])
        #expect(v["s"]?.stringValue == "q\"\\/\u{8}\u{c}\n\r\té😀")
        let again = try JSONParser.parse(v.serialized())
        #expect(again == v)
    }

    @Test(arguments: ["3133e333", "-1e999", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "01", "1.", "{\"a\":1}x", "\"\\x\"", "[\"\u{1}\"]"])
    func rejectsInvalid(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func invalidUTF8IsRepairedNotRefused() throws {
        let bytes: [UInt8] = Array(#"{"t":"a"#.utf8) + [0xFF, 0xC3] + Array("b\"}".utf8)
        let (v, repaired) = try JSONParser.parseReportingRepairs(bytes)
        #expect(repaired > 0)
        #expect(v["t"]?.stringValue == "a\u{FFFD}\u{FFFD}b")
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }
}

@Suite struct MessageTests {
    @Test func everyMessageTypeRoundTrips() throws {
        let msgs: [Message] = [
            .request(id: .int(1), method: "initialize", params: ["capabilities": [:]]),
            .request(id: .string("abc"), method: "x", params: [1, 2]),
            .notification(method: "initialized", params: [:]),
            .response(id: .int(3), result: .success(["items": []])),
            .response(id: .string("s"), result: .failure(.methodNotFound("foo"))),
        ]
        for m in msgs {
            let parsed = try JSONParser.parse(m.json.serialized())
            guard case .success(let back) = Message.from(parsed) else { Issue.record("did not parse \(m)"); continue }
            #expect(back == m)
        }
    }

    @Test func invalidMessagesGiveTheRightErrors() throws {
        func err(_ s: String) throws -> InvalidMessage? {
            if case .failure(let e) = Message.from(try JSONParser.parse(Array(s.utf8))) { return e }
            return nil
        }
        #expect(try err("[1,2]")?.error.code == -32600)
        #expect(try err("3")?.error.code == -32600)
        #expect(try err(#"{"id":1,"method":5}"#)?.error.code == -32600)
        #expect(try err(#"{"id":1,"method":"m","params":3}"#)?.id == .int(1))
        #expect(try err(#"{"id":[1],"method":"m"}"#)?.error.code == -32600)
        #expect(try err(#"{"jsonrpc":"2.0"}"#)?.error.code == -32600)
    }

    @Test func codableParamsNameTheBadField() {
        let v: JSONValue = ["textDocument": ["uri": 5], "position": ["line": 1, "character": 2]]
        #expect(throws: ResponseError.invalidParams("field 'textDocument.uri' must be String")) {
            try JSONBridge.decode(TextDocumentPositionParams.self, from: v)
        }
        let missing: JSONValue = ["textDocument": ["uri": "a"]]
        #expect(throws: ResponseError.invalidParams("missing field 'position'")) {
            try JSONBridge.decode(TextDocumentPositionParams.self, from: missing)
        }
    }
}
