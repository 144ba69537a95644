#!/usr/bin/env python3
"""Golden fixtures for the Swift model runtime, from the reference implementation in `transformers`.

For each layout it builds a tiny random-weight model, runs it WITHOUT a causal mask (an explicit 4-D
additive attention mask of zeros, eager attention), and writes to OUT/<name>/:
  config.json          the checkpoint's own config keys (Qwen2 / Qwen3 / LLaDA naming)
  model.safetensors    F32 weights under the family's tensor names
  bf16/config.json, bf16/model.safetensors   the same weights rounded to BF16
  cases.json           input ids (+ optional position ids and key mask) and the logits of every row:
                       "logits" from F32 weights; "logits_bf16w" from the BF16-rounded weights computed in
                       F32 (what Unmask does); "logits_bf16_compute" from torch running in bfloat16.
Layouts: qwen2 (Dream-style, untied lm_head, q/k/v bias), qwen2-tied (Open-dCoder-style), qwen3 (CoDA-style,
q/k norms, no bias), llada (LlamaForCausalLM maths saved under LLaDA's OLMo-style names and config keys).
Tolerances checked by the Swift tests: F32 max|Δ| ≤ 1e-4 × max|logit| and equal argmax; BF16 ≤ 2e-2 × max|logit|.

Checkpoints as transformers >= 5 saves them (`save_pretrained`: `rope_parameters`, `layer_types`, …, the
config.json written by transformers itself, F32 weights), each with one RoPE type and biases the layout allows:
  tf5-qwen2          Qwen2ForCausalLM, rope_parameters {rope_theta 1e6, default}
  tf5-qwen2-linear   Qwen2ForCausalLM, linear scaling (factor 2)
  tf5-qwen3-yarn     Qwen3ForCausalLM, YaRN (factor 4 over 128 original positions), attention_bias (q/k/v/o biases)
  tf5-llama3         LlamaForCausalLM, llama3 scaling (factor 8, 64 original positions), attention_bias
Their cases reach positions past the original context so the scaled frequencies matter.
Fixtures were made with transformers 5.24.0 and torch 2.13 (recorded in each cases.json).

Usage: python3 training/make_model_fixtures.py Tests/Fixtures/models [names…]
"""
import copy, json, os, sys
import torch
from safetensors.torch import save_file
from transformers import Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM, LlamaConfig, LlamaForCausalLM

V, D, L, H, HK, DH, I = 300, 64, 2, 4, 2, 16, 96

def randomize(model, g):
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n: p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else: p.copy_(0.15 * torch.randn(p.shape, generator=g))

def run(model, ids, pos=None, keymask=None, dtype=torch.float32):
    # A fresh copy per run: `.to(bfloat16)` would also round the RoPE inv_freq buffer, which
    # from_pretrained keeps in float32; restore it so only weights and activations are bfloat16.
    m = copy.deepcopy(model)
    inv = {n: b.clone() for n, b in m.named_buffers() if n.endswith("inv_freq")}
    m = m.to(dtype)
    for n, b in inv.items():
        mod = m.get_submodule(n.rsplit(".", 1)[0]); setattr(mod, n.rsplit(".", 1)[1], b)
    T = len(ids)
    mask = torch.zeros(1, 1, T, T, dtype=dtype)
    if keymask is not None:
        for j, keep in enumerate(keymask):
            if not keep: mask[..., j] = torch.finfo(dtype).min
    kw = dict(input_ids=torch.tensor([ids]), attention_mask=mask)
    if pos is not None: kw["position_ids"] = torch.tensor([pos])
    with torch.no_grad():
        return m(**kw).logits[0].float()

def llada_names(sd):
    out = {}
    for k, v in sd.items():
        k2 = (k.replace("model.embed_tokens.", "model.transformer.wte.").replace("model.norm.", "model.transformer.ln_f.")
               .replace("lm_head.", "model.transformer.ff_out."))
        if k2.startswith("model.layers."):
            parts = k2.split("."); i = parts[2]; rest = ".".join(parts[3:])
            rest = (rest.replace("input_layernorm", "attn_norm").replace("post_attention_layernorm", "ff_norm")
                        .replace("self_attn.q_proj", "q_proj").replace("self_attn.k_proj", "k_proj").replace("self_attn.v_proj", "v_proj")
                        .replace("self_attn.o_proj", "attn_out").replace("mlp.gate_proj", "ff_proj").replace("mlp.up_proj", "up_proj")
                        .replace("mlp.down_proj", "ff_out"))
            k2 = f"model.transformer.blocks.{i}.{rest}"
        out[k2] = v
    return out

