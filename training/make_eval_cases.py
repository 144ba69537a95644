#!/usr/bin/env python3
"""Held-out infill cases from the validation split (units never trained on), in the HumanEval-Infilling
line shape that `unmask eval` reads: task_id, prompt (code before), suffix, canonical_solution (the
middle), language, kind. Kinds: `line` (one whole line), `multiline` (2-4 lines), `eol` (the rest of a
line from a cursor inside it). Also scores the trivial baseline "repeat the previous non-empty line" with
the same rules (exact match after stripping trailing whitespace per line; 1 − Levenshtein / max length).

Usage: python3 training/make_eval_cases.py --data /root/unmask-data --out training/eval --per-kind 1000
"""
import argparse, json, os, random

def norm(s):
    return "\n".join(l.rstrip() for l in s.split("\n")).strip("\n")

def lev(a, b):
    if len(a) < len(b): a, b = b, a
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1): cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]

def sim(a, b):
    m = max(len(a), len(b))
    return 1.0 if m == 0 else 1 - lev(a, b) / m

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/root/unmask-data"); ap.add_argument("--out", default="training/eval")
    ap.add_argument("--per-kind", type=int, default=1000); ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    files = [json.loads(l) for l in open(os.path.join(a.data, "valid.jsonl"))]
    by_lang = {}
    for f in files: by_lang.setdefault(f["lang"], []).append(f)
    os.makedirs(a.out, exist_ok=True)
    summary = {}
    for kind in ("line", "multiline", "eol"):
        cases = []
        langs = sorted(by_lang)
        while len(cases) < a.per_kind:
            lang = langs[len(cases) % len(langs)]
            f = rng.choice(by_lang[lang]); lines = f["text"].split("\n")
            if len(lines) < 12: continue
            i = rng.randrange(4, len(lines) - 5)
            if not lines[i].strip() or len(lines[i]) > 160: continue
            if kind == "line":
                mid = lines[i] + "\n"; pre = "\n".join(lines[:i]) + "\n"; suf = "\n".join(lines[i + 1:])
            elif kind == "multiline":
                n = rng.randint(2, 4)
                mid = "\n".join(lines[i:i + n]) + "\n"; pre = "\n".join(lines[:i]) + "\n"; suf = "\n".join(lines[i + n:])
            else:
                stripped = len(lines[i]) - len(lines[i].lstrip())
                if len(lines[i]) - stripped < 6: continue
                cut = rng.randrange(stripped + 2, len(lines[i]) - 2)
                mid = lines[i][cut:]; pre = "\n".join(lines[:i]) + "\n" + lines[i][:cut]; suf = "\n" + "\n".join(lines[i + 1:])
            if not mid.strip(): continue
            prev = next((l for l in reversed(pre.split("\n")[:-1]) if l.strip()), "")
            base = prev + "\n" if kind != "eol" else ""
            cases.append({"task_id": f"{kind}/{f['unit']}/{f['path']}:{i}", "prompt": pre[-3000:], "suffix": suf[:1500],
                          "canonical_solution": mid, "language": lang, "kind": kind, "baseline": base})
        with open(os.path.join(a.out, f"{kind}.jsonl"), "w") as o:
            for c in cases: o.write(json.dumps(c) + "\n")
        em = sum(norm(c["baseline"]) == norm(c["canonical_solution"]) for c in cases) / len(cases)
        es = sum(sim(c["baseline"], c["canonical_solution"]) for c in cases) / len(cases)
        summary[kind] = {"cases": len(cases), "baseline_exact_match": em, "baseline_edit_similarity": es,
                         "languages": {l: sum(c["language"] == l for c in cases) for l in langs}}
    print(json.dumps(summary, indent=1))

if __name__ == "__main__":
    main()
