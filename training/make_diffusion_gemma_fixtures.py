#!/usr/bin/env python3
"""Golden fixtures for DiffusionGemma, from the reference implementation (transformers 5.24.0,
models/diffusion_gemma/{modeling,generation}_diffusion_gemma.py, torch 2.13 CPU).

Builds tiny random DiffusionGemmaForBlockDiffusion models in the checkpoint's own layout (save_pretrained:
config.json with text_config / vision_config, model.safetensors with model.decoder.*,
model.encoder.language_model.layers.N.layer_scalar and a vision tower), one sliding and one full layer
(the window, 6, smaller than the 11-token prompt), 4 experts top-2, norms, layer scalars, router scales and
per-expert scales perturbed away from their initial ones, a soft cap of 3 (so that it bends the
logits of a model this small), global layers with their own head_dim and kv
heads. Two models: `f32` (F32 weights) and `bf16` (the same weights stored as BF16; the reference computes
in F32 from the BF16 values, as Unmask does). For each it writes Tests/Fixtures/diffusion-gemma/<name>/
(the model) and <name>.json:

- `prompt`, `canvas`: ids; `encoder`: per layer the K/V the encoder leaves in its cache (sliding layers
  keep the last sliding_window - 1 positions), [positions][kv_heads * head_dim] each;
- `step1`: raw decoder logits (soft-capped, before temperature) of every canvas position with no
  self-conditioning input (the first denoising step), and the experts each layer routed each canvas
  position to; `step2`: the logits with `self_conditioning_logits` = step 1's logits / temperature;
- `generate`: four seeded `generate()` runs: the checkpoint defaults (one position accepted per step
  here); a wider bound that accepts 2 to 4 of 8 positions; a sharp schedule whose acceptance varies from
  1 to 6; and stopping by the stable-and-confident rule after each canvas's first step (stability 0),
  so three canvases are committed and re-encoded. (Sharper schedules over more steps are chaotic: the
  self-conditioning loop at T = 0.1 amplifies 1e-6 differences in the logits until an argmax flips, in
  transformers' own float32 against its float64 too, so no replay can follow them bit for bit.) with every random draw recorded (initial canvas, the
  multinomial sample of each step, the re-noise canvas of each step), and per step the accepted positions
  and the argmax canvas, plus the final sequence.

A third model, `chat` (vocabulary 264: a byte-level tokenizer of the 256 bytes and Gemma's specials,
written with Hugging Face `tokenizers`, and a Gemma-style chat template), is only for the completion
path (GemmaBackendTests): its answers are noise, the tests check the prompt, the shapes and the limits.

Tolerance (Swift tests): logits max |delta| <= 1e-4 of the logit scale, equal argmax, equal experts.
Usage: python3 training/make_diffusion_gemma_fixtures.py [OUT_DIR]
"""
import json, os, sys
import torch
import transformers
from transformers import DiffusionGemmaConfig, DiffusionGemmaForBlockDiffusion
from transformers.models.diffusion_gemma import generation_diffusion_gemma as gen

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "diffusion-gemma")

TEXT = dict(vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            head_dim=8, global_head_dim=16, num_global_key_value_heads=1, sliding_window=6,
            layer_types=["sliding_attention", "full_attention"], num_experts=4, top_k_experts=2, moe_intermediate_size=16,
            max_position_embeddings=256, eos_token_id=1, pad_token_id=0, bos_token_id=2, final_logit_softcapping=3.0,
            rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                             "full_attention": {"rope_type": "proportional", "partial_rotary_factor": 0.25, "rope_theta": 1000000.0}})
VISION = dict(model_type="gemma4_vision", hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
              num_key_value_heads=2, head_dim=8, position_embedding_size=16, patch_size=4)
PROMPT = [2, 17, 45, 9, 88, 31, 5, 62, 40, 12, 77]
CANVAS = [33, 4, 91, 58, 20, 7, 66, 13]


def build():
    cfg = DiffusionGemmaConfig(text_config=TEXT, vision_config=VISION, canvas_length=8)
    torch.manual_seed(1234)
    m = DiffusionGemmaForBlockDiffusion(cfg).eval()
    g = torch.Generator().manual_seed(99)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if "vision" in name:
                continue
            if name.endswith("norm.weight") or "layernorm" in name or name.endswith("router.scale"):
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
            elif name.endswith("per_expert_scale"):
                p.copy_(0.5 + torch.rand(p.shape, generator=g))
            else:                                   # projections, experts, embeddings: larger than init so the
                p.copy_(0.15 * torch.randn(p.shape, generator=g))   # logits spread over the soft cap
        for name, b in m.named_buffers():
            if name.endswith("layer_scalar"):
                b.copy_(0.6 + 0.8 * torch.rand(b.shape, generator=g))
    return m


def kv_of(cache, layer):
    # [1, kv_heads, positions, head_dim] -> [positions][kv_heads * head_dim]
    k, v = cache.layers[layer].keys[0], cache.layers[layer].values[0]
    return k.permute(1, 0, 2).reshape(k.shape[1], -1).tolist(), v.permute(1, 0, 2).reshape(v.shape[1], -1).tolist()


