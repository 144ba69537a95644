import Foundation

public enum BenchCommand {
    public static let help = """
    usage: unmask bench forward --shape qwen2.5-0.5b --tokens N --rows R [--block B] [--repeats K] [--threads T]
           unmask bench matmul [--threads T]
           unmask bench tokenizer --tokenizer DIR FILE
           unmask bench lsp CASES.jsonl[.gz] [--limit N]
           unmask bench remote [--requests N] [--url URL --backend openai|inception --model M]
           unmask bench typing [--model DIR] [--keys N] [--deadline-ms MS] [--settings JSON]
           unmask bench load [--model DIR] [--weights stored|f32|int8]
           unmask bench repair [CASES.jsonl] [--per-language N] [--rewrite]
           unmask bench gemma [--prompt 512] [--layers sliding,full] [--repeats K] [--weights stored|int8]

    Prints figures; the last stdout line is one JSON object. `training/bench_*.py` run the same
    computation in PyTorch / numpy / Hugging Face tokenizers in the same invocation and print ratios.
    """

    public static func run(_ argv: ArraySlice<String>) -> Int32 {
        guard let sub = argv.first else { Output.err(help); return 2 }
        let rest = argv.dropFirst()
        switch sub {
        case "forward": return ForwardBench.run(rest)
        case "matmul": return ForwardBench.matmul(rest)
        case "tokenizer": return TokenizerBench.run(rest)
        case "lsp": return LSPBench.run(rest)
        case "remote": return RemoteBench.run(rest)
        case "typing": return TypingBench.run(rest)
        case "load": return LoadBench.run(rest)
        case "repair": return RepairBench.run(rest)
        case "gemma": return GemmaBench.run(rest)
        case "--help", "-h": Output.out(help); return 0
        default: Output.err("unknown benchmark '\(sub)'\n\n" + help); return 2
        }
    }
}
