#!/usr/bin/env python3
"""Golden tokenizer fixtures from Hugging Face `tokenizers` (the reference implementation).

Tokenizers compared (ids must match 100%):
  * qwen2.5: BPE from ../shared/reference/qwen2.5-coder-0.5b-instruct/{vocab.json,merges.txt} with the added
    tokens of its tokenizer_config.json, configured exactly as Qwen2's published tokenizer.json: NFC
    normalizer, Split(Qwen2 regex, isolated) + ByteLevel(use_regex=False), ByteLevel decoder.
  * gpt2: BPE from ../shared/reference/gpt2/{vocab.json,merges.txt}, ByteLevel(use_regex=True).
  * unmask: models/<default>/tokenizer.json (our own model's tokenizer), when present.
Also records Python `regex` splits of the GPT-2, Qwen2 and LLaMA-3 patterns, to prove the Swift scanners equal.

The text (≥ 2 MB) is built deterministically from files every machine of this kind has (CPython's
stdlib and headers, the Swift package mirror, Go files from git's docs) plus generated cases: CRLF and CR
line ends, tabs and long whitespace runs, digit runs, emoji/CJK/combining marks/RTL, special-token
strings, and invalid UTF-8 turned into text the way the server does it (bytes decoded with U+FFFD
replacement, as Swift's `String(decoding:as:)`).

Usage: python3 training/make_tokenizer_fixtures.py OUT_DIR   (writes OUT_DIR/tokenizer-golden.json, 31 MB)
       python3 training/make_tokenizer_fixtures.py --sample Tests/Fixtures/tokenizer
           (writes tokenizer-golden-sample.json: the first SAMPLE_PIECES pieces of every kind, ~1 MB, committed so
           that `swift test` in a fresh clone checks ids against Hugging Face without running this script)
"""
import glob, json, os, random, subprocess, sys, sysconfig
import regex
from tokenizers import Tokenizer, Regex, AddedToken, models, normalizers, pre_tokenizers, decoders

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.path.join(ROOT, "..", "shared", "reference")
QWEN2 = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3 = QWEN2.replace(r"\p{N}|", r"\p{N}{1,3}|")

