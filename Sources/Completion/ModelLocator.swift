import Foundation

/// Finds the embedded default model: `$UNMASK_MODEL`, then `models/<name>` next to the executable's
/// package (walking up from the binary, e.g. `.build/release/unmask` → repository root), then the
/// current directory.
public enum ModelLocator {
    public static let defaultName = "unmask-code-4m"

    public static func defaultModel() -> String? {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["UNMASK_MODEL"], !env.isEmpty { return env }
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("models/\(defaultName)"))
            candidates.append(dir.appendingPathComponent("share/unmask/models/\(defaultName)"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("models/\(defaultName)"))
        return candidates.first { fm.fileExists(atPath: $0.appendingPathComponent("config.json").path) }?.path
    }
}
