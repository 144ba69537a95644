#!/usr/bin/env python3
"""Matmul peer: numpy/OpenBLAS sgemm on the Qwen2.5-0.5B layer shapes, beside `unmask bench matmul`
run in the same invocation with the same thread count. Prints both and the ratio Unmask/OpenBLAS.

OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are removed for this measurement only (they slow a current numpy;
see the env notes); the kernel OpenBLAS then picks is printed via threadpoolctl when available.
Usage: python3 training/bench_matmul.py [path/to/unmask] [--threads 2] [--rounds 3]
"""
import json, os, subprocess, sys, time

def numpy_side(threads):
    code = r'''
import json, sys, time
import numpy as np
shapes = [(32, 896, 4864), (32, 4864, 896), (512, 896, 4864), (512, 4864, 896)]
out = {}
rng = np.random.default_rng(0)
for m, k, n in shapes:
    x = rng.standard_normal((m, k), dtype=np.float32); w = rng.standard_normal((n, k), dtype=np.float32)
    wt = np.ascontiguousarray(w.T)
    for _ in range(3): x @ wt
    ts = []
    for _ in range(15):
        t = time.perf_counter(); x @ wt; ts.append(time.perf_counter() - t)
    ts.sort(); out[f"{m}x{k}x{n}"] = 2 * m * k * n / ts[len(ts) // 2] / 1e9
try:
    from threadpoolctl import threadpool_info
    out["blas"] = [(i.get("internal_api"), i.get("version"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info()]
except Exception:
    pass
print(json.dumps(out))
'''
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OPENBLAS_NUM_THREADS"] = str(threads); env["OMP_NUM_THREADS"] = str(threads)
    return json.loads(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])

def main():
    exe = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else ".build/release/unmask"
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else os.cpu_count()
    n_rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    rounds = []
    for _ in range(n_rounds):   # interleave the two sides to share the machine's noise; each keeps its best
        ours = json.loads(subprocess.run([exe, "bench", "matmul", "--threads", str(threads)], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        peer = numpy_side(threads)
        rounds.append((ours, peer))
    print(f"{'shape':>18} {'unmask GFLOPS':>14} {'OpenBLAS GFLOPS':>16} {'ratio':>6}")
    result = {}
    for key in ["32x896x4864", "32x4864x896", "512x896x4864", "512x4864x896"]:
        o = max(r[0][key] for r in rounds); p = max(r[1][key] for r in rounds)
        result[key] = {"unmask": o, "openblas": p, "ratio": o / p}
        print(f"{key:>18} {o:14.1f} {p:16.1f} {o/p:6.2f}")
    if "blas" in rounds[0][1]: print("peer:", rounds[0][1]["blas"])
    print(json.dumps(result))

if __name__ == "__main__":
    main()