def qwen_tokenizer():
    d = os.path.join(REF, "qwen2.5-coder-0.5b-instruct")
    tok = Tokenizer(models.BPE.from_file(os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt")))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(QWEN2), behavior="isolated", invert=False),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    cfg = json.load(open(os.path.join(d, "tokenizer_config.json")))
    for id_, t in sorted(cfg["added_tokens_decoder"].items(), key=lambda kv: int(kv[0])):
        at = AddedToken(t["content"], special=t["special"], normalized=False, lstrip=False, rstrip=False, single_word=False)
        n = tok.add_special_tokens([at]) if t["special"] else tok.add_tokens([at])
        assert tok.token_to_id(t["content"]) == int(id_), (t, tok.token_to_id(t["content"]))
    return tok

def gpt2_tokenizer():
    d = os.path.join(REF, "gpt2")
    tok = Tokenizer(models.BPE.from_file(os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    return tok

def read(p):
    with open(p, encoding="utf-8", errors="replace") as f: return f.read()

def corpus(rng):
    pieces = []
    def add(kind, text, size=4000):
        for i in range(0, len(text), size):
            pieces.append({"kind": kind, "text": text[i:i + size]})
    stdlib = sysconfig.get_paths()["stdlib"]
    py = "".join(read(p) for p in sorted(glob.glob(os.path.join(stdlib, "*.py")))[:60])[:700_000]
    add("python", py)
    add("python-crlf", py[:120_000].replace("\n", "\r\n"))
    add("python-cr", py[120_000:180_000].replace("\n", "\r"))
    swift = ""
    for repo in ["apple/swift-nio.git", "apple/swift-collections.git", "apple/swift-argument-parser.git"]:
        g = os.path.join("/opt/swift-packages", repo)
        if not os.path.isdir(g): continue
        files = subprocess.run(["git", "--git-dir", g, "ls-tree", "-r", "--name-only", "HEAD"], capture_output=True, text=True).stdout.split("\n")
        for f in sorted(x for x in files if x.endswith(".swift"))[:80]:
            swift += subprocess.run(["git", "--git-dir", g, "show", f"HEAD:{f}"], capture_output=True).stdout.decode("utf-8", "replace")
            if len(swift) > 600_000: break
    add("swift", swift[:600_000])
    c = "".join(read(p) for p in sorted(glob.glob(os.path.join(sysconfig.get_paths()["include"], "*.h"))))[:200_000]
    add("c", c)
    go = "".join(read(p) for p in sorted(glob.glob("/usr/share/doc/git/contrib/**/*.go", recursive=True)))
    ids = ["user", "Config", "ctx", "err", "i", "n", "buf", "httpClient", "x_1", "ΔT", "naïve", "größe"]
    for _ in range(400):   # Go, Rust and TypeScript snippets generated from templates
        a, b = rng.choice(ids), rng.choice(ids)
        go += f"func {a}{rng.randint(0,99)}({b} *{rng.choice(ids)}) (int, error) {{\n\tif {b} == nil {{\n\t\treturn 0, fmt.Errorf(\"nil {b}: %w\", err)\n\t}}\n\treturn len({b}.items) + {rng.randint(0, 10**6)}, nil\n}}\n\n"
    add("go", go)
    rust = "".join(f"impl<'a> {rng.choice(ids).capitalize()}<'a> {{\n    pub fn get(&self, k: &str) -> Option<&'a str> {{\n        self.map.get(k).copied() // it's {rng.randint(0,9999)}\n    }}\n}}\n" for _ in range(300))
    add("rust", rust)
    ts = "".join(f"export async function {rng.choice(ids)}{i}(x: number[], opts?: {{ limit?: number }}): Promise<string> {{\n  const r = x.map((v) => v * {rng.random():.4f}).filter(Boolean);\n  return `${{r.length}} items: ${{JSON.stringify(r)}}`;\n}}\n" for i in range(300))
    add("typescript", ts)
    ws = "".join(rng.choice(["\t", "  ", "    ", "        ", " \t ", "\t\t\t"]) * rng.randint(1, 8) + rng.choice(["x = 1", "}", "", "return y", "  # c"]) + rng.choice(["\n", "\n\n", "  \n", "\t\n\n\n", " "]) for _ in range(6000))
    add("whitespace", ws)
    digits = " ".join("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20))) + rng.choice(["", ".5", "e10", "px", "_000", "x"]) for _ in range(8000))
    add("digits", digits)
    uni_bits = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "漢字かな交じり文", "한국어 텍스트", "e\u0301", "n\u0303o", "A\u030a", "ﬁ", "é", "Ω≈ç√∫",
                "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "Ελληνικά", "ﾃｽﾄ", "\u200b", "\u00a0", "\u3000", "\u2028", "\u0085", "Ⅻ", "²³", "٣٤٥", "’s", "'S", "'LL", "'re"]
    uni = "".join(rng.choice(uni_bits) + rng.choice([" ", "", "\n", "  ", "x", "1", "(", "\t"]) for _ in range(25000))
    add("unicode", uni)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|mask|>", "<|fim_prefix|>", "<|mdm_mask|>", "<|", "|>", "<|endoftext|"]
    sp = "".join(rng.choice(specials) + rng.choice([" ", "", "\n", "text", "def f():"]) for _ in range(6000))
    add("special-strings", sp)
    bad = bytes(rng.randrange(256) for _ in range(150_000)).decode("utf-8", errors="replace")
    add("invalid-utf8", bad)
    return pieces

SAMPLE_PIECES = 2

def main():
    if not os.path.isdir(REF):
        # A clone without the shared reference folder beside it: the golden tests that need these
        # fixtures report themselves skipped (they say what to do), so there is nothing to generate.
        print(f"skipped: {os.path.normpath(REF)} is not there (the reference vocabularies come from it); "
              "the tokenizer golden tests skip themselves without it")
        return
    args = [a for a in sys.argv[1:] if a != "--sample"]
    sample = "--sample" in sys.argv
    out_dir = args[0] if args else os.path.join(ROOT, "Tests", "Fixtures", "generated")
    rng = random.Random(20261122)
    pieces = corpus(rng)
    if sample:
        seen = {}
        pieces = [p for p in pieces if seen.setdefault(p["kind"], []).append(p) or len(seen[p["kind"]]) <= SAMPLE_PIECES]
    toks = {"qwen2.5": qwen_tokenizer(), "gpt2": gpt2_tokenizer()}
    own = sorted(glob.glob(os.path.join(ROOT, "models", "*", "tokenizer.json")))
    if own: toks["unmask"] = Tokenizer.from_file(own[0])
    pats = {"gpt2": regex.compile(GPT2), "qwen2": regex.compile(QWEN2), "llama3": regex.compile(LLAMA3)}
    for p in pieces:
        p["ids"] = {name: t.encode(p["text"], add_special_tokens=False).ids for name, t in toks.items()}
        # Split ends in Unicode scalars (Python str indices), for the scanner proof.
        p["splits"] = {name: [m.end() for m in r.finditer(p["text"])] for name, r in pats.items()}
    total = sum(len(p["text"].encode()) for p in pieces)
    os.makedirs(out_dir, exist_ok=True)
    name = "tokenizer-golden-sample.json" if sample else "tokenizer-golden.json"
    with open(os.path.join(out_dir, name), "w") as f:
        json.dump({"tokenizers": list(toks), "bytes": total, "pieces": pieces, "tokenizers_version": __import__("tokenizers").__version__}, f, ensure_ascii=False)
    if not sample:
        with open(os.path.join(out_dir, "corpus.txt"), "w") as f:   # the same text, for `unmask bench tokenizer`
            f.write("".join(p["text"] for p in pieces))
    print(f"{len(pieces)} pieces, {total/1e6:.2f} MB, tokenizers: {', '.join(toks)}", file=sys.stderr)

if __name__ == "__main__":
    main()
