import Foundation

/// A minimal `--flag value` / `--switch` parser. Unknown flags are errors that name the flag.
public struct Arguments {
    public var positional: [String] = []
    public var values: [String: String] = [:]
    public var switches: Set<String> = []

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public init(_ args: ArraySlice<String>, valued: Set<String>, switches allowed: Set<String>) throws {
        var it = args.makeIterator()
        while let a = it.next() {
            if a.hasPrefix("--") {
                let name = String(a.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    let k = String(name[..<eq])
                    guard valued.contains(k) else { throw Failure(description: "unknown option --\(k)") }
                    values[k] = String(name[name.index(after: eq)...]); continue
                }
                if allowed.contains(name) || name == "help" { switches.insert(name); continue }
                guard valued.contains(name) else { throw Failure(description: "unknown option --\(name)") }
                guard let v = it.next() else { throw Failure(description: "--\(name) needs a value") }
                values[name] = v
            } else if a == "-h" { switches.insert("help") } else { positional.append(a) }
        }
    }

    public func int(_ k: String) throws -> Int? {
        guard let v = values[k] else { return nil }
        guard let i = Int(v) else { throw Failure(description: "--\(k) must be an integer, got '\(v)'") }
        return i
    }
    public func float(_ k: String) throws -> Float? {
        guard let v = values[k] else { return nil }
        guard let f = Float(v) else { throw Failure(description: "--\(k) must be a number, got '\(v)'") }
        return f
    }
}

/// A file's bytes, or a `Failure` that says why not: `cannot read FILE: no such file` (or a folder, or
/// what the system says).
public func readFile(_ path: String) throws -> Data {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw Arguments.Failure(description: "cannot read \(path): no such file")
    }
    if isDir.boolValue { throw Arguments.Failure(description: "cannot read \(path): it is a folder, not a file") }
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) }
    catch {
        let reason = FileManager.default.isReadableFile(atPath: path) ? (error as NSError).localizedDescription : "permission denied"
        throw Arguments.Failure(description: "cannot read \(path): \(reason)")
    }
}

public enum Output {
    public static func err(_ s: String, terminator: String = "\n") { FileHandle.standardError.write(Data((s + terminator).utf8)) }
    public static func out(_ s: String, terminator: String = "\n") { FileHandle.standardOutput.write(Data((s + terminator).utf8)) }
}
