/// A backend failure the server reports once per distinct kind (then only logs it) and, for inline
/// requests, answers with an empty list instead of an error: the editor keeps working while the engine is away.
public protocol BackendFailure: Error, CustomStringConvertible {
    /// Equal for repeats of the same failure (the same cause at the same URL).
    var failureKey: String { get }
}

/// Everything that can go wrong talking to a remote engine. Messages name the URL, the status and a
/// hint; never the API key (401/403 name the environment variable and whether it is set).
public enum RemoteError: BackendFailure, Equatable {
    case badURL(String)
    case missingSetting(String)
    case keyEnvUnset(name: String)
    case connectionRefused(url: String)
    case unresolvableHost(host: String)
    case tls(url: String, detail: String)
    case timeout(url: String, ms: Int)
    case unauthorized(url: String, status: Int, keyEnv: String?, keySet: Bool)
    case unknownModel(url: String, model: String, detail: String)
    case rateLimited(url: String, retryAfter: Int?)
    case status(url: String, status: Int, detail: String)
    case badBody(url: String, detail: String)
    case tooLarge(url: String, limit: Int)
    case streamCut(url: String)
    case network(url: String, detail: String)
    case unsupported(String)

    public var failureKey: String {
        switch self {
        case .badURL, .missingSetting, .keyEnvUnset, .unsupported: return description
        case .connectionRefused(let u), .timeout(let u, _), .rateLimited(let u, _), .tooLarge(let u, _), .streamCut(let u), .tls(let u, _), .network(let u, _):
            return "\(Self.kind(self)) \(u)"
        case .unresolvableHost(let h): return "unresolvable \(h)"
        case .unauthorized(let u, let s, _, _): return "\(s) \(u)"
        case .unknownModel(let u, let m, _): return "model \(m) \(u)"
        case .status(let u, let s, _): return "\(s) \(u)"
        case .badBody(let u, _): return "body \(u)"
        }
    }

    static func kind(_ e: RemoteError) -> String { String(String(describing: e).prefix { $0 != "(" }) }

    public var description: String {
        switch self {
        case .badURL(let u): return "remote.url \"\(u)\" is not an http:// or https:// URL. Hint: e.g. http://localhost:8000/v1"
        case .missingSetting(let k): return "\(k) is not set; a remote backend needs it. Hint: set unmask.\(k)"
        case .keyEnvUnset(let n): return "remote.apiKeyEnv names \(n), which is not set in the server's environment. Hint: export \(n) before starting the editor"
        case .connectionRefused(let u): return "cannot connect to \(u): connection refused. Hint: is the engine running, on that port?"
        case .unresolvableHost(let h): return "cannot resolve the host \(h). Hint: check remote.url"
        case let .tls(u, d): return "TLS failure talking to \(u): \(d). Hint: the certificate must be trusted by the system's CA store"
        case let .timeout(u, ms): return "\(u) did not answer within \(ms) ms (remote.timeoutMs)"
        case let .unauthorized(u, s, env, set):
            let key = env.map { "remote.apiKeyEnv is \($0), which is \(set ? "set" : "not set")" } ?? "no API key is sent (remote.apiKeyEnv is unset)"
            return "\(u) refused the request with \(s) \(s == 401 ? "Unauthorized" : "Forbidden"); \(key). Hint: check the key"
        case let .unknownModel(u, m, d): return "\(u) does not serve the model \"\(m)\"\(d.isEmpty ? "" : ": \(d)"). Hint: check remote.model"
        case let .rateLimited(u, r): return "rate limited by \(u)\(r.map { "; retry after \($0) s" } ?? "")"
        case let .status(u, s, d): return "\(u) answered \(s)\(d.isEmpty ? "" : ": \(d)")"
        case let .badBody(u, d): return "\(u) sent an answer that is not the expected JSON: \(d)"
        case let .tooLarge(u, l): return "\(u) sent more than \(l / 1_048_576) MB; the answer was dropped"
        case .streamCut(let u): return "the stream from \(u) stopped in the middle of an event"
        case let .network(u, d): return "talking to \(u) failed: \(d)"
        case .unsupported(let s): return s
        }
    }
}
