#!/usr/bin/env python3
"""Train the embedded masked-diffusion code model (resumable, time-boxed).

Objective, per sample in a batch (half and half by default):
  * MDLM: t ~ U(eps, 1] (stratified over the batch), every token of a 256-token window masked with
    probability t, cross-entropy on the masked positions weighted 1/t, divided by the window length.
  * Padded infill (the product's canvas): a 1-line, 2-4-line or end-of-line span is cut out of the
    window and replaced by a hole of H >= len slots = the span followed by <|pad|> targets; only the
    hole is masked (again with probability t, weighted 1/t, divided by H). The model learns to write
    the middle and to leave the unused slots empty.
Logits are computed only at masked positions (the vocabulary projection is the costly part).

Usage: python3 training/train.py --run /root/unmask-runs/m5 --minutes 120
       [--init models/unmask-code-4m]   (a new run starting from an exported model's weights, fresh optimiser:
                                         how a later run continues when the earlier checkpoint is gone)
       [--init-ckpt RUN/ckpt.pt]             (a new schedule from another run's F32 weights and AdamW moments;
                                              how m5d was branched into m5e into two experiments)
       [--infill-frac 0.7 --infill-t-power 2] (m5e's shipped mix: more infill samples, their t drawn
                                              as sqrt(u) so fully masked holes are common)
Checkpoints every --save-minutes to RUN/ckpt.pt; the loss curve is appended to training/logs/RUN_NAME.txt.
"""
import argparse, json, math, os, time
import numpy as np
import torch
import torch.nn.functional as F
from model import DiffusionLM

MASK, PAD, EOS = 1, 2, 0
LANG_WEIGHT = np.array([0.45, 1.0, 1.0, 1.0, 0.6, 1.0, 1.0])  # swift, python, js, ts, c, go, rust: up-weight non-Swift

CONFIGS = {
    "m5": dict(hidden_size=256, num_hidden_layers=5, num_attention_heads=8, num_key_value_heads=4, head_dim=32, intermediate_size=688),
    "m3": dict(hidden_size=192, num_hidden_layers=6, num_attention_heads=6, num_key_value_heads=3, head_dim=32, intermediate_size=512),
    "m8": dict(hidden_size=320, num_hidden_layers=6, num_attention_heads=10, num_key_value_heads=5, head_dim=32, intermediate_size=864),
}

def full_config(name, vocab):
    c = dict(CONFIGS[name]); c.update(vocab_size=vocab, rms_norm_eps=1e-6, rope_theta=10000.0, max_position_embeddings=1024)
    return c

