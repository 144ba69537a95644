import Foundation
import DiffusionModel

/// Builds the backend the settings name: the local engine on `model` (the embedded model when unset;
/// `GemmaBackend` for a DiffusionGemma folder) or a remote engine. Loading a local model can take seconds; a remote backend sends nothing until
/// the first request.
public enum Backends {
    public static func make(_ s: EngineSettings, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Backend {
        if s.backend != .local { return try RemoteBackend(backend: s.backend, remote: s.remote) }
        guard let dir = s.model ?? ModelLocator.defaultModel() else {
            throw CompletionError.noModel(reason: "the embedded model \(ModelLocator.defaultName) was not found next to the binary, in its share/unmask/models, or in ./models; set unmask.model (or UNMASK_MODEL)")
        }
        if DiffusionGemmaConfig.isDiffusionGemma(path: (dir as NSString).appendingPathComponent("config.json")) {
            return try GemmaBackend(directory: dir, threads: threads, weights: s.weights)
        }
        return LocalBackend(bundle: try ModelBundle(directory: dir, threads: threads, weights: s.weights))
    }
}