def build(name):
    common = dict(vocab_size=V, hidden_size=D, num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=HK,
                  intermediate_size=I, rms_norm_eps=1e-6, max_position_embeddings=512, attn_implementation="eager")
    if name == "qwen2":
        cfg = Qwen2Config(**common, rope_theta=1e6, tie_word_embeddings=False); model = Qwen2ForCausalLM(cfg)
        out_cfg = {"architectures": ["DreamModel"], "model_type": "Dream", "hidden_size": D, "num_hidden_layers": L, "num_attention_heads": H,
                   "num_key_value_heads": HK, "intermediate_size": I, "vocab_size": V, "rms_norm_eps": 1e-6, "rope_theta": 1e6,
                   "max_position_embeddings": 512, "tie_word_embeddings": False, "mask_token_id": 299, "pad_token_id": 298,
                   "eos_token_id": 298, "bos_token_id": 298, "hidden_act": "silu", "rope_scaling": None}
    elif name == "qwen2-tied":
        cfg = Qwen2Config(**common, rope_theta=1e6, tie_word_embeddings=True); model = Qwen2ForCausalLM(cfg)
        out_cfg = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": D, "num_hidden_layers": L, "num_attention_heads": H,
                   "num_key_value_heads": HK, "intermediate_size": I, "vocab_size": V, "rms_norm_eps": 1e-6, "rope_theta": 1e6,
                   "max_position_embeddings": 512, "tie_word_embeddings": True, "hidden_act": "silu"}
    elif name == "qwen3":
        cfg = Qwen3Config(**common, head_dim=DH, rope_theta=10000.0, tie_word_embeddings=False, attention_bias=False); model = Qwen3ForCausalLM(cfg)
        out_cfg = {"architectures": ["CoDALanguageModel"], "model_type": "CoDA", "hidden_size": D, "num_hidden_layers": L, "num_attention_heads": H,
                   "num_key_value_heads": HK, "head_dim": DH, "intermediate_size": I, "vocab_size": V, "rms_norm_eps": 1e-6, "rope_theta": 10000,
                   "max_position_embeddings": 512, "attention_bias": False, "mask_token_id": 299, "pad_token_id": 298, "hidden_act": "silu"}
    elif name == "llada":
        cfg = LlamaConfig(**common, rope_theta=500000.0, tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
                          num_key_value_heads_override=None) if False else LlamaConfig(**common, rope_theta=500000.0, tie_word_embeddings=False)
        cfg.num_key_value_heads = H   # LLaDA-8B is plain multi-head attention
        model = LlamaForCausalLM(cfg)
        out_cfg = {"architectures": ["LLaDAModelLM"], "model_type": "llada", "d_model": D, "n_layers": L, "n_heads": H, "n_kv_heads": H,
                   "mlp_hidden_size": I, "embedding_size": V, "vocab_size": V, "rms_norm_eps": 1e-6, "rope_theta": 500000.0,
                   "max_sequence_length": 512, "weight_tying": False, "include_bias": False, "include_qkv_bias": False,
                   "mask_token_id": 299, "eos_token_id": 298, "pad_token_id": 298, "activation_type": "silu", "block_type": "llama"}
    return model, out_cfg

