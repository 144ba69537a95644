import Foundation

/// A tiny synchronous LSP client over a child process's pipes (benchmarks only).
final class StdioClient {
    let process = Process()
    let toServer = Pipe(), fromServer = Pipe()
    var buffer = Data()
    var nextID = 1

    init(executable: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = toServer; process.standardOutput = fromServer
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func send(_ obj: [String: Any]) {
        let body = try! JSONSerialization.data(withJSONObject: obj)
        toServer.fileHandleForWriting.write(Data("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
    }
    func notify(_ method: String, _ params: Any?) { send(["jsonrpc": "2.0", "method": method, "params": params ?? NSNull()]) }

    func request(_ method: String, _ params: Any?) throws -> Any? {
        let id = nextID; nextID += 1
        send(["jsonrpc": "2.0", "id": id, "method": method, "params": params ?? NSNull()])
        while true {
            let msg = try read()
            if msg["id"] as? Int == id, msg["method"] == nil {
                if let e = msg["error"] { throw Arguments.Failure(description: "\(method) failed: \(e)") }
                return msg["result"]
            }
        }
    }

    func read() throws -> [String: Any] {
        while true {
            if let r = buffer.range(of: Data("\r\n\r\n".utf8)) {
                let header = String(decoding: buffer[buffer.startIndex..<r.lowerBound], as: UTF8.self)
                let n = Int(header.split(separator: ":").last!.trimmingCharacters(in: .whitespaces))!
                if buffer.count - (r.upperBound - buffer.startIndex) >= n {
                    let body = buffer[r.upperBound..<(r.upperBound + n)]
                    buffer = Data(buffer[(r.upperBound + n)...])
                    return try JSONSerialization.jsonObject(with: body) as! [String: Any]
                }
            }
            let chunk = fromServer.fileHandleForReading.availableData
            if chunk.isEmpty { throw Arguments.Failure(description: "server closed its output") }
            buffer.append(chunk)
        }
    }
}
