"""`unmask forward --canvas` against transformers on DiffusionGemma models no other test has seen: each
run draws new random configs (layer pattern with the last layer global, window, heads, kv heads, global
head_dim, experts and top-k, soft cap, F32 or BF16 weights; the seed is printed) and weights, saves them
with save_pretrained, and compares the decoder logits of one step (the encoder over a prompt longer than
the window, then one decoder pass) with the reference computing in F32. Tolerance: max |delta| <= 1e-4 of
the logit scale and equal argmax (as DiffusionGemmaGoldenTests) on a path with F32 activations
(UNMASK_ISA=avx512 or avx2); BF16 weights also on the CPU's default path, whose AVX512-BF16 tile rounds
activations to BF16 like torch's bfloat16 compute: within 15 % of the scale there, the same argmax at
three quarters of the positions or more (measured 0.6-6.2 % on these perturbed random nets: a sanity
bound that a broken tile would fail by far, not a precision claim). Needs torch and transformers 5.24.0
(Tests/run.sh installs them); skipped with the reason when they are missing."""
import json, os, random, subprocess, tempfile, time
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (Tests/run.sh installs torch==2.13.0+cpu)")
transformers = pytest.importorskip("transformers", reason="transformers is not installed (Tests/run.sh installs 5.24.0)")
if not hasattr(transformers, "DiffusionGemmaForBlockDiffusion"):
    pytest.skip(f"transformers {transformers.__version__} has no DiffusionGemma (5.24.0 has)", allow_module_level=True)


def random_model(rng, directory):
    layers = rng.randint(2, 4)
    types = [rng.choice(["sliding_attention", "full_attention"]) for _ in range(layers - 1)] + ["full_attention"]
    heads = rng.choice([2, 4])
    experts = rng.randint(3, 6)
    text = dict(vocab_size=rng.randint(70, 140), hidden_size=rng.choice([24, 32, 40]), intermediate_size=rng.choice([32, 48]),
                num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=rng.choice([1, heads // 2 or 1, heads]),
                head_dim=rng.choice([8, 12]), global_head_dim=rng.choice([16, 24]), num_global_key_value_heads=1,
                sliding_window=rng.randint(3, 9), layer_types=types, num_experts=experts, top_k_experts=rng.randint(2, experts),
                moe_intermediate_size=rng.choice([8, 16]), max_position_embeddings=256, final_logit_softcapping=rng.choice([2.0, 5.0, 30.0]),
                rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": rng.choice([1e4, 5e4])},
                                 "full_attention": {"rope_type": "proportional", "partial_rotary_factor": rng.choice([0.25, 0.5, 1.0]), "rope_theta": 1e6}})
    vision = dict(model_type="gemma4_vision", hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                  num_key_value_heads=2, head_dim=8, position_embedding_size=16, patch_size=4)
    cfg = transformers.DiffusionGemmaConfig(text_config=text, vision_config=vision, canvas_length=rng.randint(4, 12))
    torch.manual_seed(rng.randint(0, 2**31))
    m = transformers.DiffusionGemmaForBlockDiffusion(cfg).eval()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if "vision" in name:
                continue
            if "norm" in name or name.endswith("router.scale"):
                p.copy_(1 + 0.3 * torch.randn(p.shape))
            elif name.endswith("per_expert_scale"):
                p.copy_(0.5 + torch.rand(p.shape))
            else:
                p.copy_(0.15 * torch.randn(p.shape))
        for name, b in m.named_buffers():
            if name.endswith("layer_scalar"):
                b.copy_(0.6 + 0.8 * torch.rand(b.shape))
    dtype = rng.choice([torch.float32, torch.bfloat16])
    m.to(dtype).save_pretrained(directory)
    return text, cfg.canvas_length, dtype


@pytest.mark.parametrize("index", range(3))
def test_forward_canvas_matches_transformers_on_unseen_models(unmask_bin, index):
    seed = int(time.time() * 1000) % 100000 + index
    print(f"seed {seed}")
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as d:
        text, canvas_length, dtype = random_model(rng, d)
        V = text["vocab_size"]
        prompt = [rng.randrange(V) for _ in range(text["sliding_window"] + rng.randint(2, 9))]
        canvas = [rng.randrange(V) for _ in range(canvas_length)]
        ref = transformers.DiffusionGemmaForBlockDiffusion.from_pretrained(d, dtype=torch.float32).eval()
        with torch.no_grad():
            cache = transformers.DynamicCache(config=ref.config.get_text_config(decoder=True))
            cache = ref.model.encoder(input_ids=torch.tensor([prompt]), cache=cache).cache
            expected = ref(cache=cache, decoder_input_ids=torch.tensor([canvas])).logits[0]
        def run(isa):
            env = dict(os.environ, **({"UNMASK_ISA": isa} if isa else {}))
            out = subprocess.run([unmask_bin, "forward", "--model", d, "--ids", ",".join(map(str, prompt)), "--canvas", ",".join(map(str, canvas))],
                                 capture_output=True, text=True, timeout=120, env=env)
            assert out.returncode == 0, out.stderr
            return torch.tensor(json.loads(out.stdout.strip().splitlines()[-1])["logits"])
        flags = open("/proc/cpuinfo").read()
        ours = run("avx512" if " avx512f " in flags and " avx512bw " in flags else "avx2")
        scale = expected.abs().max().item()
        err = (ours - expected).abs().max().item()
        assert err <= 1e-4 * scale, f"seed {seed} ({dtype}, {text['layer_types']}): max|delta| {err} vs scale {scale}"
        assert torch.equal(ours.argmax(-1), expected.argmax(-1)), f"seed {seed}: argmax differs"
        if dtype == torch.bfloat16:
            default = run(None)
            err = (default - expected).abs().max().item()
            print(f"seed {seed}, default ISA path: {err / scale:.4f} of the scale")
            assert err <= 0.15 * scale, f"seed {seed}, default ISA path: max|delta| {err} vs scale {scale}"
            assert (default.argmax(-1) == expected.argmax(-1)).float().mean().item() >= 0.75, f"seed {seed}, default ISA path: argmax"