def forward_fixture(m):
    ids = torch.tensor([PROMPT])
    routes = []
    hooks = [layer.router.register_forward_hook(lambda mod, inp, out: routes.append(out[2][:].tolist()))
             for layer in m.model.decoder.layers]
    with torch.no_grad():
        cache = transformers.DynamicCache(config=m.config.get_text_config(decoder=True))
        enc = m.model.encoder(input_ids=ids, cache=cache)
        cache = enc.cache
        encoder = [dict(zip(("keys", "values"), kv_of(cache, i))) for i in range(TEXT["num_hidden_layers"])]
        canvas = torch.tensor([CANVAS])
        out1 = m(cache=cache, decoder_input_ids=canvas)
        experts = [r for r in routes]            # decoder layers, in order
        routes.clear()
        temperature = 0.4 + (0.8 - 0.4) * 47 / 48   # the second step's temperature under the defaults
        sc = out1.logits / temperature
        out2 = m(cache=cache, decoder_input_ids=canvas, self_conditioning_logits=sc)
    for h in hooks:
        h.remove()
    return dict(prompt=PROMPT, canvas=CANVAS, encoder=encoder,
                step1=dict(logits=out1.logits[0].tolist(), experts=experts),
                step2=dict(self_conditioning_temperature=temperature, logits=out2.logits[0].tolist()))


def generate_trace(m, seed, **settings):
    kw = dict(settings)
    if "entropy_bound" in kw:
        kw["sampler_config"] = gen.EntropyBoundSamplerConfig(entropy_bound=kw.pop("entropy_bound"))
    draws = dict(initial=None, samples=[], noise=[])
    steps = []
    orig_multinomial, orig_init, orig_accept = torch.multinomial, gen.EntropyBoundSampler.initialize_canvas, gen.EntropyBoundSampler.accept_canvas
    def multinomial(probs, num_samples, **a):
        out = orig_multinomial(probs, num_samples, **a)
        draws["samples"].append(out.squeeze(-1).tolist())
        return out
    def initialize_canvas(self, batch_size, device):
        out = orig_init(self, batch_size, device)
        if draws["initial"] is None or len(draws["noise"]) < len(draws["samples"]):
            if draws["initial"] is None:
                draws["initial"] = out[0].tolist()
            else:
                draws["noise"].append(out[0].tolist())
        else:                                   # the first canvas of a later block
            draws.setdefault("block_initial", []).append(out[0].tolist())
        return out
    def accept_canvas(self, current, denoiser, logits, cur_step):
        out = orig_accept(self, current, denoiser, logits, cur_step)
        steps.append(dict(step=int(cur_step), accepted=[i for i, a in enumerate(self.accepted_token_mask[0].tolist()) if a],
                          argmax=torch.argmax(logits, dim=-1)[0].tolist()))
        return out
    torch.multinomial, gen.EntropyBoundSampler.initialize_canvas, gen.EntropyBoundSampler.accept_canvas = multinomial, initialize_canvas, accept_canvas
    try:
        torch.manual_seed(seed)
        with torch.no_grad():
            out = m.generate(torch.tensor([PROMPT]), **kw)
    finally:
        torch.multinomial, gen.EntropyBoundSampler.initialize_canvas, gen.EntropyBoundSampler.accept_canvas = orig_multinomial, orig_init, orig_accept
    return dict(settings=settings, seed=seed, draws=draws, steps=steps, sequence=out.sequences[0].tolist())


CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}<|turn>{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n"
                 "{{ m['content'] }}<turn|>\n{% endfor %}{% if add_generation_prompt %}<|turn>model\n{% endif %}")


def chat_model():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    d = os.path.join(OUT, "chat")
    specials = ["<pad>", "<eos>", "<bos>", "<|turn>", "<turn|>"]
    vocab = {t: i for i, t in enumerate(specials)}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
    text = dict(TEXT, vocab_size=264, max_position_embeddings=2048)
    cfg = DiffusionGemmaConfig(text_config=text, vision_config=VISION, canvas_length=8)
    torch.manual_seed(5)
    DiffusionGemmaForBlockDiffusion(cfg).eval().save_pretrained(d)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(specials)
    tok.save(os.path.join(d, "tokenizer.json"))
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "chat_template": CHAT_TEMPLATE}, f, indent=1)
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump({"max_denoising_steps": 3, "sampler_config": {"_cls_name": "EntropyBoundSamplerConfig", "entropy_bound": 0.1},
                   "t_min": 0.4, "t_max": 0.8, "stability_threshold": 1, "confidence_threshold": 0.005}, f, indent=1)


def main():
    os.makedirs(OUT, exist_ok=True)
    chat_model()
    for name, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        d = os.path.join(OUT, name)
        build().to(dtype).save_pretrained(d)
        # The reference computes in F32 from the stored values, as Unmask does: loaded back with
        # dtype=float32, so buffers (√hidden_size, inv_freq) are F32 too. (Run in bfloat16, transformers
        # would also round the embedding scale to BF16: √2816 → 53.0.)
        m = DiffusionGemmaForBlockDiffusion.from_pretrained(d, dtype=torch.float32).eval()
        fx = forward_fixture(m)
        fx["generate"] = [
            generate_trace(m, 7, max_new_tokens=16, max_denoising_steps=6),
            generate_trace(m, 11, max_new_tokens=24, max_denoising_steps=10, t_min=0.3, t_max=0.6, entropy_bound=6.0,
                           confidence_threshold=3.8),
            generate_trace(m, 3, max_new_tokens=16, max_denoising_steps=8, t_min=0.08, t_max=0.12, entropy_bound=0.5,
                           confidence_threshold=0.3),
            generate_trace(m, 13, max_new_tokens=24, max_denoising_steps=10, t_min=0.1, t_max=0.2, entropy_bound=1.5,
                           stability_threshold=0, confidence_threshold=100.0),
        ]
        fx["reference"] = f"transformers {transformers.__version__}, torch {torch.__version__}"
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(fx, f)
        print(name, "steps", [len(t["steps"]) for t in fx["generate"]], "sequences", [t["sequence"][len(PROMPT):] for t in fx["generate"]])


if __name__ == "__main__":
    main()
