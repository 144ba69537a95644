import Completion

/// What the server itself reads: which features answer, the inline deadline and debounce, and the
/// limits that refuse rather than slow down. Each field is a row of `ServerSettings.table`.
public struct ServerSettings: Sendable, Equatable {
    public var deadlineMs = 300
    public var debounceMs = 0
    public var enableInline = true
    public var enableActions = true
    /// `unmask/canvas` frames, for clients that draw them (the Neovim plugin turns this on).
    public var enableFrames = false
    public var maxDocumentBytes = 64 << 20
    public var maxOpenDocuments = 500
    /// Per language id (as the editor names it; `*` for the rest): whether inline completions answer.
    public var enableLanguages: [String: Bool] = [:]
    public var inlineTrigger: TriggerMode = .automatic

    public init() {}

    public enum TriggerMode: String, Sendable, CaseIterable {
        /// Suggestions as you type (the editor's automatic requests) and on request.
        case automatic
        /// Only when asked (an Invoked request: a key in the editor); automatic requests answer empty.
        case manual
    }

    public static let table = SettingsTable<ServerSettings>([
        .int("deadlineMs", \.deadlineMs, 10...600_000, layer: .server, doc: "inline answer deadline: the full current draft is returned then (`data.early`)"),
        .int("debounceMs", \.debounceMs, 0...5000, layer: .server,
             doc: "wait this long after an automatic inline request before starting work (a newer request in that time replaces it)"),
        .bool("enable.inline", \.enableInline, layer: .server, doc: "inline completions"),
        .bool("enable.actions", \.enableActions, layer: .server, doc: "code actions and the fill / rewrite / repair commands"),
        .bool("enable.frames", \.enableFrames, layer: .server, doc: "`unmask/canvas` notifications of the denoising canvas (for clients that draw them)"),
        .int("maxDocumentBytes", \.maxDocumentBytes, 1024...(1 << 30), layer: .server, doc: "larger documents are not tracked (a message says so)"),
        .int("maxOpenDocuments", \.maxOpenDocuments, 1...100_000, layer: .server, doc: "documents beyond this many are not tracked"),
        .switches("enable.languages", \.enableLanguages, layer: .server,
                  doc: "inline completions per language id, e.g. `{\"markdown\": false}`; `\"*\"` sets the default for the rest"),
        .choice("inline.trigger", \.inlineTrigger, layer: .server,
                doc: "`automatic`: suggestions as you type; `manual`: only when asked (the editor's explicit request)"),
    ])
}

/// Every setting under `unmask`: the server's own and the backend's, one table for both.
public struct Settings: Sendable, Equatable {
    public var server = ServerSettings()
    public var engine = EngineSettings()
    public init() {}
    public init(server: ServerSettings = ServerSettings(), engine: EngineSettings) { self.server = server; self.engine = engine }

    public static let table = ServerSettings.table.lifted(\Settings.server) + EngineSettings.table.lifted(\Settings.engine)
}
