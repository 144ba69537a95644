#!/usr/bin/env python3
"""Forward-pass peer: the same computation as `unmask bench forward` in PyTorch (`transformers` Qwen2,
random weights in the Qwen2.5-0.5B shape, all-zeros 4-D attention mask, same thread count), run in the
same invocation: in float32 with and without the MKL vendor-check shim, and in bfloat16 (oneDNN's
AVX512-BF16 kernels where the CPU has them; Unmask holds the same weights as BF16) (a one-function LD_PRELOAD
whose mkl_serv_intel_cpu_true returns 1; MKL otherwise runs its slow generic path on AMD CPUs).
Unmask also runs with `--weights int8` (the AVX512-VNNI path where the CPU has it) in the same rounds.
Prints both sides and the ratios (PyTorch time / Unmask time; > 1 means Unmask is faster), and int8
against Unmask's BF16.

Usage: python3 training/bench_forward.py [.build/release/unmask] [--tokens 512 --rows 32 --block 32 --threads 2 --rounds 2]
"""
import json, os, subprocess, sys, tempfile

TORCH_SIDE = r'''
import json, sys, time, torch
from transformers import Qwen2Config, Qwen2ForCausalLM
T, R, B, threads = map(int, sys.argv[1:5])
dtype = getattr(torch, sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(0)
cfg = Qwen2Config(vocab_size=151936, hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                  intermediate_size=4864, rope_theta=1e6, tie_word_embeddings=True, max_position_embeddings=32768, attn_implementation="sdpa")
m = Qwen2ForCausalLM(cfg).eval().to(dtype)
ids = torch.tensor([[(i * 7919) % 151936 for i in range(T)]])
mask = torch.zeros(1, 1, T, T, dtype=dtype)
def full():
    with torch.no_grad():
        out = m.model(input_ids=ids, attention_mask=mask, use_cache=True)
        logits = m.lm_head(out.last_hidden_state[:, -R:])     # logits for R rows only, as Unmask does
    return out.past_key_values
def med(xs): xs = sorted(xs); return xs[len(xs) // 2]
full()
fts = []
for _ in range(3):
    t = time.perf_counter(); pkv = full(); fts.append((time.perf_counter() - t) * 1000)
blk = torch.tensor([[(i * 7919) % 151936 for i in range(B)]])
cts = []
for _ in range(5):
    pkv2 = pkv
    bm = torch.zeros(1, 1, B, T + B, dtype=dtype)
    t = time.perf_counter()
    with torch.no_grad():
        o = m.model(input_ids=blk, attention_mask=bm, past_key_values=pkv2, use_cache=True, position_ids=torch.arange(T, T + B)[None])
        m.lm_head(o.last_hidden_state)
    cts.append((time.perf_counter() - t) * 1000)
    pkv.crop(-B)          # drop the block again: every repeat attends to exactly T cached positions
print(json.dumps({"forward_ms": med(fts), "cached_block_ms": med(cts)}))
'''

def shim():
    d = tempfile.mkdtemp()
    c, so = os.path.join(d, "fakeintel.c"), os.path.join(d, "libfakeintel.so")
    open(c, "w").write("int mkl_serv_intel_cpu_true(void) { return 1; }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", c, "-o", so], check=True)
    return so

def main():
    args = sys.argv[1:]
    exe = args.pop(0) if args and not args[0].startswith("--") else ".build/release/unmask"
    opt = {"tokens": 512, "rows": 32, "block": 32, "threads": os.cpu_count(), "rounds": 2}
    for i in range(0, len(args), 2): opt[args[i][2:]] = int(args[i + 1])
    ours_argv = [exe, "bench", "forward", "--shape", "qwen2.5-0.5b", "--tokens", str(opt["tokens"]), "--rows", str(opt["rows"]),
                 "--block", str(opt["block"]), "--threads", str(opt["threads"])]
    argv = [sys.executable, "-c", TORCH_SIDE, str(opt["tokens"]), str(opt["rows"]), str(opt["block"]), str(opt["threads"]), "float32"]
    argv_bf16 = argv[:-1] + ["bfloat16"]
    shim_env = dict(os.environ, LD_PRELOAD=shim())
    def run(cmd, env=None):
        return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout.strip().splitlines()[-1])
    # The three sides take turns for --rounds rounds (this machine's speed drifts by +-15 % over
    # minutes); each side keeps its best full forward and its best cached block over the rounds, as
    # bench_matmul.py keeps each shape's best. Every round is printed.
    rounds = []
    for r in range(opt["rounds"]):
        rounds.append((run(ours_argv), run(argv), run(argv, shim_env), run(argv_bf16), run(ours_argv + ["--weights", "int8"])))
        o, p, sh, bf, q = rounds[-1]
        print(f"round {r + 1}: unmask {o['forward_ms']:.0f} / {o['cached_block_ms']:.0f} ms, pytorch {p['forward_ms']:.0f} / {p['cached_block_ms']:.0f}, "
              f"shim {sh['forward_ms']:.0f} / {sh['cached_block_ms']:.0f}, bf16 {bf['forward_ms']:.0f} / {bf['cached_block_ms']:.0f}, "
              f"unmask int8 {q['forward_ms']:.0f} / {q['cached_block_ms']:.0f}", flush=True)
    def best_of(i):
        side = min((rd[i] for rd in rounds), key=lambda x: x["forward_ms"])
        return dict(side, cached_block_ms=min(rd[i]["cached_block_ms"] for rd in rounds))
    ours, plain, shimmed, bf16, int8 = best_of(0), best_of(1), best_of(2), best_of(3), best_of(4)
    peers = (plain, shimmed, bf16)
    best = min(peers, key=lambda r: r["forward_ms"])
    print(f"{'':28} {'full forward ms':>16} {'cached block ms':>16}")
    print(f"{'unmask':28} {ours['forward_ms']:16.0f} {ours['cached_block_ms']:16.1f}")
    print(f"{'pytorch (MKL as shipped)':28} {plain['forward_ms']:16.0f} {plain['cached_block_ms']:16.1f}")
    print(f"{'pytorch (MKL shim)':28} {shimmed['forward_ms']:16.0f} {shimmed['cached_block_ms']:16.1f}")
    print(f"{'pytorch bfloat16':28} {bf16['forward_ms']:16.0f} {bf16['cached_block_ms']:16.1f}")
    print(f"{'unmask --weights int8':28} {int8['forward_ms']:16.0f} {int8['cached_block_ms']:16.1f}  ({ours['forward_ms'] / int8['forward_ms']:.2f}x / {ours['cached_block_ms'] / int8['cached_block_ms']:.2f}x unmask BF16)")
    res = {"unmask": ours, "unmask_int8": int8, "int8_forward_ratio_vs_bf16": ours["forward_ms"] / int8["forward_ms"],
           "int8_cached_ratio_vs_bf16": ours["cached_block_ms"] / int8["cached_block_ms"], "pytorch": plain, "pytorch_shim": shimmed, "pytorch_bf16": bf16,
           "forward_ratio_vs_faster_pytorch": best["forward_ms"] / ours["forward_ms"],
           "cached_ratio_vs_faster_pytorch": min(p["cached_block_ms"] for p in peers) / ours["cached_block_ms"],
           "cached_speedup_over_full": ours["forward_ms"] / ours["cached_block_ms"]}
    print(json.dumps(res))

if __name__ == "__main__":
    main()
