"""Runs every case of Tests/malformed/cases.json against the built binary and checks the exact error."""
import json, os, pathlib, shutil, struct, subprocess, sys
import pytest
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from test_process import Session, frame

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "Tests/malformed/cases.json").read_text())
QWEN3 = ROOT / "Tests/Fixtures/models/qwen3"

def materialise(files, d):
    for name, content in files.items():
        p = d / name
        if content == "@qwen3": shutil.copy(QWEN3 / "config.json", p)
        elif content == "@weights": shutil.copy(QWEN3 / "model.safetensors", p)
        elif content == "@truncated": p.write_bytes((QWEN3 / "model.safetensors").read_bytes()[:5000])
        elif content == "@badheader": p.write_bytes(struct.pack("<Q", 10**9) + b"{}")
        else: p.write_text(content)

@pytest.mark.parametrize("case", [c for c in CASES if "argv" in c], ids=lambda c: f"{c['class']}: {c['name']}")
def test_file_cases(unmask_bin, case, tmp_path):
    d = tmp_path / "model"; d.mkdir()
    materialise(case["files"], d)
    f = tmp_path / "input.py"; f.write_text("x = 1\ny = 2\n")
    argv = [str(d) if a == "DIR" else str(f) if a == "FILE" else a for a in case["argv"]]
    p = subprocess.run([unmask_bin, *argv], capture_output=True, text=True, timeout=60)
    assert p.returncode == case["expect_exit"], p.stderr
    assert case["expect_stderr"] in p.stderr, p.stderr
    assert ".." not in p.stderr.replace("...", ""), f"a message ends in a doubled period: {p.stderr}"

@pytest.mark.parametrize("case", [c for c in CASES if "argv" not in c], ids=lambda c: f"{c['class']}: {c['name']}")
def test_stream_cases(unmask_bin, case):
    s = Session(unmask_bin)
    s.request(1, "initialize", {"capabilities": {}})
    s.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    if "open" in case:
        s.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///open.py", "languageId": "python", "version": 1, "text": case["open"]}}})
    if "raw" in case: s.p.stdin.write(case["raw"].encode()); s.p.stdin.flush()
    if "body" in case: s.p.stdin.write(frame_raw(case["body"])); s.p.stdin.flush()
    if "message" in case: s.send({"jsonrpc": "2.0", **case["message"]})
    if "expect" in case:
        want_id = case.get("message", {}).get("id")
        while True:
            m = s.read()
            if "error" in m and m.get("id") == want_id: break
        assert m["error"]["code"] == case["expect"]["code"], m
        assert case["expect"]["message"] in m["error"]["message"], m
    # The server keeps serving afterwards.
    r = s.request(500, "workspace/executeCommand", {"command": "unmask.stats"})
    assert "result" in r
    assert s.close() == 0
    if "expect_log" in case:
        logs = s.p.stderr.read().decode() + "".join(m["params"]["message"] for m in s.seen if m.get("method") in ("window/logMessage", "window/showMessage"))
        assert case["expect_log"] in logs, logs[-2000:]

def frame_raw(body):
    b = body.encode()
    return b"Content-Length: %d\r\n\r\n" % len(b) + b
