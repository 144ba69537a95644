"""`unmask eval` scores with the same rules as the Python side (training/make_eval_cases.py: exact match
after stripping trailing whitespace per line, 1 − Levenshtein / max length) and reports 95 % intervals
that contain its point estimates (Wilson for exact match, mean ± 1.96·sd/√n for edit similarity)."""
import json, math, pathlib, subprocess, sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
from make_eval_cases import norm, sim  # noqa: E402

def wilson(k, n, z=1.959964):
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)

def test_eval_scores_match_the_python_rules_and_report_intervals(unmask_bin, tmp_path):
    cases = [json.loads(l) for l in open(ROOT / "training" / "eval" / "line.jsonl")][:8]
    # Eight held-out line holes: what matters is that every per-case score and the summary follow the
    # Python rules the trivial baseline is scored with, whatever the model predicts.
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    out = tmp_path / "pred.jsonl"
    r = subprocess.run([unmask_bin, "eval", str(path), "--tokens", "16", "--threads", "1", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    preds = [json.loads(l) for l in open(out)]
    assert summary["cases"] == len(cases) == len(preds)
    exact = 0; sims = []
    for c, p in zip(cases, preds):
        pred, truth = p["prediction"], c["canonical_solution"]
        em = norm(pred) == norm(truth)
        s = sim(pred, truth)
        assert p["exact_match"] == em, (pred, truth)
        assert abs(p["edit_similarity"] - s) < 1e-9, (pred, truth, p["edit_similarity"], s)
        exact += em; sims.append(s)
    n = len(cases)
    assert abs(summary["exact_match"] - exact / n) < 1e-12
    assert abs(summary["edit_similarity"] - sum(sims) / n) < 1e-9
    lo, hi = summary["exact_match_ci95"]
    wlo, whi = wilson(exact, n)
    assert abs(lo - wlo) < 1e-9 and abs(hi - whi) < 1e-9 and lo <= exact / n <= hi
    mean = sum(sims) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in sims) / (n - 1))
    slo, shi = summary["edit_similarity_ci95"]
    assert abs(slo - (mean - 1.959964 * sd / math.sqrt(n))) < 1e-9 and abs(shi - (mean + 1.959964 * sd / math.sqrt(n))) < 1e-9
