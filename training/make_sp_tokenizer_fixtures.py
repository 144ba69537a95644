#!/usr/bin/env python3
"""Golden fixtures for SentencePiece-style BPE tokenizers (the `tokenizer.json` of Gemma and of
Llama-2-era checkpoints: spaces normalised to "▁", merges over characters, byte fallback to <0xNN>
tokens), from Hugging Face `tokenizers` (the reference; version recorded in the fixture).

Two tokenizers are trained on this repository's Swift and Python sources (so merges look like code):
  * gemma: normalizer Replace(" " → "▁"), no pre-tokenizer, BPE(byte_fallback, fuse_unk), decoder
    Sequence[Replace("▁" → " "), ByteFallback, Fuse] (the Gemma-3 shape), with <bos>/<eos>/<pad> and
    <start_of_turn>/<end_of_turn> added;
  * llama: normalizer Sequence[Prepend("▁"), Replace(" " → "▁")], the same model, decoder + Strip(" ", 1, 0)
    (the Llama-2 shape).
For each: tokenizer.json, and golden.json with the ids and the decoded text of test strings (code,
runs of spaces, tabs and newlines, accents, CJK, emoji that only byte fallback can spell, special tokens
inside the text). Usage: python3 training/make_sp_tokenizer_fixtures.py [OUT_DIR]
"""
import glob, json, os, sys
import tokenizers
from tokenizers import Tokenizer, decoders, models, normalizers, trainers

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests", "Fixtures", "sp-tokenizers")
SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
TESTS = [
    "def add(a, b):\n    return a + b\n",
    "  leading spaces,   runs of   spaces\tand\ttabs\n\n\nnewlines  ",
    "public func encode(_ text: String) -> [Int32] { /* 42 */ }",
    "café naïve Ærøskøbing — “quotes” 日本語のテキスト 🙂🚀 ∑x²",
    "<start_of_turn>user\nwrite a loop<end_of_turn>\n<start_of_turn>model\n",
    "x",
    " ",
    "",
    "trailing space ",
    "emoji only 🦀🦀",
]


def corpus():
    files = sorted(glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True))[:60]
    files += sorted(glob.glob(os.path.join(ROOT, "training", "*.py")))[:10]
    for f in files:
        with open(f, encoding="utf-8") as h:
            yield h.read()


def build(name, normalizer, decoder):
    tok = Tokenizer(models.BPE(byte_fallback=True, fuse_unk=True, unk_token="<unk>"))
    tok.normalizer = normalizer
    tok.decoder = decoder
    bytes_ = [f"<0x{i:02X}>" for i in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=1400, special_tokens=SPECIALS[:4] + bytes_, limit_alphabet=120, show_progress=False)
    tok.train_from_iterator(corpus(), trainer)
    tok.add_special_tokens(SPECIALS)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "tokenizer.json")
    tok.save(path)
    # The trainer lists the byte tokens as added special tokens; in the checkpoints they are plain
    # vocabulary entries that only byte fallback produces, so take them out of added_tokens and reload.
    with open(path) as f:
        j = json.load(f)
    j["added_tokens"] = [a for a in j["added_tokens"] if not (a["content"].startswith("<0x") and len(a["content"]) == 6)]
    with open(path, "w") as f:
        json.dump(j, f, ensure_ascii=False)
    tok = Tokenizer.from_file(path)
    cases = []
    for t in TESTS:
        ids = tok.encode(t, add_special_tokens=False).ids
        cases.append({"text": t, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump({"reference": f"tokenizers {tokenizers.__version__}", "cases": cases}, f, ensure_ascii=False, indent=0)
    print(name, tok.get_vocab_size(), [len(c["ids"]) for c in cases])


build("gemma", normalizers.Replace(" ", "▁"),
      decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]))
build("llama", normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]),
      decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]))
