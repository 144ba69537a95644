/// Where completions come from (`backend`).
public enum BackendKind: String, Sendable, CaseIterable {
    /// The local engine on `model` (default).
    case local
    /// An OpenAI-compatible server: vLLM, SGLang (`/chat/completions` or `/completions`).
    case openai
    /// Inception's API (Mercury): `/fim/completions`, `/edit/completions`, `/apply/completions`.
    case inception
}

/// The request shape a remote engine is spoken to with (`remote.api`).
public enum RemoteAPI: String, Sendable, CaseIterable {
    /// `/chat/completions` with a fill-in-the-middle instruction (vLLM and SGLang take no suffix for
    /// diffusion models); the default for `openai`.
    case chat
    /// `/completions` with `suffix` where the server accepts it, else a prompt-only FIM template.
    case completions
    /// `/fim/completions` with `prompt` and `suffix` (Inception); the default for `inception`.
    case fim
}

/// The remote engine's address and limits (`remote.*`). The API key is never a setting: it is read
/// from the server process's environment variable named by `apiKeyEnv`.
public struct RemoteSettings: Sendable, Equatable {
    /// Base URL up to the API version, e.g. `http://host:8000/v1`.
    public var url: String?
    public var model: String?
    /// nil: `chat` for `openai`, `fim` for `inception`.
    public var api: RemoteAPI?
    public var apiKeyEnv: String?
    public var timeoutMs = 10_000
    public var maxTokens = 64
    public init() {}

    public func api(for backend: BackendKind) -> RemoteAPI { api ?? (backend == .inception ? .fim : .chat) }
}
