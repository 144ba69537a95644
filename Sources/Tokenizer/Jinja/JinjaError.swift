/// A chat template that cannot be rendered: a construct the interpreter does not implement, a syntax
/// error, a type error at run time, or the template's own `raise_exception`. Each names the line.
public enum JinjaError: Error, Equatable, CustomStringConvertible {
    case unsupported(construct: String, line: Int)
    case syntax(String, line: Int)
    case runtime(String, line: Int)
    /// `raise_exception(message)` in the template (e.g. "Conversation roles must alternate").
    case raised(String, line: Int)

    public var description: String {
        switch self {
        case let .unsupported(c, l): return "the chat template uses \(c) (line \(l)), which Unmask's template interpreter does not implement; no prompt was rendered rather than a wrong one"
        case let .syntax(m, l): return "chat template syntax error at line \(l): \(m)"
        case let .runtime(m, l): return "chat template error at line \(l): \(m)"
        case let .raised(m, l): return "the chat template refused the conversation (line \(l)): \(m)"
        }
    }
}
