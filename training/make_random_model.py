#!/usr/bin/env python3
"""A random-weight Dream-layout model folder in a real model's shape, for speed benchmarks that need a
model folder (`unmask bench typing --model DIR`, llama.cpp's diffusion CLI after conversion): config.json
as Dream's (architectures DreamModel, mask 151666, shifted logits), model.safetensors in BF16 from a
seeded torch init, and the real Qwen2.5 tokenizer files from ../shared/reference. Never for quality.

Usage: python3 training/make_random_model.py OUT_DIR [--shape qwen2.5-0.5b] [--seed 0]
"""
import argparse, json, os, shutil
import torch
from safetensors.torch import save_file

SHAPES = {
    "qwen2.5-0.5b": dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2, intermediate_size=4864,
                         vocab_size=151936, tie_word_embeddings=True),
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER = os.path.join(ROOT, "..", "shared", "reference", "qwen2.5-coder-0.5b-instruct")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out"); ap.add_argument("--shape", default="qwen2.5-0.5b"); ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    s = SHAPES[a.shape]
    D, L, H, HK, I, V = s["hidden_size"], s["num_hidden_layers"], s["num_attention_heads"], s["num_key_value_heads"], s["intermediate_size"], s["vocab_size"]
    Dh = D // H
    g = torch.Generator().manual_seed(a.seed)
    def rnd(*shape): return (torch.randn(*shape, generator=g) * 0.02).to(torch.bfloat16)
    t = {"model.embed_tokens.weight": rnd(V, D), "model.norm.weight": torch.ones(D, dtype=torch.bfloat16)}
    for i in range(L):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = torch.ones(D, dtype=torch.bfloat16)
        t[p + "post_attention_layernorm.weight"] = torch.ones(D, dtype=torch.bfloat16)
        t[p + "self_attn.q_proj.weight"] = rnd(H * Dh, D); t[p + "self_attn.q_proj.bias"] = rnd(H * Dh)
        t[p + "self_attn.k_proj.weight"] = rnd(HK * Dh, D); t[p + "self_attn.k_proj.bias"] = rnd(HK * Dh)
        t[p + "self_attn.v_proj.weight"] = rnd(HK * Dh, D); t[p + "self_attn.v_proj.bias"] = rnd(HK * Dh)
        t[p + "self_attn.o_proj.weight"] = rnd(D, H * Dh)
        t[p + "mlp.gate_proj.weight"] = rnd(I, D); t[p + "mlp.up_proj.weight"] = rnd(I, D); t[p + "mlp.down_proj.weight"] = rnd(D, I)
    os.makedirs(a.out, exist_ok=True)
    save_file(t, os.path.join(a.out, "model.safetensors"), metadata={"format": "pt"})
    cfg = {"architectures": ["DreamModel"], "model_type": "Dream", "hidden_act": "silu", "hidden_size": D, "intermediate_size": I,
           "num_attention_heads": H, "num_hidden_layers": L, "num_key_value_heads": HK, "vocab_size": V, "max_position_embeddings": 32768,
           "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_scaling": None, "tie_word_embeddings": s["tie_word_embeddings"],
           "mask_token_id": 151666, "pad_token_id": 151643, "bos_token_id": 151643, "eos_token_id": 151643, "torch_dtype": "bfloat16",
           "_unmask_note": f"random weights (seed {a.seed}) in the {a.shape} shape, for speed benchmarks only"}
    json.dump(cfg, open(os.path.join(a.out, "config.json"), "w"), indent=2)
    for f in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        shutil.copy(os.path.join(TOKENIZER, f), os.path.join(a.out, f))
    print(f"wrote {a.out}")

if __name__ == "__main__":
    main()
