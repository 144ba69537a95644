import Foundation
import Completion

/// Owns the current completion engine (or why there is none) and the single inference worker.
/// Loading happens on the worker, so requests simply queue behind a load.
public final class EngineHost: @unchecked Sendable {
    /// Builds an engine for settings; injected so tests can plug in their own providers.
    public typealias Factory = @Sendable (EngineSettings) throws -> CompletionEngine

    let factory: Factory
    let lock = NSLock()
    public let worker = DispatchQueue(label: "unmask.inference")
    private(set) var engine: CompletionEngine?
    private(set) var problem: String? = "no model is loaded yet"
    private(set) var loadedFor: String?

    public init(factory: @escaping Factory) { self.factory = factory }

    public var current: (engine: CompletionEngine?, problem: String?) { lock.lock(); defer { lock.unlock() }; return (engine, problem) }

    /// Loads (on the worker) when the model setting changed or nothing is loaded; reports through `done`.
    func load(_ settings: EngineSettings, force: Bool = false, done: @escaping @Sendable (Result<CompletionEngine, Error>) -> Void) {
        worker.async { [self] in
            lock.lock()
            let same = loadedFor == (settings.model ?? "") && engine != nil
            lock.unlock()
            if same && !force { if let e = current.engine { done(.success(e)) }; return }
            do {
                let e = try factory(settings)
                lock.lock(); engine = e; problem = nil; loadedFor = settings.model ?? ""; lock.unlock()
                done(.success(e))
            } catch {
                lock.lock(); engine = nil; problem = "\(error)"; loadedFor = nil; lock.unlock()
                done(.failure(error))
            }
        }
    }

    /// Applies new settings to a loaded engine that supports it without reloading.
    func update(_ settings: EngineSettings) {
        worker.async { [self] in if let e = current.engine as? DiffusionEngine { e.settings = settings } }
    }
}
