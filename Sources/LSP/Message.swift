/// A JSON-RPC request id: a number or a string.
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case int(Int), string(String)
    public var json: JSONValue { switch self { case .int(let i): return .int(i); case .string(let s): return .string(s) } }
    public init?(_ v: JSONValue) {
        switch v { case .int(let i): self = .int(i); case .string(let s): self = .string(s); default: return nil }
    }
    public var description: String { switch self { case .int(let i): return "\(i)"; case .string(let s): return "\"\(s)\"" } }
}

/// JSON-RPC error codes used by LSP.
public struct ResponseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Int
    public let message: String
    public let data: JSONValue?
    public init(code: Int, message: String, data: JSONValue? = nil) { self.code = code; self.message = message; self.data = data }

    public static func parseError(_ m: String) -> ResponseError { .init(code: -32700, message: m) }
    public static func invalidRequest(_ m: String) -> ResponseError { .init(code: -32600, message: m) }
    public static func methodNotFound(_ method: String) -> ResponseError { .init(code: -32601, message: "unhandled method '\(method)'") }
    public static func invalidParams(_ m: String) -> ResponseError { .init(code: -32602, message: m) }
    public static func internalError(_ m: String) -> ResponseError { .init(code: -32603, message: m) }
    public static let serverNotInitialized = ResponseError(code: -32002, message: "the server has not received 'initialize' yet")
    public static let requestCancelled = ResponseError(code: -32800, message: "request cancelled")
    public static func requestFailed(_ m: String) -> ResponseError { .init(code: -32803, message: m) }
    public static func contentModified(_ m: String) -> ResponseError { .init(code: -32801, message: m) }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["code": .int(code), "message": .string(message)]
        if let data { o["data"] = data }
        return .object(o)
    }
    public var description: String { "\(code): \(message)" }
}

/// One JSON-RPC 2.0 message.
public enum Message: Equatable, Sendable {
    case request(id: RequestID, method: String, params: JSONValue)
    case notification(method: String, params: JSONValue)
    case response(id: RequestID?, result: Result<JSONValue, ResponseError>)

    public var json: JSONValue {
        switch self {
        case let .request(id, m, p): return ["jsonrpc": "2.0", "id": id.json, "method": .string(m), "params": p]
        case let .notification(m, p): return ["jsonrpc": "2.0", "method": .string(m), "params": p]
        case let .response(id, .success(r)): return ["jsonrpc": "2.0", "id": id?.json ?? .null, "result": r]
        case let .response(id, .failure(e)): return ["jsonrpc": "2.0", "id": id?.json ?? .null, "error": e.json]
        }
    }

    /// Interprets a parsed JSON value. A value that is not a valid message yields the error to answer
    /// with (and the id, when one could be read).
    public static func from(_ v: JSONValue) -> Result<Message, InvalidMessage> {
        if case .array = v { return .failure(InvalidMessage(id: nil, error: .invalidRequest("batch requests are not supported by LSP; send one message per frame"))) }
        guard case .object(let o) = v else { return .failure(InvalidMessage(id: nil, error: .invalidRequest("a message must be a JSON object, got \(v.typeName)"))) }
        let id = o["id"].flatMap(RequestID.init)
        if let idv = o["id"], idv != .null, id == nil { return .failure(InvalidMessage(id: nil, error: .invalidRequest("'id' must be a number or a string"))) }
        if let m = o["method"] {
            guard let method = m.stringValue else { return .failure(InvalidMessage(id: id, error: .invalidRequest("'method' must be a string"))) }
            let params = o["params"] ?? .null
            if let params = o["params"], params.arrayValue == nil, params.objectValue == nil, params != .null {
                return .failure(InvalidMessage(id: id, error: .invalidRequest("'params' must be an object or an array")))
            }
            if let id { return .success(.request(id: id, method: method, params: params)) }
            return .success(.notification(method: method, params: params))
        }
        if o["result"] != nil || o["error"] != nil {
            if let e = o["error"] {
                let err = ResponseError(code: e["code"]?.intValue ?? -32603, message: e["message"]?.stringValue ?? "unknown error", data: e["data"])
                return .success(.response(id: id, result: .failure(err)))
            }
            return .success(.response(id: id, result: .success(o["result"]!)))
        }
        return .failure(InvalidMessage(id: id, error: .invalidRequest("a message needs 'method' (request/notification) or 'result'/'error' (response)")))
    }
}

/// A parsed JSON value that is not a valid message: the error to answer with, and the id if one was readable.
public struct InvalidMessage: Error {
    public let id: RequestID?
    public let error: ResponseError
}