class Batcher:
    def __init__(self, data, split, L, vocab_nl, seed):
        self.ids = np.fromfile(os.path.join(data, f"{split}.bin"), dtype=np.uint16)
        self.lang = np.fromfile(os.path.join(data, f"{split}.lang.bin"), dtype=np.uint8)
        self.L, self.nl, self.rng = L, vocab_nl, np.random.default_rng(seed)

    def window(self):
        while True:
            s = int(self.rng.integers(0, len(self.ids) - self.L - 1))
            if self.rng.random() < LANG_WEIGHT[self.lang[s]]:
                return self.ids[s:s + self.L].astype(np.int64)

    def infill(self, w, t):
        """Returns (input ids, target ids, loss weight per position) for a padded-infill sample, or None."""
        L = self.L
        ends = np.nonzero(self.nl[w])[0]                   # positions of tokens that end a line
        ends = ends[(ends > 16) & (ends < L - 8)]
        if len(ends) < 6: return None
        kind = self.rng.choice(3, p=[0.4, 0.3, 0.3])       # 0 line, 1 multi-line, 2 end of line
        i = int(self.rng.integers(0, len(ends) - 5))
        a = ends[i] + 1
        if kind == 0: b = ends[i + 1] + 1
        elif kind == 1: b = ends[i + int(self.rng.integers(2, 5))] + 1
        else:
            b = ends[i + 1]                                 # stop before the line's newline token
            if b - a < 2: return None
            a = int(self.rng.integers(a + 1, b))            # cursor somewhere inside the line
        m = b - a
        if m < 1 or m > 64: return None
        H = m + int(self.rng.integers(0, 49))
        hole = np.concatenate([w[a:b], np.full(H - m, PAD)])
        seq = np.concatenate([w[:a], hole, w[b:]])
        lo, hi = max(0, a + H - L), min(a, max(0, len(seq) - L))   # the whole hole must stay in the window
        if lo > hi: return None
        start = int(self.rng.integers(lo, hi + 1))
        seq = seq[start:start + L]; a -= start
        if len(seq) < L: return None
        masked = np.zeros(L, dtype=bool)
        sel = self.rng.random(H) < t
        if not sel.any(): sel[int(self.rng.integers(0, H))] = True
        masked[a:a + H] = sel
        return seq, masked, 1.0 / (t * H)

    def batch(self, B, infill_frac, infill_t_power=1.0):
        """infill_t_power p > 1 draws the infill samples' t as u^(1/p) (density p·t^(p-1)): more samples
        near t = 1, the fully masked hole every decode starts from."""
        eps = 1e-3
        ts = (np.arange(B) + self.rng.random()) / B * (1 - eps) + eps
        self.rng.shuffle(ts)
        X, Y, W = np.zeros((B, self.L), np.int64), np.zeros((B, self.L), np.int64), np.zeros((B, self.L), np.float32)
        for j in range(B):
            t = ts[j]
            got = None
            if j < B * infill_frac:
                ti = t ** (1.0 / infill_t_power)
                for _ in range(8):
                    got = self.infill(self.window(), ti)
                    if got is not None: break
            if got is None:
                w = self.window()
                masked = self.rng.random(self.L) < t
                if not masked.any(): masked[int(self.rng.integers(0, self.L))] = True
                got = (w, masked, 1.0 / (t * self.L))
            seq, masked, weight = got
            Y[j] = seq; X[j] = np.where(masked, MASK, seq); W[j] = masked * weight
        return torch.from_numpy(X), torch.from_numpy(Y), torch.from_numpy(W)

def loss_fn(model, trunk, X, Y, W):
    h = trunk(X)                                           # [B,T,D]
    sel = W > 0
    logits = model.logits(h[sel])                          # [M,V]: only masked positions
    ce = F.cross_entropy(logits.float(), Y[sel], reduction="none")
    return (ce * W[sel]).sum() / X.shape[0]

