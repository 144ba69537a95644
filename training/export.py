#!/usr/bin/env python3
"""Export a training checkpoint as a model folder Unmask (and `transformers`) can load.

Writes models/<name>/: config.json (Qwen3ForCausalLM keys + mask/pad/eos ids, shift_logits=false,
unmask_context_window), model.safetensors (F16 or BF16), tokenizer.json, tokenizer_config.json.
The model card README.md is written by hand from the evaluation (see models/<name>/README.md).

Usage: python3 training/export.py --run /root/unmask-runs/m5 --out models/unmask-code-4m [--dtype bf16]
       [--prior-from models/unmask-code-4m]   (the run started from that model with --init: its recorded
                                               training is added to this run's in config.json)
"""
import argparse, json, os, shutil
import torch
from safetensors.torch import save_file

def training(runs):
    """Totals over consecutive runs (each continuing from the previous one's weights), plus the runs."""
    out = {k: sum(r[k] for r in runs) for k in ("steps", "tokens")}
    out["minutes"] = round(sum(r["minutes"] for r in runs), 1)
    if len(runs) > 1: out["runs"] = runs
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True); ap.add_argument("--out", required=True)
    ap.add_argument("--data", default="/root/unmask-data"); ap.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--prior-from", help="model folder this run was initialised from (its unmask_training is carried over)")
    ap.add_argument("--between", nargs=3, type=float, action="append", metavar=("STEPS", "TOKENS", "MINUTES"),
                    help="a run between --prior-from and this one (e.g. the part of a run another was branched from with --init-ckpt)")
    a = ap.parse_args()
    runs = []
    if a.prior_from:
        prior = json.load(open(os.path.join(a.prior_from, "config.json"))).get("unmask_training", {})
        runs = prior.get("runs", [prior] if prior else [])
    runs += [{"steps": int(st), "tokens": int(tk), "minutes": round(mi, 1)} for st, tk, mi in a.between or []]
    s = torch.load(os.path.join(a.run, "ckpt.pt"), map_location="cpu", weights_only=False)
    c = s["config"]
    dt = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[a.dtype]
    sd = {k: v.to(dt).contiguous() for k, v in s["model"].items()}   # tied: lm_head.weight is absent
    os.makedirs(a.out, exist_ok=True)
    save_file(sd, os.path.join(a.out, "model.safetensors"), metadata={"format": "pt"})
    cfg = {
        "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
        "hidden_size": c["hidden_size"], "num_hidden_layers": c["num_hidden_layers"], "num_attention_heads": c["num_attention_heads"],
        "num_key_value_heads": c["num_key_value_heads"], "head_dim": c["head_dim"], "intermediate_size": c["intermediate_size"],
        "vocab_size": c["vocab_size"], "rms_norm_eps": c["rms_norm_eps"], "rope_theta": c["rope_theta"],
        "max_position_embeddings": c["max_position_embeddings"], "tie_word_embeddings": True, "attention_bias": False,
        "hidden_act": "silu", "rope_scaling": None, "torch_dtype": {"bf16": "bfloat16", "f16": "float16", "f32": "float32"}[a.dtype],
        "mask_token_id": 1, "pad_token_id": 2, "eos_token_id": 0, "bos_token_id": None,
        "shift_logits": False, "unmask_context_window": a.window,
        "unmask_training": training(runs + [{"steps": s["step"], "tokens": s["tokens"], "minutes": round(s["minutes"], 1)}]),
    }
    json.dump(cfg, open(os.path.join(a.out, "config.json"), "w"), indent=1)
    shutil.copy(os.path.join(a.data, "tok", "tokenizer.json"), os.path.join(a.out, "tokenizer.json"))
    json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|endoftext|>", "pad_token": "<|pad|>", "mask_token": "<|mask|>",
               "model_max_length": a.window, "clean_up_tokenization_spaces": False},
              open(os.path.join(a.out, "tokenizer_config.json"), "w"), indent=1)
    print(f"exported step {s['step']} ({s['tokens']/1e6:.1f} M tokens) to {a.out}: {os.path.getsize(os.path.join(a.out, 'model.safetensors'))/1e6:.1f} MB")

if __name__ == "__main__":
    main()
