#!/usr/bin/env python3
"""The embedded model's learning curve: every model the repository has shipped, evaluated with today's
binary and decoder on today's held-out sets, against the training tokens each had seen, and what a
straight line through exact match / edit similarity against log10(tokens) says about more training.

The corpus split has not changed since 2026-11-22 (corpus.py is deterministic and unchanged), so every
shipped model was trained on the same files and none saw the held-out ones. The weights come from git
(`git show COMMIT:models/unmask-code-4m/...`); extra folders (a candidate not yet committed) with --model.

Usage: python3 training/curve.py [--bin .build/release/unmask] [--limit N] [--model DIR ...] [--from-json] [--fit-last N]
Writes training/eval/curve.json (rows of commits already in it are reused) and prints a markdown table and
the fits. training/project.py does the same for the held-out loss, from the training logs.
"""
import argparse, json, math, os, subprocess, tempfile
from run_evals import HE, HERE, ROOT, run

MODEL = "models/unmask-code-4m"
FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
SETS = [  # (key, cases, hole tokens): the same holes run_evals.py reports
    ("line", os.path.join(HERE, "eval", "line.jsonl"), 24),
    ("eol", os.path.join(HERE, "eval", "eol.jsonl"), 16),
    ("humaneval", HE, 24),
]
TARGETS = {"line": ("exact_match", 0.10), "line_sim": ("edit_similarity", 0.50), "eol": ("exact_match", 0.15)}

def shipped_commits():
    out = subprocess.run(["git", "log", "--format=%h", "--", f"{MODEL}/model.safetensors"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    return list(reversed(out))

def checkout(commit, into):
    for f in FILES:
        blob = subprocess.run(["git", "show", f"{commit}:{MODEL}/{f}"], cwd=ROOT, capture_output=True, check=True).stdout
        open(os.path.join(into, f), "wb").write(blob)

def evaluate(exe, folder, limit):
    row = {"tokens": json.load(open(os.path.join(folder, "config.json")))["unmask_training"]["tokens"]}
    for key, cases, tokens in SETS:
        r = run(exe, cases, "--model", folder, "--tokens", str(tokens), "--threads", "1", limit=limit)
        row[key] = {k: r[k] for k in ("cases", "exact_match", "exact_match_ci95", "edit_similarity", "latency_p50_ms")}
    return row

def fit(xs, ys):
    """Least squares y = a + b·x; returns (a, b)."""
    n = len(xs); mx = sum(xs) / n; my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else 0.0
    return my - b * mx, b

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "unmask"))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--model", action="append", default=[], help="an extra model folder (a candidate not yet committed)")
    ap.add_argument("--from-json", action="store_true", help="only refit training/eval/curve.json")
    ap.add_argument("--fit-last", type=int, default=4, help="fit the last N models only (default 4): the curve bends, and the "
                    "early models come from the first run's (m5) high learning rate")
    a = ap.parse_args()
    path = os.path.join(HERE, "eval", "curve.json")
    # Rows already in curve.json are kept (a commit's weights never change): a new shipped model costs one evaluation.
    known = {r["model"]: r for r in json.load(open(path))["rows"]} if os.path.exists(path) and not a.limit else {}
    if a.from_json:
        rows = list(known.values())
    else:
        rows = []
        for c in shipped_commits():
            if c not in known:
                with tempfile.TemporaryDirectory() as d:
                    checkout(c, d)
                    known[c] = {"model": c, **evaluate(a.bin, d, a.limit)}
                print(f"{c}: {known[c]['tokens'] / 1e6:.1f} M tokens, line {known[c]['line']['exact_match']:.3f}", flush=True)
            rows.append(known[c])
        for m in a.model:
            rows.append({"model": m, **evaluate(a.bin, m, a.limit)})
    rows.sort(key=lambda r: r["tokens"])
    print("| model | training tokens | line exact | line edit sim | EOL exact | EOL edit sim | HumanEval exact | HumanEval edit sim |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {os.path.basename(r['model'].rstrip('/'))} | {r['tokens'] / 1e6:.1f} M | {100 * r['line']['exact_match']:.1f} % | {r['line']['edit_similarity']:.3f} | "
              f"{100 * r['eol']['exact_match']:.1f} % | {r['eol']['edit_similarity']:.3f} | {100 * r['humaneval']['exact_match']:.1f} % | {r['humaneval']['edit_similarity']:.3f} |")
    # Straight lines against log10(tokens) through the last models: how many tokens each target needs at that slope.
    last = rows[-a.fit_last:]
    xs = [math.log10(r["tokens"]) for r in last]
    fits = {"models": [r["model"] for r in last]}
    print(f"\nfit through the last {len(last)} models ({last[0]['tokens'] / 1e6:.1f}–{last[-1]['tokens'] / 1e6:.1f} M tokens):")
    for name, (metric, target) in TARGETS.items():
        key = name.split("_")[0]
        a0, b = fit(xs, [r[key][metric] for r in last])
        ratio = 10 ** ((target - a0) / b - xs[-1]) if b > 0 else math.inf
        fits[name] = {"metric": metric, "target": target, "intercept": a0, "per_decade": b, "times_last_tokens": ratio if ratio < 1e6 else None}
        reach = f"at {ratio:.1f}x the last model's tokens ({ratio * last[-1]['tokens'] / 1e6:,.0f} M)" if ratio < 1000 else "not within 1000x the tokens at this slope"
        print(f"  {key} {metric}: {b:+.3f} per 10x tokens; target {target} {reach}")
    if not a.limit:   # a quick look at a few cases never replaces the full-set rows
        json.dump({"rows": rows, "fits": fits}, open(path, "w"), indent=1)

if __name__ == "__main__":
    main()
