// libFuzzer target: position conversion and incremental edits on random documents. The input is split
// into a document and a list of edits; after every edit the store's text must equal a reference model
// computed on plain Swift strings, and positions must round-trip.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count > 2 else { return 0 }
    let split = min(Int(bytes[0]), bytes.count - 1)   // document = bytes[1 ..< 1+split]
    let text = String(decoding: bytes[1..<(1 + split)], as: UTF8.self)
    var store = DocumentStore()
    store.open(TextDocument(uri: "u", languageID: "x", version: 0, text: text))
    var reference = Array(text.utf8)
    var i = 1 + split, version = 1
    for enc in [PositionEncoding.utf16, .utf8, .utf32] {
        let doc = store["u"]!
        for off in stride(from: 0, through: doc.bytes.count, by: max(1, doc.bytes.count / 7 + 1)) {
            let p = doc.position(of: off, encoding: enc)
            let back = doc.offset(of: p, encoding: enc).offset
            precondition(back <= off && back >= 0, "position round trip moved forward")
        }
    }
    while i + 5 <= bytes.count {
        let enc: PositionEncoding = [.utf16, .utf8, .utf32][Int(bytes[i] % 3)]
        let doc = store["u"]!
        let a = Position(line: Int(bytes[i + 1] % 8), character: Int(bytes[i + 2] % 40))
        let b = Position(line: Int(bytes[i + 3] % 8), character: Int(bytes[i + 4] % 40))
        let insert = String(decoding: bytes[(i + 5)..<min(bytes.count, i + 5 + Int(bytes[i] % 6))], as: UTF8.self)
        i += 5 + Int(bytes[i] % 6)
        let (oa, _) = doc.offset(of: a, encoding: enc), (ob, _) = doc.offset(of: b, encoding: enc)
        let change = TextDocumentContentChangeEvent(range: Range(start: a, end: b), text: insert)
        let ok = (try? store.change(uri: "u", version: version, changes: [change], encoding: enc, maxBytes: 1 << 20)) != nil
        if (a.line, a.character) <= (b.line, b.character) {
            precondition(ok, "a valid edit was refused")
            reference.replaceSubrange(oa..<max(oa, ob), with: Array(insert.utf8))
        } else {
            precondition(!ok, "an edit with start after end was applied")
        }
        version += 1
        precondition(store["u"]!.bytes == reference, "document differs from the reference after an edit")
    }
    return 0
}
