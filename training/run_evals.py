#!/usr/bin/env python3
"""Runs every evaluation the README reports, with the built binary and the embedded model, and prints
markdown tables plus one JSON object (saved to training/eval/results.json).

- HumanEval-Infilling single-line (public set; never trained on): threshold decoding vs the
  one-token-per-step baseline in the same run, with and without the K/V cache; pass@1 with --execute.
- Held-out corpus holes (training/eval/{line,multiline,eol}.jsonl from make_eval_cases.py) beside the
  "repeat the previous non-empty line" baseline.
Usage: python3 training/run_evals.py [--bin .build/release/unmask] [--limit N] [--execute]
"""
import argparse, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HE = os.path.join(ROOT, "..", "shared", "benchmarks", "humaneval-infilling", "HumanEval-SingleLineInfilling.jsonl.gz")

def run(exe, cases, *extra, limit=None):
    argv = [exe, "eval", cases, *extra] + (["--limit", str(limit)] if limit else [])
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return json.loads(out)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "unmask"))
    ap.add_argument("--limit", type=int); ap.add_argument("--execute", action="store_true")
    ap.add_argument("--end-penalty", default="3")
    a = ap.parse_args()
    ep = ["--end-penalty", a.end_penalty]
    res = {}
    he_extra = ["--tokens", "24"] + ep
    # pass@1 (running HumanEval's tests) for the main configuration only.
    res["humaneval_threshold"] = run(a.bin, HE, *he_extra, *(["--execute"] if a.execute else []), limit=a.limit)
    res["humaneval_one_token_per_step"] = run(a.bin, HE, *he_extra, "--tokens-per-step", "1", limit=a.limit)
    res["humaneval_threshold_no_cache"] = run(a.bin, HE, *he_extra, "--no-cache", limit=a.limit)
    base = {}
    for kind, tokens in (("line", 24), ("multiline", 64), ("eol", 16)):
        path = os.path.join(HERE, "eval", f"{kind}.jsonl")
        res[f"heldout_{kind}"] = run(a.bin, path, "--tokens", str(tokens), *ep, limit=a.limit)
        sys.path.insert(0, HERE)
        from make_eval_cases import norm, sim
        cases = [json.loads(l) for l in open(path)][: a.limit or None]
        base[kind] = {"exact_match": sum(norm(c["baseline"]) == norm(c["canonical_solution"]) for c in cases) / len(cases),
                      "edit_similarity": sum(sim(c["baseline"], c["canonical_solution"]) for c in cases) / len(cases)}
    res["baseline_previous_line"] = base
    t, o = res["humaneval_threshold"], res["humaneval_one_token_per_step"]
    print("| HumanEval single-line | exact | edit sim | pass@1 | forwards/case | tokens/forward | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in (("threshold τ=0.9, cached", t), ("threshold τ=0.9, no cache", res["humaneval_threshold_no_cache"]), ("one token per step (baseline)", o)):
        p = "–" if r.get("pass_at_1") is None else f"{100 * r['pass_at_1']:.1f} %"
        print(f"| {name} | {100 * r['exact_match']:.1f} % | {r['edit_similarity']:.3f} | {p} | {r['forwards_per_case']:.1f} | {r['tokens_per_forward']:.2f} | {r['latency_p50_ms']:.0f} | {r['latency_p95_ms']:.0f} |")
    print(f"\nforwards: threshold needs {t['forwards_per_case'] / o['forwards_per_case']:.2f}x the forward passes of one-token-per-step; wall time p50 {t['latency_p50_ms'] / o['latency_p50_ms']:.2f}x\n")
    print("| held-out holes (200 each, 4 languages) | model exact | model edit sim | previous-line exact | previous-line edit sim | p50 ms |")
    print("|---|---|---|---|---|---|")
    for kind in ("line", "multiline", "eol"):
        r, b = res[f"heldout_{kind}"], base[kind]
        print(f"| {kind} | {100 * r['exact_match']:.1f} % | {r['edit_similarity']:.3f} | {100 * b['exact_match']:.1f} % | {b['edit_similarity']:.3f} | {r['latency_p50_ms']:.0f} |")
    json.dump(res, open(os.path.join(HERE, "eval", "results.json"), "w"), indent=1)
    print(json.dumps(res))

if __name__ == "__main__":
    main()
