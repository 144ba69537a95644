import Foundation
import Completion

/// Owns the current backend (or why there is none) and the single inference worker. Loading happens
/// on the worker, so requests simply queue behind a load.
public final class BackendHost: @unchecked Sendable {
    /// Builds a backend for settings; injected so tests can plug in their own.
    public typealias Factory = @Sendable (EngineSettings) throws -> Backend

    let factory: Factory
    let lock = NSLock()
    public let worker = DispatchQueue(label: "unmask.inference")
    private var backend: Backend?
    private var problem: String? = "no model is loaded yet"
    private var loadedFor: [String]?

    public init(factory: @escaping Factory) { self.factory = factory }

    public var current: (backend: Backend?, problem: String?) { lock.lock(); defer { lock.unlock() }; return (backend, problem) }

    /// Loads (on the worker) when the settings' load identity changed or nothing is loaded; reports through `done`.
    func load(_ settings: EngineSettings, force: Bool = false, done: @escaping @Sendable (Result<Backend, Error>) -> Void) {
        worker.async { [self] in
            lock.lock()
            let loaded = backend
            let same = loadedFor == settings.loadIdentity && loaded != nil
            lock.unlock()
            if same && !force { if let loaded { done(.success(loaded)) }; return }
            do {
                let b = try factory(settings)
                lock.lock(); backend = b; problem = nil; loadedFor = settings.loadIdentity; lock.unlock()
                done(.success(b))
            } catch {
                lock.lock(); backend = nil; problem = "\(error)"; loadedFor = nil; lock.unlock()
                done(.failure(error))
            }
        }
    }
}