def build_tf5(name):
    common = dict(vocab_size=V, hidden_size=D, num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=HK,
                  intermediate_size=I, rms_norm_eps=1e-6, max_position_embeddings=512, tie_word_embeddings=False)
    if name == "tf5-qwen2":
        cfg = Qwen2Config(**common, rope_parameters={"rope_type": "default", "rope_theta": 1e6}); cls = Qwen2ForCausalLM
    elif name == "tf5-qwen2-linear":
        cfg = Qwen2Config(**common, rope_parameters={"rope_type": "linear", "rope_theta": 1e6, "factor": 2.0}); cls = Qwen2ForCausalLM
    elif name == "tf5-qwen3-yarn":
        cfg = Qwen3Config(**common, head_dim=DH, attention_bias=True,
                          rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 128})
        cls = Qwen3ForCausalLM
    elif name == "tf5-llama3":
        cfg = LlamaConfig(**common, attention_bias=True,
                          rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                           "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
        cls = LlamaForCausalLM
    cfg._attn_implementation = "eager"
    return cls(cfg)

def main_tf5(out, names):
    import transformers
    for idx, name in enumerate(["tf5-qwen2", "tf5-qwen2-linear", "tf5-qwen3-yarn", "tf5-llama3"]):
        if names and name not in names: continue
        g = torch.Generator().manual_seed(200 + idx)
        model = build_tf5(name); randomize(model, g); model.eval()
        d = os.path.join(out, name)
        model.save_pretrained(d)                       # config.json and model.safetensors exactly as transformers writes them
        ids = torch.randint(0, V, (24,), generator=g).tolist()
        cases = [{"ids": ids}, {"ids": ids[:20], "positions": list(range(150, 170))},
                 {"ids": ids[:16], "positions": [0, 3, 40, 70, 100, 130, 160, 200, 230, 260, 300, 340, 380, 420, 470, 511]}]
        for c in cases:
            c["logits"] = run(model, c["ids"], c.get("positions")).flatten().tolist()
        rot = model.model.rotary_emb
        json.dump({"vocab": V, "cases": cases, "inv_freq": rot.inv_freq.tolist(), "attention_scaling": float(rot.attention_scaling),
                   "transformers": transformers.__version__, "torch": torch.__version__},
                  open(os.path.join(d, "cases.json"), "w"))
        print(name, "ok", file=sys.stderr)

def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/models"
    names = set(sys.argv[2:])
    torch.manual_seed(0)
    main_tf5(out, names)
    for idx, name in enumerate(["qwen2", "qwen2-tied", "qwen3", "llada"]):
        if names and name not in names: continue
        g = torch.Generator().manual_seed(100 + idx)
        model, out_cfg = build(name)
        randomize(model, g)
        model.eval()
        if out_cfg.get("tie_word_embeddings"):
            model.lm_head.weight = model.model.embed_tokens.weight
        sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
        if out_cfg.get("tie_word_embeddings"): sd.pop("lm_head.weight", None)   # tied checkpoints omit it
        if name == "llada": sd = llada_names(sd)
        d = os.path.join(out, name); os.makedirs(os.path.join(d, "bf16"), exist_ok=True)
        save_file(sd, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
        save_file({k: v.to(torch.bfloat16) for k, v in sd.items()}, os.path.join(d, "bf16", "model.safetensors"), metadata={"format": "pt"})
        for p in (d, os.path.join(d, "bf16")):
            json.dump(out_cfg, open(os.path.join(p, "config.json"), "w"), indent=1)
        ids = torch.randint(0, V, (24,), generator=g).tolist()
        cases = [{"ids": ids}, {"ids": ids[:17], "positions": list(range(5, 22))},
                 {"ids": ids[:20], "keymask": [j % 5 != 3 for j in range(20)]}]
        # BF16-rounded weights, computed in F32 and in bfloat16.
        bf = {k: v.to(torch.bfloat16).float() for k, v in model.state_dict().items()}
        for c in cases:
            c["logits"] = run(model, c["ids"], c.get("positions"), c.get("keymask")).flatten().tolist()
        model_bf = build(name)[0]; model_bf.load_state_dict(bf); model_bf.eval()
        if out_cfg.get("tie_word_embeddings"): model_bf.lm_head.weight = model_bf.model.embed_tokens.weight
        for c in cases:
            c["logits_bf16w"] = run(model_bf, c["ids"], c.get("positions"), c.get("keymask")).flatten().tolist()
            c["logits_bf16_compute"] = run(model_bf, c["ids"], c.get("positions"), c.get("keymask"), dtype=torch.bfloat16).flatten().tolist()
        # Non-causality check on the reference itself: changing the last token changes row 0.
        alt = list(ids); alt[-1] = (alt[-1] + 1) % V
        assert not torch.allclose(run(model, ids)[0], run(model, alt)[0]), "reference ran with a causal mask"
        json.dump({"vocab": V, "cases": cases}, open(os.path.join(d, "cases.json"), "w"))
        print(name, "ok", file=sys.stderr)

if __name__ == "__main__":
    main()
