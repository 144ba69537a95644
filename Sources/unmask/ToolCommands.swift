import Foundation
import Tokenizer
import DiffusionModel
import SafeTensors
import DevTools

enum ToolCommands {
    static func tokenize(_ argv: ArraySlice<String>) -> Int32 {
        let help = """
        usage: unmask tokenize --tokenizer DIR FILE [--decode]

        Prints the ids of FILE's text as one JSON array (special-token strings in FILE are plain text, as
        the server treats document text). With --decode, FILE holds a JSON array of ids and the text is printed.
        """
        do {
            let a = try Arguments(argv, valued: ["tokenizer"], switches: ["decode"])
            if a.switches.contains("help") { Output.out(help); return 0 }
            guard let dir = a.values["tokenizer"], let file = a.positional.first else { throw Arguments.Failure(description: "need --tokenizer DIR and FILE\n\n" + help) }
            let tok = try Tokenizer.load(directory: dir)
            for w in tok.warnings { Output.err("unmask: warning: \(w)") }
            let data = try readFile(file)
            if a.switches.contains("decode") {
                guard let ids = try? JSONDecoder().decode([Int32].self, from: data) else { throw Arguments.Failure(description: "\(file) is not a JSON array of integers") }
                let unknown = tok.unknownIDs(ids)
                if !unknown.isEmpty { Output.err("unmask: warning: \(unknown.count) ids are not in the tokenizer and decode to nothing: \(unknown.prefix(10))") }
                FileHandle.standardOutput.write(Data(tok.decodeBytes(ids)))
            } else {
                let text = String(decoding: data, as: UTF8.self)   // invalid UTF-8 bytes become U+FFFD, as in the server
                Output.out("[" + tok.encode(text, special: .none).map(String.init).joined(separator: ",") + "]")
            }
            return 0
        } catch { Output.err("unmask tokenize: \(error)"); return 1 }
    }

    static func template(_ argv: ArraySlice<String>) -> Int32 {
        let help = """
        usage: unmask template --model DIR --messages FILE.json [--no-generation-prompt]

        Renders the model's chat template (tokenizer_config.json's chat_template, with its special tokens)
        for the conversation in FILE.json (a JSON array of {role, content}) as transformers'
        apply_chat_template(add_generation_prompt=True) does, and prints the prompt exactly, nothing added.
        Only tokenizer_config.json is read.
        """
        do {
            let a = try Arguments(argv, valued: ["model", "messages"], switches: ["no-generation-prompt"])
            if a.switches.contains("help") { Output.out(help); return 0 }
            guard let dir = a.values["model"], let file = a.values["messages"] else { throw Arguments.Failure(description: "need --model DIR and --messages FILE.json\n\n" + help) }
            let template = try ChatTemplate.load(directory: dir)
            let messages = try ChatTemplate.messages(json: try readFile(file))
            let prompt = try template.render(messages: messages, addGenerationPrompt: !a.switches.contains("no-generation-prompt"))
            FileHandle.standardOutput.write(Data(prompt.utf8))
            return 0
        } catch { Output.err("unmask template: \(error)"); return 1 }
    }

    static func forward(_ argv: ArraySlice<String>) -> Int32 {
        let help = """
        usage: unmask forward --model DIR --ids 1,2,3 [--rows 0,2] [--weights stored|f32|int8]
               unmask forward --model DIR --ids P1,P2,... --canvas C1,C2,...     (DiffusionGemma)

        One full forward (no causal mask) over the ids; prints {"logits": [[...], ...]} with the raw logits
        of the requested rows (all by default). Row i is the output at position i, before any logit shift.
        A DiffusionGemma model runs the prompt ids through its encoder and one decoder pass over the
        canvas, as the first denoising step does (no self-conditioning input), and prints the raw decoder
        logits (soft-capped, before temperature) of every canvas position.
        """
        do {
            let a = try Arguments(argv, valued: ["model", "ids", "rows", "threads", "weights", "canvas"], switches: [])
            if a.switches.contains("help") { Output.out(help); return 0 }
            guard let dir = a.values["model"], let idsText = a.values["ids"] else { throw Arguments.Failure(description: "need --model DIR and --ids\n\n" + help) }
            let configPath = (dir as NSString).appendingPathComponent("config.json")
            if DiffusionGemmaConfig.isDiffusionGemma(path: configPath) {
                guard let canvas = a.values["canvas"] else { throw Arguments.Failure(description: "a DiffusionGemma model needs --canvas C1,C2,... (the decoder's input) beside the prompt's --ids") }
                guard a.values["rows"] == nil else { throw Arguments.Failure(description: "--rows does not apply to DiffusionGemma: every canvas position's logits are printed") }
                try GemmaCommand.forward(model: dir, prompt: idsText, canvas: canvas, a)
                return 0
            }
            if a.values["canvas"] != nil { throw Arguments.Failure(description: "--canvas is for DiffusionGemma (encoder/decoder) models; \(configPath) is not one") }
            let ids = try idsText.split(separator: ",").map { s -> Int32 in
                guard let v = Int32(s.trimmingCharacters(in: .whitespaces)) else { throw Arguments.Failure(description: "--ids: '\(s)' is not an integer") }
                return v
            }
            guard !ids.isEmpty else { throw Arguments.Failure(description: "--ids is empty") }
            let rows = try a.values["rows"].map { try $0.split(separator: ",").map { s -> Int in
                guard let r = Int(s), r >= 0, r < ids.count else { throw Arguments.Failure(description: "--rows: '\(s)' is not a position in 0..<\(ids.count)") }
                return r
            } } ?? Array(0..<ids.count)
            let cfg = try ModelConfig.load(path: (dir as NSString).appendingPathComponent("config.json"))
            let precision = try Common.weights(a) ?? .stored
            let model = try DiffusionTransformer(config: cfg, weights: try Checkpoint(directory: dir), pool: .init(threads: try a.int("threads") ?? ProcessInfo.processInfo.activeProcessorCount),
                                                 precision: precision)
            let l = try model.forward(tokens: ids, rows: rows)
            var out = "{\"logits\": ["
            for r in 0..<rows.count {
                if r > 0 { out += ", " }
                out += "[" + l.row(r).map { "\($0)" }.joined(separator: ", ") + "]"
            }
            Output.out(out + "]}")
            return 0
        } catch { Output.err("unmask forward: \(error)"); return 1 }
    }
}
