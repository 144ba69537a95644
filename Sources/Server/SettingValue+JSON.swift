import LSP
import Completion

extension JSONValue {
    /// A setting's value on the wire (`unmask.doctor`).
    init(setting v: SettingValue) {
        switch v {
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .number(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .auto: self = .string("auto")
        case .unset: self = .null
        case .switches(let m): self = .object(m.mapValues { .bool($0) })
        }
    }
}
