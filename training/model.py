"""The embedded model's network: a bidirectional transformer in the Qwen3 layout (CoDA-style).

Tensor names are exactly those of `transformers`' Qwen3ForCausalLM, so `transformers` and Unmask's
Swift runtime both load the exported checkpoint. Differences from the causal model: no causal mask,
and logits are *unshifted* (position i predicts token i), as in MDLM/LLaDA.
Shapes: B batch, T tokens, D hidden_size, H heads, Hk key/value heads, Dh head_dim.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__(); self.weight = nn.Parameter(torch.ones(d)); self.eps = eps
    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

def rope(x, cos, sin):  # x [B,H,T,Dh]; rotate-half as in transformers
    h = x.shape[-1] // 2
    rot = torch.cat((-x[..., h:], x[..., :h]), dim=-1)
    return x * cos + rot * sin

class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        D, H, Hk, Dh = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        self.H, self.Hk, self.Dh = H, Hk, Dh
        self.q_proj = nn.Linear(D, H * Dh, bias=False); self.k_proj = nn.Linear(D, Hk * Dh, bias=False)
        self.v_proj = nn.Linear(D, Hk * Dh, bias=False); self.o_proj = nn.Linear(H * Dh, D, bias=False)
        self.q_norm = RMSNorm(Dh, c["rms_norm_eps"]); self.k_norm = RMSNorm(Dh, c["rms_norm_eps"])
    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(B, T, self.H, self.Dh)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).view(B, T, self.Hk, self.Dh)).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.Hk, self.Dh).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        rep = self.H // self.Hk
        k = k.repeat_interleave(rep, dim=1); v = v.repeat_interleave(rep, dim=1)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=False)  # [B,H,T,Dh], bidirectional
        return self.o_proj(o.transpose(1, 2).reshape(B, T, self.H * self.Dh))

class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        D, I = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(D, I, bias=False); self.up_proj = nn.Linear(D, I, bias=False); self.down_proj = nn.Linear(I, D, bias=False)
    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))

class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"]); self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"]); self.mlp = MLP(c)
    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))

class Trunk(nn.Module):
    """`model.*` of Qwen3ForCausalLM: embeddings, layers, final norm. Returns hidden states [B,T,D]."""
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        Dh = c["head_dim"]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, Dh, 2).float() / Dh))
        f = torch.outer(torch.arange(c["max_position_embeddings"]).float(), inv)
        emb = torch.cat((f, f), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False); self.register_buffer("sin", emb.sin(), persistent=False)
    def forward(self, ids):
        T = ids.shape[1]
        cos, sin = self.cos[:T][None, None], self.sin[:T][None, None]
        x = self.embed_tokens(ids)
        for l in self.layers: x = l(x, cos, sin)
        return self.norm(x)

class DiffusionLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = Trunk(c)
        std = 0.02
        for n, p in self.named_parameters():
            if p.dim() == 2: nn.init.normal_(p, std=std / (math.sqrt(2 * c["num_hidden_layers"]) if n.endswith(("o_proj.weight", "down_proj.weight")) else 1))
    def logits(self, h):  # tied embeddings: lm_head.weight is model.embed_tokens.weight
        return h @ self.model.embed_tokens.weight.t()
