import Foundation

/// Set by whoever wants a running request to stop; read between denoising steps (and, by remote
/// backends, to close the connection).
public final class CancellationToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var handlers: [@Sendable () -> Void] = []
    public init() {}
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
    public func cancel() {
        lock.lock()
        let run = cancelled ? [] : handlers
        cancelled = true; handlers = []
        lock.unlock()
        for h in run { h() }
    }
    /// Runs `handler` once when cancelled (at once if it already is).
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        if cancelled { lock.unlock(); handler(); return }
        handlers.append(handler)
        lock.unlock()
    }
}
