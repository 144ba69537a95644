"""The built binary over pipes: stdout must carry only Content-Length-framed JSON, whatever happens."""
import json, subprocess, time

def frame(obj):
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body

def parse_frames(data):
    """Parses the whole stdout as frames; fails on any stray byte."""
    out, i = [], 0
    while i < len(data):
        end = data.index(b"\r\n\r\n", i)
        header = data[i:end].decode()
        assert header.startswith("Content-Length: "), f"stray bytes on stdout: {data[i:i+80]!r}"
        n = int(header.split(":")[1])
        body = data[end + 4:end + 4 + n]
        assert len(body) == n
        out.append(json.loads(body))
        i = end + 4 + n
    return out

def run_session(unmask_bin, messages, args=()):
    p = subprocess.run([unmask_bin, "lsp", *args], input=b"".join(frame(m) if isinstance(m, dict) else m for m in messages),
                       capture_output=True, timeout=120)
    return p, parse_frames(p.stdout)

def test_stdout_is_only_framed_json(unmask_bin, tmp_path):
    trace = tmp_path / "trace.log"
    msgs = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        b"Content-Length: 9\r\n\r\n{not json",
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///t.py", "languageId": "python", "version": 1, "text": "def f(x):\n    return \n"}}},
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/inlineCompletion", "params": {"textDocument": {"uri": "file:///t.py"}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 2}}},
        {"jsonrpc": "2.0", "id": 3, "method": "nope/nope", "params": {}},
        {"jsonrpc": "2.0", "id": 4, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    p, frames = run_session(unmask_bin, msgs, ["--trace-rpc", str(trace)])
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    by_id = {f.get("id"): f for f in frames if "method" not in f}
    assert by_id[1]["result"]["capabilities"]["inlineCompletionProvider"] is True
    assert by_id[None]["error"]["code"] == -32700
    # Sent in one batch, shutdown may arrive before the fill finishes: exactly one answer either way.
    assert "items" in by_id[2].get("result", {}) or by_id[2]["error"]["code"] == -32800
    assert by_id[3]["error"]["code"] == -32601
    assert by_id[4]["result"] is None
    assert trace.stat().st_size > 0
    assert b"unmask" in p.stderr   # logs went to stderr

def test_exit_without_shutdown_is_1_and_truncated_body_is_reported(unmask_bin):
    p, frames = run_session(unmask_bin, [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
                                         b"Content-Length: 50\r\n\r\n{\"jsonrpc\""])
    assert p.returncode == 1
    assert b"short of a 50-byte body" in p.stderr

def test_unwritable_trace_and_log_files_are_reported_and_the_server_still_serves(unmask_bin, tmp_path):
    missing = tmp_path / "no-such-folder"
    msgs = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
            {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, {"jsonrpc": "2.0", "method": "exit"}]
    p, frames = run_session(unmask_bin, msgs, ["--trace-rpc", str(missing / "t.log"), "--log-file", str(missing / "l.log")])
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert [f.get("id") for f in frames if "method" not in f] == [1, 2]
    err = p.stderr.decode()
    assert f"cannot write the --trace-rpc file {missing / 't.log'}" in err
    assert f"cannot write the --log-file {missing / 'l.log'}" in err

class Session:
    """Talks to `unmask lsp` like an editor: one message at a time, waiting for answers."""
    def __init__(self, unmask_bin, *args):
        self.p = subprocess.Popen([unmask_bin, "lsp", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = b""; self.seen = []
    def send(self, obj):
        self.p.stdin.write(frame(obj)); self.p.stdin.flush()
    def read(self):
        while b"\r\n\r\n" not in self.buf: self.buf += self.p.stdout.read1(65536)
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        n = int(head.split(b":")[1])
        while len(rest) < n: rest += self.p.stdout.read1(65536)
        self.buf = rest[n:]
        msg = json.loads(rest[:n]); self.seen.append(msg); return msg
    def request(self, id, method, params=None):
        self.send({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
        while True:
            m = self.read()
            if m.get("id") == id and "method" not in m: return m
    def close(self):
        self.request(999, "shutdown"); self.send({"jsonrpc": "2.0", "method": "exit"})
        return self.p.wait(timeout=30)

def test_missing_model_still_serves(unmask_bin, tmp_path):
    s = Session(unmask_bin)
    s.request(1, "initialize", {"capabilities": {}, "initializationOptions": {"unmask": {"model": str(tmp_path / "missing")}}})
    s.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    doctor = s.request(2, "workspace/executeCommand", {"command": "unmask.doctor"})["result"]
    assert "missing" in doctor.get("problem", "")
    s.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///t.py", "languageId": "python", "version": 1, "text": "x = \n"}}})
    r = s.request(3, "textDocument/inlineCompletion", {"textDocument": {"uri": "file:///t.py"}, "position": {"line": 0, "character": 4}})
    assert r["result"] == {"items": []}
    assert s.close() == 0
    shown = [m for m in s.seen if m.get("method") == "window/showMessage"]
    assert any("missing" in m["params"]["message"] for m in shown)
    assert any(m.get("method") == "unmask/status" and m["params"]["state"] == "error" for m in s.seen)

def test_help_and_readme_list_the_same_commands_and_benchmarks(unmask_bin):
    import pathlib, re
    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    usage = subprocess.run([unmask_bin, "--help"], capture_output=True, text=True).stdout
    bench_help = subprocess.run([unmask_bin, "bench", "--help"], capture_output=True, text=True).stdout
    readme_bench = set(re.search(r"`unmask bench ([a-z]+(?:\|[a-z]+)+)`", readme).group(1).split("|"))
    usage_bench = set(re.search(r"unmask bench ([a-z|]+)", usage).group(1).split("|"))
    help_bench = set(re.findall(r"unmask bench ([a-z]+)", bench_help))
    assert readme_bench == usage_bench == help_bench, (readme_bench, usage_bench, help_bench)
    commands = set(re.findall(r"^  ([a-z]+) ", usage, re.M))
    for c in commands:
        assert f"`unmask {c}" in readme, f"README's command line does not list {c}"

def test_a_diffusion_gemma_model_serves_inline_completions(unmask_bin):
    """The tiny DiffusionGemma `chat` fixture (random weights: the text is noise) through the whole
    server: it loads as the prompt-infill backend, an inline request at the cursor is answered with items
    that start at the cursor, and unmask.doctor names the family."""
    import pathlib
    model = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "diffusion-gemma" / "chat"
    s = Session(unmask_bin)
    s.request(1, "initialize", {"capabilities": {}, "initializationOptions": {"unmask": {"model": str(model), "maxTokens": 8}}})
    s.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    text = "def mul(a, b):\n    return \n"
    s.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///m.py", "languageId": "python", "version": 1, "text": text}}})
    r = s.request(2, "textDocument/inlineCompletion", {"textDocument": {"uri": "file:///m.py"}, "position": {"line": 1, "character": 11},
                                                        "context": {"triggerKind": 1}})
    assert "error" not in r, r
    for item in r["result"]["items"]:
        assert "\n" not in item["insertText"]
        if "range" in item:
            assert item["range"]["start"] == {"line": 1, "character": 11}
    doctor = s.request(3, "workspace/executeCommand", {"command": "unmask.doctor"})["result"]
    assert "diffusion_gemma" in json.dumps(doctor), doctor
    assert s.close() == 0
