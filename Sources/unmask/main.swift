import Foundation
import DevTools
import Kernels

/// `unmask`: thin commands over the libraries. Only this target writes to stdout.
let usage = """
usage: unmask <command> [options]

commands:
  lsp        run the language server on stdin/stdout
  demo       fill a few holes in a bundled sample with the embedded model, showing the denoising
  fill       fill a hole in a file:  unmask fill FILE --at LINE:COL [--to LINE:COL] [--tokens N] [--show-steps]
  eval       evaluate on HumanEval-Infilling-shaped JSON lines:  unmask eval CASES.jsonl[.gz]
  bench      benchmarks:  unmask bench forward|matmul|tokenizer|lsp|remote|typing|load|repair|gemma ...
  tokenize   unmask tokenize --tokenizer DIR FILE [--decode]
  forward    unmask forward --model DIR --ids 1,2,3 [--rows 0,2]  (DiffusionGemma: --ids PROMPT --canvas IDS)
  generate   DiffusionGemma's sampler:  unmask generate --model DIR --prompt TEXT [--show-steps]
  template   the prompt a model's chat template renders:  unmask template --model DIR --messages FILE.json
  settings   every setting, as the README's table or VS Code's configuration:  unmask settings --markdown|--vscode

Run `unmask <command> --help` for a command's options.
"""

let args = CommandLine.arguments
guard args.count > 1 else { Output.err(usage); exit(2) }
// Before any kernel runs: a build for AVX2 on a CPU without it, or an UNMASK_ISA the CPU cannot run.
if let problem = ISA.problem { Output.err("unmask: \(problem)"); exit(1) }
let rest = args.dropFirst(2)
let code: Int32
switch args[1] {
case "lsp": code = LSPCommand.run(rest)
case "fill": code = FillCommand.run(rest)
case "eval": code = EvalCommand.run(rest)
case "demo": code = DemoCommand.run(rest)
case "bench": code = BenchCommand.run(rest)
case "tokenize": code = ToolCommands.tokenize(rest)
case "forward": code = ToolCommands.forward(rest)
case "generate": code = GemmaCommand.generate(rest)
case "template": code = ToolCommands.template(rest)
case "settings": code = SettingsCommand.run(rest)
case "--help", "-h", "help": Output.out(usage); code = 0
case "--version": Output.out("unmask 0.1.0"); code = 0
default: Output.err("unknown command '\(args[1])'\n\n" + usage); code = 2
}
exit(code)
