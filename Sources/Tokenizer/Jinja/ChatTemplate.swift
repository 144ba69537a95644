import Foundation

/// A checkpoint's chat template from its `tokenizer_config.json`, rendered as transformers'
/// `apply_chat_template(messages, tokenize=False, add_generation_prompt=True)` renders it: the
/// template sees `messages`, `add_generation_prompt` and the special tokens (`bos_token`, `eos_token`,
/// …, as `special_tokens_map` gives them). Needs only tokenizer_config.json (CoDA and LLaDA folders
/// hold no vocabulary).
public struct ChatTemplate: Sendable {
    public let template: JinjaTemplate
    /// bos_token, eos_token, unk_token, pad_token (and the rest of tokenizer_config's `*_token` keys).
    public let specialTokens: [String: String]

    public init(source: String, specialTokens: [String: String] = [:]) throws {
        template = try JinjaTemplate(source); self.specialTokens = specialTokens
    }

    public static func load(directory: String) throws -> ChatTemplate {
        let path = (directory as NSString).appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: path) else { throw TokenizerError.noChatTemplate(directory: directory) }
        let o = try Tokenizer.readJSONObject(path)
        var source: String?
        if let s = o["chat_template"] as? String { source = s }
        else if let list = o["chat_template"] as? [[String: Any]] {
            // Named templates: transformers uses "default".
            source = list.first { $0["name"] as? String == "default" }?["template"] as? String
        }
        guard let source else { throw TokenizerError.noChatTemplate(directory: directory) }
        var tokens: [String: String] = [:]
        for (k, v) in o where k.hasSuffix("_token") {
            if let s = v as? String { tokens[k] = s } else if let d = v as? [String: Any], let c = d["content"] as? String { tokens[k] = c }
        }
        return try ChatTemplate(source: source, specialTokens: tokens)
    }

    /// The prompt for `messages` (each `{role, content}`, values as the JSON file has them).
    public func render(messages: [JinjaValue], addGenerationPrompt: Bool = true) throws -> String {
        var context: [String: JinjaValue] = specialTokens.mapValues { .string($0) }
        context["messages"] = .array(messages)
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        return try template.render(context)
    }

    /// Messages from a JSON array of objects, each object's keys in file order (role, content, …),
    /// which `tojson` would print as they are.
    public static func messages(json data: Data) throws -> [JinjaValue] {
        guard let a = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw TokenizerError.invalidField(path: "messages", field: "(root)", value: "not a JSON array of {role, content} objects")
        }
        return try a.enumerated().map { i, m in
            guard m["role"] is String, m["content"] != nil else {
                throw TokenizerError.invalidField(path: "messages", field: "[\(i)]", value: "needs role and content")
            }
            var keys = ["role", "content"].filter { m[$0] != nil }
            keys += m.keys.filter { !keys.contains($0) }.sorted()
            return .object(keys.map { ($0, JinjaValue(json: m[$0]!)) })
        }
    }
}
