#!/usr/bin/env python3
"""DiffusionGemma peer: the same reduced model as `unmask bench gemma` (google/diffusiongemma-26B-A4B-it's
text_config with one sliding and one global layer: hidden 2816, 16 heads, kv 8 / global kv 2, head_dim 256 /
global 512, 128 experts top-8 of 704, dense MLP 2112, vocab 262144, window 1024, random weights) in
transformers 5.24.0, run in the same invocation: a 512-token prompt through the encoder, then denoising
steps over a 256-token canvas with self-conditioning, in float32 and in bfloat16, each layer timed by
forward pre-hooks. Prints both sides, per layer and per step, and the ratios (> 1: Unmask is faster),
with the extrapolation to the real 30 layers (25 sliding + 5 global).

Usage: python3 training/bench_diffusion_gemma.py [.build/release/unmask] [--threads 2 --repeats 2]
"""
import json, os, subprocess, sys

TORCH_SIDE = r'''
import json, sys, time, torch, transformers
from transformers import DiffusionGemmaConfig, DiffusionGemmaForBlockDiffusion
P, reps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
dtype = getattr(torch, sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
text = dict(vocab_size=262144, hidden_size=2816, intermediate_size=2112, num_hidden_layers=2, num_attention_heads=16,
            num_key_value_heads=8, head_dim=256, global_head_dim=512, num_global_key_value_heads=2, sliding_window=1024,
            layer_types=["sliding_attention", "full_attention"], num_experts=128, top_k_experts=8, moe_intermediate_size=704,
            max_position_embeddings=262144, final_logit_softcapping=30.0)
vision = dict(model_type="gemma4_vision", hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
              num_key_value_heads=2, head_dim=8, position_embedding_size=16, patch_size=4)
cfg = DiffusionGemmaConfig(text_config=text, vision_config=vision, canvas_length=256)
cfg._attn_implementation = "sdpa"
with torch.device("cpu"):
    torch.set_default_dtype(dtype)
    m = DiffusionGemmaForBlockDiffusion(cfg).eval()
prompt = torch.tensor([[(i * 7919) % 262144 for i in range(P)]])
canvas = torch.tensor([[(i * 104729 + 17) % 262144 for i in range(256)]])
marks = []
hooks = [l.register_forward_pre_hook(lambda *a: marks.append(time.perf_counter())) for l in m.model.decoder.layers]
hooks.append(m.lm_head.register_forward_pre_hook(lambda *a: marks.append(time.perf_counter())))
enc_marks = []
for l in m.model.encoder.language_model.layers:
    l.register_forward_pre_hook(lambda *a: enc_marks.append(time.perf_counter()))
with torch.no_grad():
    cache = transformers.DynamicCache(config=m.config.get_text_config(decoder=True))
    t0 = time.perf_counter()
    cache = m.model.encoder(input_ids=prompt, cache=cache).cache
    t1 = time.perf_counter()
    enc = [(b - a) * 1000 for a, b in zip(enc_marks, enc_marks[1:] + [t1])]
    sc = None
    steps = []
    for r in range(reps + 1):
        marks.clear()
        s0 = time.perf_counter()
        logits = m(cache=cache, decoder_input_ids=canvas, self_conditioning_logits=sc).logits
        s1 = time.perf_counter()
        phases = [(marks[0] - s0) * 1000] + [(b - a) * 1000 for a, b in zip(marks, marks[1:])] + [(s1 - marks[-1]) * 1000]
        if r > 0: steps.append(phases)
        sc = (logits / 0.8).to(dtype)
med = [sorted(s[i] for s in steps)[len(steps) // 2] for i in range(len(steps[0]))]
print(json.dumps({"encode_ms_per_layer": enc, "step_phase_ms": med, "step_ms": sum(med)}))
'''


def main():
    args = sys.argv[1:]
    exe = args.pop(0) if args and not args[0].startswith("--") else ".build/release/unmask"
    opt = {"threads": os.cpu_count(), "repeats": 2, "prompt": 512}
    for i in range(0, len(args), 2): opt[args[i][2:]] = int(args[i + 1])
    def run(cmd):
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0: sys.exit(out.stderr)
        return json.loads(out.stdout.strip().splitlines()[-1])
    ours = run([exe, "bench", "gemma", "--prompt", str(opt["prompt"]), "--repeats", str(opt["repeats"]), "--threads", str(opt["threads"])])
    peers = {d: run([sys.executable, "-c", TORCH_SIDE, str(opt["prompt"]), str(opt["repeats"]), str(opt["threads"]), d]) for d in ("float32", "bfloat16")}
    def real(side):   # phases [embed+SC, sliding, full, head (+ the rest)]: 25 sliding + 5 full layers
        p = side["step_phase_ms"]
        return (p[0] + p[-1] + 25 * p[1] + 5 * p[2]) / 1000, (25 * side["encode_ms_per_layer"][0] + 5 * side["encode_ms_per_layer"][1]) / 1000
    print(f"{'':22} {'encode/layer ms':>18} {'step ms':>9} {'embed+SC':>9} {'sliding':>8} {'full':>8} {'head':>8} {'30-layer step s':>16} {'30-layer encode s':>18}")
    rows = [("unmask (" + ours["precision"] + ")", ours)] + [("transformers " + d, p) for d, p in peers.items()]
    for name, side in rows:
        p = side["step_phase_ms"]; s30, e30 = real(side)
        enc = " / ".join(f"{x:.0f}" for x in side["encode_ms_per_layer"])
        print(f"{name:22} {enc:>18} {side['step_ms']:9.0f} {p[0]:9.0f} {p[1]:8.0f} {p[2]:8.0f} {p[-1]:8.0f} {s30:16.1f} {e30:18.1f}")
    res = {"unmask": ours, "transformers": peers, "cpu": ours["cpu"], "isa": ours["isa"]}
    for d, p in peers.items():
        res[f"step_ratio_vs_{d}"] = real(p)[0] / real(ours)[0]
        res[f"encode_ratio_vs_{d}"] = real(p)[1] / real(ours)[1]
        print(f"ratio vs transformers {d}: 30-layer step {res[f'step_ratio_vs_{d}']:.2f}x, prompt encoding {res[f'encode_ratio_vs_{d}']:.2f}x")
    print(f"memory for the full 30-layer model: {ours['memory_bf16_gb']:.1f} GB BF16, {ours['memory_int8_gb']:.1f} GB int8")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