@torch.no_grad()
def evaluate(model, trunk, valid, n, B, infill_frac):
    model.eval(); tot = 0.0
    state = valid.rng.bit_generator.state
    valid.rng = np.random.default_rng(1234)
    for _ in range(n):
        X, Y, W = valid.batch(B, infill_frac); tot += loss_fn(model, trunk, X, Y, W).item()
    valid.rng.bit_generator.state = state
    model.train(); return tot / n

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True); ap.add_argument("--data", default="/root/unmask-data")
    ap.add_argument("--config", default="m5"); ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--B", type=int, default=16); ap.add_argument("--L", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3); ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--total-steps", type=int, default=12000); ap.add_argument("--infill-frac", type=float, default=0.5)
    ap.add_argument("--save-minutes", type=float, default=8); ap.add_argument("--compile", action="store_true")
    ap.add_argument("--bench", type=int, default=0); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--infill-t-power", type=float, default=1.0, help="infill samples' t = u^(1/p); validation always uses 1")
    ap.add_argument("--init", help="model folder (config.json + model.safetensors) to start a new run from")
    ap.add_argument("--init-ckpt", help="another run's ckpt.pt: start a new run (fresh schedule) from its F32 weights and AdamW moments")
    a = ap.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    os.makedirs(a.run, exist_ok=True)
    tok = json.load(open(os.path.join(a.data, "tok", "tokenizer.json")))
    vocab_map = tok["model"]["vocab"]; V = len(vocab_map) + 0
    for t in tok["added_tokens"]: V = max(V, t["id"] + 1)
    nl = np.zeros(V, dtype=bool)
    for s, i in vocab_map.items():
        if s.endswith("Ċ"): nl[i] = True                   # byte-level 'Ċ' is '\n'
    cfg = full_config(a.config, V)
    model = DiffusionLM(cfg); trunk = torch.compile(model.model) if a.compile else model.model
    decay = [p for p in model.parameters() if p.dim() >= 2]; other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.98))
    train = Batcher(a.data, "train", a.L, nl, seed=int(time.time()) % 100000)
    valid = Batcher(a.data, "valid", a.L, nl, seed=1)
    step, tokens, spent = 0, 0, 0.0
    ck = os.path.join(a.run, "ckpt.pt")
    if os.path.exists(ck):
        s = torch.load(ck, weights_only=False)
        model.load_state_dict(s["model"]); opt.load_state_dict(s["opt"]); step, tokens, spent = s["step"], s["tokens"], s["minutes"]
        print(f"resumed at step {step}, {tokens/1e6:.1f} M tokens, {spent:.1f} min")
    elif a.init_ckpt:
        s = torch.load(a.init_ckpt, weights_only=False)
        assert s["config"] == cfg, f"--init-ckpt was trained with {s['config']}, not {cfg}"
        model.load_state_dict(s["model"]); opt.load_state_dict(s["opt"])
        print(f"initialised from {a.init_ckpt} (its run: {s['step']} steps, {s['tokens']/1e6:.1f} M tokens)")
    elif a.init:
        from safetensors.torch import load_file
        sd = {k: v.float() for k, v in load_file(os.path.join(a.init, "model.safetensors")).items()}
        missing, unexpected = model.load_state_dict(sd, strict=False)
        assert not unexpected and all(k == "lm_head.weight" for k in missing), (missing, unexpected)
        prior = json.load(open(os.path.join(a.init, "config.json"))).get("unmask_training", {})
        print(f"initialised from {a.init} (trained {prior})")
    json.dump(cfg, open(os.path.join(a.run, "model_config.json"), "w"), indent=1)
    log = open(os.path.join(os.path.dirname(__file__), "logs", os.path.basename(a.run.rstrip("/")) + ".txt"), "a")
    if step == 0:
        n = sum(p.numel() for p in model.parameters())
        log.write(f"# config {a.config} {json.dumps(cfg)} params {n/1e6:.2f} M; B={a.B} L={a.L} lr={a.lr} infill_frac={a.infill_frac} infill_t_power={a.infill_t_power} init={a.init or a.init_ckpt}\n# step tokens_M minutes train_loss valid_loss lr\n")
    t0 = time.time(); last_save = t0; ema = None
    def save():
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "tokens": tokens,
                    "minutes": spent + (time.time() - t0) / 60, "config": cfg}, ck + ".tmp")
        os.replace(ck + ".tmp", ck)
    while True:
        el = (time.time() - t0) / 60
        if el > a.minutes or (a.bench and step >= a.bench): break
        lr = a.lr * min(1.0, (step + 1) / a.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / a.total_steps))))
        for g in opt.param_groups: g["lr"] = lr
        X, Y, W = train.batch(a.B, a.infill_frac, a.infill_t_power)
        ts = time.time()
        loss = loss_fn(model, trunk, X, Y, W)
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
        step += 1; tokens += X.numel()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if a.bench: print(f"step {step} {X.numel()/(time.time()-ts):.0f} tok/s loss {loss.item():.3f}", flush=True)
        if step % 200 == 0:
            vl = evaluate(model, trunk, valid, 8, a.B, 0.5)     # the same validation objective in every run
            log.write(f"{step} {tokens/1e6:.2f} {spent + (time.time()-t0)/60:.1f} {ema:.3f} {vl:.3f} {lr:.2e}\n"); log.flush()
        if time.time() - last_save > a.save_minutes * 60:
            save(); last_save = time.time()
    save()
    print(f"stopped at step {step}, {tokens/1e6:.2f} M tokens", flush=True)

if __name__ == "__main__":
    main()
