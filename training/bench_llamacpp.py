#!/usr/bin/env python3
"""Peer: llama.cpp's `llama-diffusion-cli` against `unmask fill` on the same random-weight Dream model,
in the same run, taking turns.

Setup (once; llama.cpp is vendored in the llama-cpp-python sdist on PyPI, ~25 min to build on 2 cores):
  pip download --no-binary :all: --no-deps llama-cpp-python && tar xf llama_cpp_python-*.tar.gz
  cd llama_cpp_python-*/vendor/llama.cpp && cmake -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
     && cmake --build build -j2 --target llama-diffusion-cli
  python3 training/make_random_model.py /tmp/dream-0.5b          # Dream layout, Qwen2.5-0.5B shape
  pip install sentencepiece    # the converter imports it before falling back to the GPT-2 vocabulary

Scenario: a prompt of ~480 tokens (the start of FILE), a 32-token hole after it, 8 steps, greedy,
2 threads (run on 2 cores: unmask fill uses every core). llama.cpp decodes a 512-token canvas (its chat-formatted prompt, then masks), every step a
full forward; Unmask fills 32 slots after the same text (one full forward, then cached blocks).
Wall time includes loading (llama.cpp maps its GGUF; Unmask maps its panel cache after the first load).

Usage: python3 training/bench_llamacpp.py LLAMA_CPP_DIR MODEL_DIR FILE [--unmask .build/release/unmask] [--rounds 3]
       [--weights stored|int8]   (Unmask's in-memory weights; llama.cpp keeps its BF16 GGUF)
"""
import json, os, re, subprocess, sys, time

def main():
    args = sys.argv[1:]
    opt = {"unmask": ".build/release/unmask", "rounds": "3", "threads": "2", "weights": "stored"}
    pos = []
    while args:
        a = args.pop(0)
        if a.startswith("--"): opt[a[2:]] = args.pop(0)
        else: pos.append(a)
    lcpp, model, source = pos
    gguf = os.path.join(model, "model-bf16.gguf")
    if not os.path.exists(gguf):
        subprocess.run([sys.executable, os.path.join(lcpp, "convert_hf_to_gguf.py"), model, "--outfile", gguf, "--outtype", "bf16"],
                       check=True, env=dict(os.environ, PYTHONPATH=os.path.join(lcpp, "gguf-py")), capture_output=True)
    prompt = "/tmp/unmask-bench-prompt.txt"
    with open(source) as f: text = f.read(1850)
    with open(prompt, "w") as f: f.write(text)
    line = text.count("\n") + 1
    cli = os.path.join(lcpp, "build", "bin", "llama-diffusion-cli")
    theirs_argv = [cli, "-m", gguf, "-f", prompt, "-t", opt["threads"], "-c", "512", "-b", "512", "-ub", "512",
                   "--diffusion-steps", "8", "--diffusion-eps", "0.001", "--temp", "0"]
    ours_argv = [opt["unmask"], "fill", prompt, "--at", f"{line}:{len(text.rsplit(chr(10), 1)[-1]) + 1}", "--model", model,
                 "--tokens", "32", "--steps", "8", "--algorithm", "maskgit_plus", "--end-rule", "token", "--weights", opt["weights"]]
    env = None                         # unmask fill uses every core; run on a 2-core machine (or taskset -c 0,1)
    subprocess.run(ours_argv, capture_output=True, env=env)               # writes the panel cache once
    rows = []
    for r in range(int(opt["rounds"])):
        t = time.perf_counter(); o = subprocess.run(ours_argv, capture_output=True, text=True, env=env); ours_wall = time.perf_counter() - t
        t = time.perf_counter(); p = subprocess.run(theirs_argv, capture_output=True, text=True); theirs_wall = time.perf_counter() - t
        ours_dec = float(re.search(r"forward passes, (\d+) ms", o.stderr).group(1)) / 1000
        theirs_dec = float(re.search(r"total time: ([\d.]+)ms", p.stdout + p.stderr).group(1)) / 1000
        rows.append({"unmask_wall_s": ours_wall, "unmask_decode_s": ours_dec, "llamacpp_wall_s": theirs_wall, "llamacpp_decode_s": theirs_dec})
        print(f"round {r + 1}: unmask {ours_wall:.2f} s wall ({ours_dec:.2f} s decoding), llama.cpp {theirs_wall:.2f} s wall ({theirs_dec:.2f} s decoding)", flush=True)
    med = lambda k: sorted(x[k] for x in rows)[len(rows) // 2]
    res = {k: med(k) for k in rows[0]}
    res["wall_ratio"] = res["llamacpp_wall_s"] / res["unmask_wall_s"]
    res["decode_ratio"] = res["llamacpp_decode_s"] / res["unmask_decode_s"]
    print(json.dumps(res))

if __name__ == "__main__":
    main()
