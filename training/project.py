#!/usr/bin/env python3
"""What more training of the same model would give: fits the held-out loss of every run so far (the
runs continue one another, so tokens are cumulative) to L(D) = E + A * D^-alpha and prints the fit and
the loss it predicts at larger token counts. Only numpy; E and alpha by grid search, A by least squares.

The runs' learning-rate schedules differ (m5: 3e-3 cosine; later: a re-warm to 1e-3 or 6e-4 and a
cosine), so points from the high-learning-rate middle of a run sit a little above the curve and points
at the end of a cosine a little below; the fit uses only every run's points after its first 800 steps.

Usage: python3 training/project.py [logs/m5.txt logs/m5b.txt ...]   (default: the shipped model's lineage, LINEAGE)
"""
import json, os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# The runs the shipped weights descend from, in order (m5e was branched from m5d's step-940 checkpoint;
# see TRAINING.md). Each run's length comes from the shipped config's `unmask_training.runs`, in the same
# order: "run:N" keeps a run's first N steps and counts N steps of tokens for the next run's offset (a log
# ends at its last 200-step row, up to 199 steps short of where the run stopped). A run not yet shipped has no
# length there and is read whole.
LINEAGE = ["m5", "m5b", "m5c", "m5d", "m5e", "m5f", "m6a", "m7a"]

def points(paths):
    """paths: log files, each optionally suffixed ':N' to keep its first N steps."""
    D, L, offset = [], [], 0.0
    for spec in paths:
        p, _, upto = spec.partition(":")
        rows = [l.split() for l in open(p) if l.strip() and not l.startswith("#")]
        rows = [(int(r[0]), float(r[1]), float(r[4])) for r in rows if len(r) >= 5]
        if upto: rows = [r for r in rows if r[0] <= int(upto)]
        for step, tokens_m, valid in rows:
            if step >= 800: D.append(offset + tokens_m); L.append(valid)
        if upto and rows: offset += int(upto) * rows[-1][1] / rows[-1][0]   # tokens per step are fixed
        elif rows: offset += rows[-1][1]
    return np.array(D), np.array(L), offset

def fit(D, L):
    best = None
    for alpha in np.linspace(0.05, 1.5, 146):
        for E in np.linspace(0.0, L.min() - 0.01, 200):
            x = D ** -alpha
            A = float(np.dot(x, L - E) / np.dot(x, x))
            err = float(np.mean((E + A * x - L) ** 2))
            if best is None or err < best[0]: best = (err, E, A, alpha)
    return best

def main():
    if sys.argv[1:]:
        paths = sys.argv[1:]
    else:
        cfg = json.load(open(os.path.join(HERE, "..", "models", "unmask-code-4m", "config.json")))
        steps = [r["steps"] for r in cfg["unmask_training"]["runs"]]
        paths = [os.path.join(HERE, "logs", r + ".txt") + (f":{steps[i]}" if i < len(steps) else "") for i, r in enumerate(LINEAGE)]
    D, L, total = points(paths)
    err, E, A, alpha = fit(D, L)
    print(f"runs: {', '.join(os.path.basename(p) for p in paths)}; {len(D)} points, {total:.1f} M tokens in all")
    print(f"fit: L(D) = {E:.3f} + {A:.3f} * D^-{alpha:.3f}  (D in M tokens; RMS residual {err ** 0.5:.4f})")
    print(f"last measured: {L[-1]:.3f} at {D[-1]:.1f} M tokens")
    for d in (total, 2 * total, 4 * total, 10 * total, 1000.0):
        print(f"  {d:7.0f} M tokens -> held-out loss {E + A * d ** -alpha:.3f}")

if __name__ == "__main__":
    main()
