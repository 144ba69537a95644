import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Receives what arrives on a connection. Called on the connection's reader thread: must not block.
public protocol MessageHandler: AnyObject, Sendable {
    func handle(_ message: Message, connection: Connection)
    /// A frame or body that could not be read; the connection already answered or logged it.
    func handleProtocolError(_ description: String, connection: Connection)
    func connectionClosed(_ connection: Connection)
}

/// A JSON-RPC connection over two file descriptors (stdin/stdout for `unmask lsp`, pipes in tests).
/// Reading happens on a dedicated thread and never waits on work; writes are serialised by a lock.
/// Outgoing requests get ids `unmask-N`, and the client's responses are matched back by id.
public final class Connection: @unchecked Sendable {
    let input: Int32
    let output: Int32
    let trace: FileHandle?
    let writeLock = NSLock()
    let stateLock = NSLock()
    var nextID = 1
    var pending: [RequestID: (Result<JSONValue, ResponseError>) -> Void] = [:]
    public private(set) var closed = false
    /// Where diagnostics about the stream go (stderr by default).
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("unmask: " + $0 + "\n").utf8)) }

    public init(input: Int32, output: Int32, trace: FileHandle? = nil) {
        self.input = input; self.output = output; self.trace = trace
    }

    /// Starts the reader thread.
    public func start(handler: MessageHandler) {
        let t = Thread { [self] in self.readLoop(handler) }
        t.name = "unmask-reader"
        t.stackSize = 8 << 20
        t.start()
    }

    func readLoop(_ handler: MessageHandler) {
        var framer = MessageFramer()
        let bufSize = 1 << 16
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: bufSize)
        defer { buf.deallocate() }
        while true {
            let n = read(input, buf, bufSize)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let chunk = UnsafeBufferPointer(start: buf, count: n)
            trace?.write(Data(chunk))
            for event in framer.feed(chunk) { process(event, handler) }
        }
        if let leftover = framer.finish() { handler.handleProtocolError(leftover, connection: self) }
        stateLock.lock(); closed = true; let waiting = pending; pending = [:]; stateLock.unlock()
        for (_, cb) in waiting { cb(.failure(.internalError("connection closed"))) }
        handler.connectionClosed(self)
    }

    func process(_ event: MessageFramer.Event, _ handler: MessageHandler) {
        switch event {
        case .headerError(let e):
            handler.handleProtocolError("bad frame: \(e)", connection: self)
        case .body(let bytes):
            let value: JSONValue
            do {
                let (v, repaired) = try JSONParser.parseReportingRepairs(bytes)
                if repaired > 0 { log("a message held \(repaired) bytes of invalid UTF-8; they were replaced by U+FFFD") }
                value = v
            } catch {
                send(.response(id: nil, result: .failure(.parseError("invalid JSON: \(error)"))))
                handler.handleProtocolError("invalid JSON: \(error)", connection: self)
                return
            }
            switch Message.from(value) {
            case .failure(let bad):
                send(.response(id: bad.id, result: .failure(bad.error)))
                handler.handleProtocolError(bad.error.message, connection: self)
            case .success(.response(let id, let result)):
                stateLock.lock(); let cb = id.flatMap { pending.removeValue(forKey: $0) }; stateLock.unlock()
                if let cb { cb(result) } else { log("response for unknown request id \(id.map { $0.description } ?? "null") ignored") }
            case .success(let m):
                handler.handle(m, connection: self)
            }
        }
    }

    public func send(_ message: Message) {
        let framed = MessageFramer.frame(message.json.serialized())
        writeLock.lock(); defer { writeLock.unlock() }
        trace?.write(Data(framed))
        framed.withUnsafeBufferPointer { p in
            var off = 0
            while off < p.count {
                let w = write(output, p.baseAddress! + off, p.count - off)
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { return }
                off += w
            }
        }
    }

    public func respond(_ id: RequestID, _ result: Result<JSONValue, ResponseError>) { send(.response(id: id, result: result)) }
    public func notify(_ method: String, _ params: JSONValue) { send(.notification(method: method, params: params)) }

    /// Sends a request to the client; `reply` runs on the reader thread when its response arrives.
    public func request(_ method: String, _ params: JSONValue, reply: @escaping (Result<JSONValue, ResponseError>) -> Void) {
        stateLock.lock()
        if closed { stateLock.unlock(); reply(.failure(.internalError("connection closed"))); return }
        let id = RequestID.string("unmask-\(nextID)"); nextID += 1
        pending[id] = reply
        stateLock.unlock()
        send(.request(id: id, method: method, params: params))
    }
}
