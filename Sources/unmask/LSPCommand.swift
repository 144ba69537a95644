import Foundation
import LSP
import Server
import Completion
import DevTools
#if canImport(Glibc)
import Glibc
#endif

enum LSPCommand {
    static let help = """
    usage: unmask lsp [--model DIR] [--log-file FILE] [--trace-rpc FILE] [--threads N]

    Speaks the Language Server Protocol on stdin/stdout. stdout carries framed JSON only: it is
    duplicated for the protocol at start-up and fd 1 is pointed at stderr, so nothing else can reach it.
      --model DIR        model folder (default: the embedded model; also settable by the client as unmask.model)
      --log-file FILE    append logs to FILE as well as stderr
      --trace-rpc FILE   mirror the raw protocol traffic (both directions) to FILE for bug reports
      --threads N        inference threads (default: all cores)
      --verbose          log ignored notifications too
    """

    static func run(_ argv: ArraySlice<String>) -> Int32 {
        let a: Arguments
        do { a = try Arguments(argv, valued: ["model", "log-file", "trace-rpc", "threads"], switches: ["verbose"]) }
        catch { Output.err("unmask lsp: \(error)\n\n\(help)"); return 2 }
        if a.switches.contains("help") { Output.out(help); return 0 }
        // Protect the protocol stream: keep the real stdout for framed JSON, send fd 1 to stderr.
        let proto = dup(1)
        dup2(2, 1)
        // A file that cannot be written is reported on stderr and the server runs without it.
        let trace: FileHandle? = a.values["trace-rpc"].flatMap { p in
            guard FileManager.default.createFile(atPath: p, contents: nil), let h = FileHandle(forWritingAtPath: p) else {
                Output.err("unmask lsp: cannot write the --trace-rpc file \(p); running without a trace. Hint: check the folder exists and is writable.")
                return nil
            }
            return h
        }
        let logFile: FileHandle? = a.values["log-file"].flatMap { p in
            guard FileManager.default.fileExists(atPath: p) || FileManager.default.createFile(atPath: p, contents: nil),
                  let h = FileHandle(forWritingAtPath: p) else {
                Output.err("unmask lsp: cannot write the --log-file \(p); logging to stderr only. Hint: check the folder exists and is writable.")
                return nil
            }
            h.seekToEndOfFile(); return h
        }
        let logLine: @Sendable (String) -> Void = { m in
            let line = Data("unmask: \(m)\n".utf8)
            FileHandle.standardError.write(line)
            logFile?.write(line)
        }
        let threads = (try? a.int("threads")) ?? nil
        var settings = Settings()
        settings.engine.model = a.values["model"]
        let server = LanguageServer(settings: settings) { s in
            try Backends.make(s, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        }
        server.log = logLine
        server.debugLogging = a.switches.contains("verbose")
        server.onExit = { code in trace?.synchronizeFile(); logFile?.synchronizeFile(); exit(code) }
        let connection = Connection(input: 0, output: proto, trace: trace)
        connection.log = logLine
        connection.start(handler: server)
        while true { sleep(3600) }
    }
}
