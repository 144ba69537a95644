import Foundation

/// Finds the embedded default model wherever the binary was installed or linked from:
/// `$UNMASK_MODEL`, then `models/<name>` or `share/unmask/models/<name>` beside the executable's
/// resolved location or any of its parent folders (`.build/release/unmask` → the repository;
/// `~/.local/bin/unmask` → `~/.local/share/unmask/models`), then `./models`. An editor's working
/// directory is not the repository, so the binary's own path decides, not the current directory.
public enum ModelLocator {
    public static let defaultName = "unmask-code-4m"

    /// The running executable, symlinks resolved (a binary found on PATH has argv[0] "unmask").
    static var executable: URL {
        (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ".")).resolvingSymlinksInPath()
    }

    public static func defaultModel() -> String? {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["UNMASK_MODEL"], !env.isEmpty { return env }
        var candidates: [URL] = []
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("models/\(defaultName)"))
            candidates.append(dir.appendingPathComponent("share/unmask/models/\(defaultName)"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("models/\(defaultName)"))
        return candidates.first { fm.fileExists(atPath: $0.appendingPathComponent("config.json").path) }?.path
    }

    /// Whether `directory` is the embedded demonstration model.
    public static func isEmbedded(_ directory: String) -> Bool {
        URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent == defaultName
    }
}
