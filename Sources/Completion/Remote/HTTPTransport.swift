import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What came back from one POST: status, headers (names lower-cased) and the whole body.
struct HTTPResponse: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data
    var isEventStream: Bool { headers["content-type"]?.hasPrefix("text/event-stream") ?? false }
}

/// POSTs on Foundation's `URLSession` (`FoundationNetworking` on Linux), called synchronously from the
/// inference worker: the delegate queues each chunk of the body as it arrives and the worker hands it
/// to `onData` on its own thread (so streams become frames as they come); the call fails after
/// `timeoutMs` in all, at 4 MB, and a cancelled token cancels the task, which closes the connection at
/// once. One session per backend, so connections are reused between requests.
final class HTTPTransport: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    static let maxBody = 4 << 20

    private final class Call: @unchecked Sendable {
        /// Signalled for every chunk and once at the end.
        let wake = DispatchSemaphore(value: 0)
        let lock = NSLock()
        var chunks: [Data] = []
        var finished = false
        var status = 0
        var headers: [String: String] = [:]
        var body = Data()
        var error: Error?
        var overLimit = false, timedOut = false, cancelled = false

        func take() -> (chunks: [Data], finished: Bool) {
            lock.lock(); defer { lock.unlock() }
            let c = chunks; chunks = []
            return (c, finished)
        }
    }

    private let lock = NSLock()
    private var calls: [Int: Call] = [:]
    private let queue: OperationQueue = { let q = OperationQueue(); q.maxConcurrentOperationCount = 1; return q }()
    private var session: URLSession!

    override init() {
        super.init()
        let config = URLSessionConfiguration.ephemeral
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: config, delegate: self, delegateQueue: queue)
    }

    deinit { session.invalidateAndCancel() }

    /// nil when `cancel` fired first.
    func post(_ url: URL, headers: [String: String], body: Data, timeoutMs: Int, cancel: CancellationToken,
              onData: (Data) -> Void = { _ in }) throws(RemoteError) -> HTTPResponse? {
        var req = URLRequest(url: url)
        req.httpMethod = "POST"
        req.httpBody = body
        // Our own timer enforces `timeoutMs`: FoundationNetworking hands timeoutInterval to libcurl in whole
        // seconds (300 ms became 0: an instant timeout), so it is only a backstop here.
        req.timeoutInterval = max(60, 2 * Double(timeoutMs) / 1000)
        for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
        let task = session.dataTask(with: req)
        let call = Call()
        lock.lock(); calls[task.taskIdentifier] = call; lock.unlock()
        defer { lock.lock(); calls[task.taskIdentifier] = nil; lock.unlock() }
        cancel.onCancel { [weak task] in call.cancelled = true; task?.cancel() }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(timeoutMs)) { [weak task] in
            if task?.state == .running { call.timedOut = true; task?.cancel() }
        }
        task.resume()
        while true {
            call.wake.wait()
            let (chunks, finished) = call.take()
            for c in chunks { onData(c) }
            if finished { break }
        }
        let where_ = url.absoluteString
        if call.cancelled { return nil }
        if call.timedOut { throw .timeout(url: where_, ms: timeoutMs) }
        if call.overLimit { throw .tooLarge(url: where_, limit: Self.maxBody) }
        if let e = call.error as NSError? { throw Self.failure(e, url: url, timeoutMs: timeoutMs) }
        return HTTPResponse(status: call.status, headers: call.headers, body: call.body)
    }

    /// What a URLSession error means for a user.
    static func failure(_ e: NSError, url: URL, timeoutMs: Int) -> RemoteError {
        let u = url.absoluteString
        // libcurl's TLS errors do not always arrive with a TLS code on Linux.
        let text = e.localizedDescription
        if url.scheme == "https" && (text.contains("SSL") || text.contains("certificate") || text.contains("TLS")) { return .tls(url: u, detail: text) }
        switch e.code {
        case NSURLErrorCannotConnectToHost: return .connectionRefused(url: u)
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return .unresolvableHost(host: url.host ?? u)
        case NSURLErrorTimedOut: return .timeout(url: u, ms: timeoutMs)
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
             NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorServerCertificateNotYetValid, NSURLErrorClientCertificateRejected,
             NSURLErrorClientCertificateRequired:
            return .tls(url: u, detail: e.localizedDescription)
        case NSURLErrorNetworkConnectionLost: return .streamCut(url: u)
        default: return .network(url: u, detail: e.localizedDescription)
        }
    }

    private func call(_ task: URLSessionTask) -> Call? { lock.lock(); defer { lock.unlock() }; return calls[task.taskIdentifier] }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let c = call(dataTask), let h = response as? HTTPURLResponse {
            c.status = h.statusCode
            for (k, v) in h.allHeaderFields { c.headers["\(k)".lowercased()] = "\(v)" }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let c = call(dataTask) else { return }
        if c.body.count + data.count > Self.maxBody { c.overLimit = true; dataTask.cancel(); return }
        c.body.append(data)
        c.lock.lock(); c.chunks.append(data); c.lock.unlock()
        c.wake.signal()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        guard let c = call(task) else { return }
        c.error = error
        c.lock.lock(); c.finished = true; c.lock.unlock()
        c.wake.signal()
    }
}
