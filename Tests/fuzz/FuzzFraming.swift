// libFuzzer target: Content-Length framing and JSON-RPC decoding on arbitrary bytes, fed in random splits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var framer = MessageFramer()
    var i = 0
    let split = size > 0 ? Int(bytes[0] % 17) + 1 : 1
    while i < bytes.count {
        for event in framer.feed(bytes[i..<min(bytes.count, i + split)]) {
            if case .body(let b) = event, let v = try? JSONParser.parse(b) {
                _ = Message.from(v)
                _ = v.serialized()
            }
        }
        i += split
    }
    _ = framer.finish()
    // The body parser on its own, too.
    if let v = try? JSONParser.parse(bytes) {
        let again = try? JSONParser.parse(v.serialized())
        precondition(again == v, "JSON round trip changed a value")
    }
    return 0
}
