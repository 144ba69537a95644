#!/usr/bin/env python3
"""Runs every evaluation the README reports, with the built binary and the embedded model, and prints
markdown tables plus one JSON object (saved to training/eval/results.json).

- HumanEval-Infilling single-line (public set; never trained on): the default decoding (threshold with
  the automatic step budget, 'run' end rule, cached context) beside the one-token-per-step baseline in
  the same run, without the K/V cache, with int8 weights, and with the published samplers' end rule
  ('token': pads committed one by one, as before 2026-11-23). pass@1 with --execute for default and baseline.
- Held-out corpus holes (training/eval/{line,multiline,eol}.jsonl from make_eval_cases.py), default
  decoding and baseline, beside the "repeat the previous non-empty line" baseline; end-of-line holes
  also without token healing.
Usage: python3 training/run_evals.py [--bin .build/release/unmask] [--limit N] [--execute]
"""
import argparse, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HE = os.path.join(ROOT, "..", "shared", "benchmarks", "humaneval-infilling", "HumanEval-SingleLineInfilling.jsonl.gz")

HE_CONFIGS = [  # (key, label, extra arguments, execute tests)
    ("default", "threshold τ=0.9 + step budget, end run, cached (default)", [], True),
    ("one_token_per_step", "one token per step (AR-equivalent baseline)", ["--tokens-per-step", "1"], True),
    ("no_cache", "default without the K/V cache", ["--no-cache"], False),
    ("int8", "default with --quantize int8", ["--quantize", "int8"], False),
    ("token_end_rule", "published end rule (pads one per step), τ=0.9, 16 steps", ["--end-rule", "token", "--steps", "16"], False),
]

def run(exe, cases, *extra, limit=None):
    argv = [exe, "eval", cases, *extra] + (["--limit", str(limit)] if limit else [])
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return json.loads(out)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "unmask"))
    ap.add_argument("--limit", type=int); ap.add_argument("--execute", action="store_true")
    a = ap.parse_args()
    res = {"humaneval": {}, "heldout": {}}
    for key, _, extra, execute in HE_CONFIGS:
        res["humaneval"][key] = run(a.bin, HE, "--tokens", "24", *extra, *(["--execute"] if a.execute and execute else []), limit=a.limit)
    sys.path.insert(0, HERE)
    from make_eval_cases import norm, sim
    base = {}
    for kind, tokens in (("line", 24), ("multiline", 64), ("eol", 16)):
        path = os.path.join(HERE, "eval", f"{kind}.jsonl")
        res["heldout"][kind] = run(a.bin, path, "--tokens", str(tokens), limit=a.limit)
        res["heldout"][kind + "_one_token_per_step"] = run(a.bin, path, "--tokens", str(tokens), "--tokens-per-step", "1", limit=a.limit)
        if kind == "eol":   # the cursor sits mid-line, often mid-word: what token healing is for
            res["heldout"]["eol_no_token_healing"] = run(a.bin, path, "--tokens", str(tokens), "--no-token-healing", limit=a.limit)
        cases = [json.loads(l) for l in open(path)][: a.limit or None]
        base[kind] = {"exact_match": sum(norm(c["baseline"]) == norm(c["canonical_solution"]) for c in cases) / len(cases),
                      "edit_similarity": sum(sim(c["baseline"], c["canonical_solution"]) for c in cases) / len(cases)}
    res["baseline_previous_line"] = base
    he = res["humaneval"]
    print("| HumanEval single-line (24-slot hole) | exact | edit sim | pass@1 | forwards/case | slots/forward | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for key, label, _, _ in HE_CONFIGS:
        r = he[key]
        p = "–" if r.get("pass_at_1") is None else f"{100 * r['pass_at_1']:.1f} %"
        print(f"| {label} | {100 * r['exact_match']:.1f} % | {r['edit_similarity']:.3f} | {p} | {r['forwards_per_case']:.2f} | {r['tokens_per_forward']:.1f} | {r['latency_p50_ms']:.0f} | {r['latency_p95_ms']:.0f} |")
    t, o = he["default"], he["one_token_per_step"]
    print(f"\nforwards: the default needs {t['forwards_per_case'] / o['forwards_per_case']:.2f}x the forward passes of one-token-per-step; "
          f"p50 wall time {t['latency_p50_ms'] / o['latency_p50_ms']:.2f}x; exact-match difference {100 * (t['exact_match'] - o['exact_match']):+.1f} points\n")
    n = res["heldout"]["line"]["cases"]
    print(f"| held-out holes ({n} each, 4 languages; 95 % intervals) | exact | edit sim | forwards | p50 ms | one token per step: exact | edit sim | forwards | previous line: exact | edit sim |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    def ci(r):   # "4.0 % (2.8–5.6)" and "0.354 ± 0.012" from unmask eval's intervals
        lo, hi = r["exact_match_ci95"]; slo, shi = r["edit_similarity_ci95"]
        return f"{100 * r['exact_match']:.1f} % ({100 * lo:.1f}–{100 * hi:.1f})", f"{r['edit_similarity']:.3f} ± {(shi - slo) / 2:.3f}"
    for kind in ("line", "multiline", "eol"):
        r, s, b = res["heldout"][kind], res["heldout"][kind + "_one_token_per_step"], base[kind]
        e, m = ci(r)
        print(f"| {kind} | {e} | {m} | {r['forwards_per_case']:.1f} | {r['latency_p50_ms']:.0f} | "
              f"{100 * s['exact_match']:.1f} % | {s['edit_similarity']:.3f} | {s['forwards_per_case']:.1f} | {100 * b['exact_match']:.1f} % | {b['edit_similarity']:.3f} |")
    e, m = ci(res["heldout"]["eol_no_token_healing"])
    print(f"\neol without token healing: exact {e}, edit sim {m}\n")
    json.dump(res, open(os.path.join(HERE, "eval", "results.json"), "w"), indent=1)
    print(json.dumps(res))

if __name__ == "__main__":
    main()
