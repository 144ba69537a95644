#!/usr/bin/env python3
"""Tokenizer peer: Hugging Face `tokenizers` encoding the same corpus single-threaded
(RAYON_NUM_THREADS=1, one `encode` call per ~4 KB piece, as `unmask bench tokenizer` does),
beside `unmask bench tokenizer` in the same invocation. Prints MB/s for both and the ratio.

Usage: python3 training/bench_tokenizer.py [.build/release/unmask] [corpus.txt]
The corpus defaults to Tests/Fixtures/generated/corpus.txt (made by make_tokenizer_fixtures.py).
"""
import json, os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(__file__))

def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else ".build/release/unmask"
    corpus = sys.argv[2] if len(sys.argv) > 2 else "Tests/Fixtures/generated/corpus.txt"
    ref = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference", "qwen2.5-coder-0.5b-instruct")
    os.environ["RAYON_NUM_THREADS"] = "1"; os.environ["TOKENIZERS_PARALLELISM"] = "false"
    from make_tokenizer_fixtures import qwen_tokenizer
    text = open(corpus, encoding="utf-8").read()
    data = text.encode()
    pieces, cur = [], []
    n = 0
    for line in text.split("\n"):
        cur.append(line + "\n"); n += len(line) + 1
        if n > 4000: pieces.append("".join(cur)); cur, n = [], 0
    if cur: pieces.append("".join(cur))
    best = 1e9
    for _ in range(3):
        tok = qwen_tokenizer()
        t = time.perf_counter()
        for p in pieces: tok.encode(p, add_special_tokens=False)
        best = min(best, time.perf_counter() - t)
    hf = len(data) / 1e6 / best
    ours = json.loads(subprocess.run([exe, "bench", "tokenizer", "--tokenizer", ref, corpus], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    print(f"Hugging Face tokenizers (1 thread): {hf:.2f} MB/s")
    print(f"unmask (1 thread):                  {ours['mb_per_s']:.2f} MB/s")
    print(json.dumps({"hf_mb_per_s": hf, "unmask_mb_per_s": ours["mb_per_s"], "ratio": ours["mb_per_s"] / hf}))

if __name__ == "__main__":
    main()
