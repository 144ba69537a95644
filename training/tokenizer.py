#!/usr/bin/env python3
"""Train the embedded model's byte-level BPE tokenizer and pre-tokenize the corpus.

The pre-tokenizer is exactly Qwen2's split regex (digits one by one, whitespace runs kept as their own
pieces so indentation costs one or two tokens, newlines grouped) followed by ByteLevel, so the Swift
tokenizer's Qwen2 scanner serves both the real checkpoints and our own model.
Special tokens: <|endoftext|>=0 (end of text, also the file separator), <|mask|>=1, <|pad|>=2.

Usage: python3 training/tokenizer.py --data /root/unmask-data --vocab 4096 --out /root/unmask-data/tok
       [--reuse models/unmask-code-4m/tokenizer.json]   (encode with a shipped tokenizer instead of training one,
                                                         so a continued run keeps the embedded model's ids)
Writes OUT/tokenizer.json and DATA/{train,valid}.bin (uint16 ids, files separated by <|endoftext|>)
plus DATA/{train,valid}.lang.bin (uint8 language code per token, used for weighted sampling).
"""
import argparse, json, os, random
import numpy as np
from tokenizers import Tokenizer, Regex, models, pre_tokenizers, decoders, trainers

QWEN2_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
SPECIALS = ["<|endoftext|>", "<|mask|>", "<|pad|>"]
LANGS = ["swift", "python", "javascript", "typescript", "c", "go", "rust"]

def build(vocab):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=SPECIALS, min_frequency=2,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    return tok, trainer

def train(a, rows):
    rng = random.Random(0)
    sample = rng.sample(rows, len(rows)); acc = 0; texts = []
    for r in sample:
        texts.append(r["text"]); acc += len(r["text"])
        if acc > a.sample_mb * 1e6: break
    tok, trainer = build(a.vocab)
    tok.train_from_iterator(texts, trainer)
    tok.save(os.path.join(a.out, "tokenizer.json"))
    return tok

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/root/unmask-data")
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--out", default="/root/unmask-data/tok")
    ap.add_argument("--sample-mb", type=float, default=40)
    ap.add_argument("--reuse", help="an existing tokenizer.json to encode with (no training)")
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(os.path.join(a.data, "train.jsonl"))]
    os.makedirs(a.out, exist_ok=True)
    if a.reuse:
        tok = Tokenizer.from_file(a.reuse)
        tok.save(os.path.join(a.out, "tokenizer.json"))
    else:
        tok = train(a, rows)
    for split in ("train", "valid"):
        rs = rows if split == "train" else [json.loads(l) for l in open(os.path.join(a.data, "valid.jsonl"))]
        encs = tok.encode_batch([r["text"] for r in rs], add_special_tokens=False)
        ids, langs = [], []
        nbytes = 0
        for r, e in zip(rs, encs):
            ids.append(np.asarray(e.ids + [0], dtype=np.uint16))
            langs.append(np.full(len(e.ids) + 1, LANGS.index(r["lang"]), dtype=np.uint8))
            nbytes += len(r["text"].encode())
        ids = np.concatenate(ids); langs = np.concatenate(langs)
        ids.tofile(os.path.join(a.data, f"{split}.bin")); langs.tofile(os.path.join(a.data, f"{split}.lang.bin"))
        print(f"{split}: {len(ids):,} tokens, {nbytes/len(ids):.2f} bytes/token")

if __name__ == "__main__":
    main()
