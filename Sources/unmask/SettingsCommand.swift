import Foundation
import Server
import DevTools

/// `unmask settings --markdown | --vscode`: the settings table as the README's configuration table or as
/// VS Code's `contributes.configuration.properties` (`ServerTests` keep both files equal to this output).
enum SettingsCommand {
    static let help = """
    usage: unmask settings --markdown | --vscode

    Prints every setting under `unmask` (one table drives the server, the CLI flags, the README and the
    VS Code extension): --markdown as the README's configuration table, --vscode as the JSON object of
    editors/vscode/package.json's contributes.configuration.properties.
    """

    static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: [], switches: ["markdown", "vscode"])
            if a.switches.contains("help") || a.switches.isEmpty { Output.out(help); return a.switches.contains("help") ? 0 : 2 }
            if a.switches.contains("markdown") { Output.out(Settings.table.markdown(defaults: Settings()), terminator: "") }
            if a.switches.contains("vscode") {
                let data = try JSONSerialization.data(withJSONObject: Settings.table.vscodeProperties(defaults: Settings()), options: [.prettyPrinted, .sortedKeys])
                Output.out(String(decoding: data, as: UTF8.self))
            }
            return 0
        } catch { Output.err("unmask settings: \(error)"); return 1 }
    }
}
