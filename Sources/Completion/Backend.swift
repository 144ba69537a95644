/// What the backend is doing, for status lines.
public enum EngineState: String, Sendable { case loading, ready, busy, error }

/// Where completions come from: the local engine on a loaded model, or a remote engine over HTTP.
/// The server calls one backend from one worker at a time and does not know which kind it is.
/// `settings` is the server's current value for this request (immutable: a new value per change).
public protocol Backend: AnyObject, Sendable {
    func complete(_ request: CompletionRequest, settings: EngineSettings, cancel: CancellationToken,
                  onFrame: (CanvasFrame) -> Void) throws -> CompletionResult
    /// A short description for `unmask.doctor`.
    var summary: [String: String] { get }
}
