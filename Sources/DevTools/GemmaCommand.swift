import Foundation
import DiffusionModel
import Denoiser
import Kernels
import Tokenizer

/// The DiffusionGemma commands: `unmask forward --canvas` (the encoder over the prompt and one decoder
/// pass, as the first denoising step runs it) and `unmask generate` (the entropy-bound sampler).
public enum GemmaCommand {
    /// `--ids` / `--canvas` lists.
    static func ids(_ text: String, _ flag: String) throws -> [Int32] {
        let v = try text.split(separator: ",").map { s -> Int32 in
            guard let v = Int32(s.trimmingCharacters(in: .whitespaces)) else { throw Arguments.Failure(description: "--\(flag): '\(s)' is not an integer") }
            return v
        }
        guard !v.isEmpty else { throw Arguments.Failure(description: "--\(flag) is empty") }
        return v
    }

    static func load(_ dir: String, _ a: Arguments) throws -> DiffusionGemma {
        let threads = try a.int("threads") ?? ProcessInfo.processInfo.activeProcessorCount
        return try DiffusionGemma.load(directory: dir, precision: try Common.weights(a) ?? .stored, pool: ThreadPool(threads: threads),
                                       log: { Output.err($0) })
    }

    /// Prints `{"logits": [[…], …]}`: the raw decoder logits (soft-capped, before temperature) of every
    /// canvas position, no self-conditioning input.
    public static func forward(model dir: String, prompt: String, canvas: String, _ a: Arguments) throws {
        let p = try ids(prompt, "ids"), c = try ids(canvas, "canvas")
        let m = try load(dir, a)
        var cache = m.emptyCache()
        try m.encode(p, into: &cache)
        let logits = try m.decode(c, cache: cache)
        let V = m.config.vocabSize
        var out = "{\"logits\": ["
        for r in 0..<c.count {
            if r > 0 { out += ", " }
            out += "[" + logits[(r * V)..<((r + 1) * V)].map { "\($0)" }.joined(separator: ", ") + "]"
        }
        Output.out(out + "]}")
    }

    public static func generate(_ argv: ArraySlice<String>) -> Int32 {
        let help = """
        usage: unmask generate --model DIR (--prompt TEXT | --ids 1,2,3) [--show-steps] [--seed N]
                               [--max-new-tokens N] [--steps N] [--weights stored|f32|int8] [--threads N]

        DiffusionGemma's entropy-bound sampler, as transformers' generate() runs it, with the settings of
        the model's generation_config.json (--max-new-tokens and --steps override max_new_tokens and
        max_denoising_steps). --prompt applies the model's chat template (one user turn, generation
        prompt on) and needs its tokenizer; --ids takes the prompt's ids as they are. --show-steps prints
        every canvas as it denoises (on stderr). The result is printed as text (with a tokenizer) or as
        a JSON array of the generated ids; seeded (default 0), so a seed fixes the output.
        """
        do {
            let a = try Arguments(argv, valued: ["model", "prompt", "ids", "seed", "max-new-tokens", "steps", "weights", "threads"], switches: ["show-steps"])
            if a.switches.contains("help") { Output.out(help); return 0 }
            guard let dir = a.values["model"], (a.values["prompt"] == nil) != (a.values["ids"] == nil) else {
                throw Arguments.Failure(description: "need --model DIR and one of --prompt TEXT or --ids\n\n" + help)
            }
            let configPath = (dir as NSString).appendingPathComponent("config.json")
            if !FileManager.default.fileExists(atPath: configPath) { _ = try DiffusionGemmaConfig.load(path: configPath) }   // names the missing file
            guard DiffusionGemmaConfig.isDiffusionGemma(path: configPath) else {
                throw Arguments.Failure(description: "\(configPath) is not a DiffusionGemma config (model_type diffusion_gemma). Hint: `unmask fill` runs the masked-diffusion models")
            }
            var tokenizer: Tokenizer?
            let prompt: [Int32]
            if let text = a.values["prompt"] {
                let tok = try Tokenizer.load(directory: dir)
                let rendered = try ChatTemplate.load(directory: dir).render(messages: [.object([("role", .string("user")), ("content", .string(text))])], addGenerationPrompt: true)
                prompt = tok.encode(rendered)
                tokenizer = tok
            } else {
                prompt = try ids(a.values["ids"]!, "ids")
            }
            var settings = try EntropyBoundSettings.load(path: (dir as NSString).appendingPathComponent("generation_config.json"))
            if let n = try a.int("max-new-tokens") { guard n > 0 else { throw Arguments.Failure(description: "--max-new-tokens must be positive") }; settings.maxNewTokens = n }
            if let n = try a.int("steps") { guard n > 0 else { throw Arguments.Failure(description: "--steps must be positive") }; settings.maxDenoisingSteps = n }
            let m = try load(dir, a)
            var draws = SeededDraws(seed: UInt64(try a.int("seed") ?? 0))
            let show = a.switches.contains("show-steps")
            func render(_ ids: [Int32]) -> String { tokenizer.map { $0.decode(ids).debugDescription } ?? "\(ids)" }
            let out = try EntropyBoundSampler(model: m, settings: settings).generate(prompt: prompt, draws: &draws, onStep: { s in
                if show { Output.err(String(format: "canvas %d step %2d  T %.3f  accepted %3d  mean H %.3f  ", s.block, s.step, s.temperature, s.accepted.count, s.meanEntropy) + render(s.argmax)) }
                return true
            })
            let generated = Array(out.tokens.dropFirst(prompt.count))
            if let tok = tokenizer { Output.out(tok.decode(generated, skipSpecial: true)) } else { Output.out("\(generated)") }
            return 0
        } catch { Output.err("unmask generate: \(error)"); return 1 }
    }
}
