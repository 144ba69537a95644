"""Headless Neovim (>= 0.12) with editors/neovim and the built server, driven over RPC with real keystrokes
(as Neovim's own functional tests do): start-up leaves no unmask warning; ghost text from Unmask is shown
and accepted with the plugin's key (the buffer equals the original with the suggestion applied); one word
of a suggestion is accepted and the rest offered again; the next key shows a different suggestion; a request
for a buffer that is not current never reaches the server; canvas frames are drawn before the answer;
:UnmaskFill on a selection. A tmux test checks what a user sees: a mid-line suggestion leaves the text
right of the cursor visible. On failure the Neovim messages and the server log are printed."""
import json, os, pathlib, re, shutil, subprocess, tempfile, time
import pynvim
import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BIN = os.environ.get("UNMASK_BIN", str(ROOT / ".build/release/unmask"))
DEMO_NOTICE = "Unmask is using its embedded"

def wait(pred, timeout=60.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v: return v
        time.sleep(step)
    return None

@pytest.fixture
def nvim(tmp_path):
    log = tmp_path / "server.log"
    env = dict(os.environ, UNMASK_TEST_LOG=str(log), UNMASK_BIN=BIN, UNMASK_TEST_SETTINGS="")
    os.environ.update(env)
    n = pynvim.attach("child", argv=["nvim", "--embed", "--headless", "--clean", "-u", str(HERE / "minimal_init.lua")])
    n.exec_lua(LUA_HELPERS)
    yield n, log
    try:
        n.command("qall!")
    except Exception:
        pass

def diagnostics(n, log):
    msgs = n.exec_lua("return vim.fn.execute('messages')")
    server = log.read_text()[-4000:] if log.exists() else "(no server log)"
    return f"\n--- :messages\n{msgs}\n--- server log\n{server}"

LUA_HELPERS = r"""
local M = {}
function M.client() return vim.lsp.get_clients({ name = 'unmask', bufnr = 0 })[1] end
-- The built-in client's ghost text in the current buffer (nil when none is shown).
function M.ghost()
  local ns = vim.api.nvim_create_namespace('nvim.lsp.inline_completion')
  local out = nil
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do
    local parts = {}
    for _, chunk in ipairs(m[4].virt_text or {}) do parts[#parts + 1] = chunk[1] end
    for _, line in ipairs(m[4].virt_lines or {}) do
      parts[#parts + 1] = '\n'
      for _, chunk in ipairs(line) do parts[#parts + 1] = chunk[1] end
    end
    out = table.concat(parts)
  end
  return out
end
function M.suggest(kind)
  local c = M.client()
  local p = vim.lsp.util.make_position_params(0, c.offset_encoding)
  p.context = { triggerKind = kind }
  local r = c:request_sync('textDocument/inlineCompletion', p, 60000, 0)
  return r and r.result and r.result.items and r.result.items[1] or vim.NIL
end
-- The buffer after applying an inline item at the cursor (its range when it has one).
function M.apply(lines, item, row, col)
  local c = M.client()
  local line = lines[row]
  local s, e = col, col
  if item.range then
    s = vim.str_byteindex(line, c.offset_encoding, item.range.start.character, false)
    e = vim.str_byteindex(line, c.offset_encoding, item.range['end'].character, false)
  end
  local new = vim.split(line:sub(1, s) .. item.insertText .. line:sub(e + 1), '\n', { plain = true })
  local out = {}
  for i = 1, row - 1 do out[#out + 1] = lines[i] end
  for _, l in ipairs(new) do out[#out + 1] = l end
  for i = row + 1, #lines do out[#out + 1] = lines[i] end
  return out
end
function M.stats()
  local r = M.client():request_sync('workspace/executeCommand', { command = 'unmask.stats' }, 10000, 0)
  return r.result
end
_G.unmask_test = M
"""

ORIGINAL = ["import os", "", "", "def read_config(path):", "    with open(path) as f:", "        return f.read()", "", "",
            "def main():", "    data = ", "    print(len(data))", ""]

def open_example(n, log, tmp_path, lines=ORIGINAL):
    path = tmp_path / "example.py"
    path.write_text("\n".join(lines) + "\n")
    n.command(f"edit {path}")
    assert n.eval("&filetype") == "python"
    assert wait(lambda: n.exec_lua("return unmask_test.client() ~= nil"), 30), "server attached" + diagnostics(n, log)
    assert wait(lambda: n.exec_lua("return require('unmask').state.status") == "ready", 60), "model ready" + diagnostics(n, log)
    return path

def ghost_at(n, holes, keys_after=""):
    """Enters insert mode at the end of the first of `holes` (1-based lines) where ghost text appears."""
    for line in holes:
        n.command(f"call cursor({line}, 1)")
        n.input("A" + keys_after)
        assert wait(lambda: n.api.get_mode()["mode"] == "i", 5)
        text = wait(lambda: n.exec_lua("return unmask_test.ghost()"), 15)
        if text:
            return line, text
        n.input("<Esc>")
        if keys_after: n.command("undo")
    return None, None

def test_startup_leaves_no_unmask_warning(nvim, tmp_path):
    n, log = nvim
    open_example(n, log, tmp_path)
    time.sleep(0.5)
    msgs = n.exec_lua("return vim.fn.execute('messages')")
    unmask_lines = [l for l in msgs.splitlines() if "unmask" in l.lower()]
    # The only message at start is the one notice that the embedded model is a demonstration model.
    assert all(DEMO_NOTICE in l for l in unmask_lines), msgs
    assert sum(DEMO_NOTICE in l for l in unmask_lines) <= 1, msgs

def test_inline_accept_frames_and_fill(nvim, tmp_path):
    n, log = nvim
    open_example(n, log, tmp_path)
    # The embedded model is small: use the first of a few holes where the server proposes something (the
    # check is the editor path, not the model's taste).
    item = None
    for line, keys in ((10, ""), (11, ""), (6, ""), (10, "x")):
        row, _ = ghost_at(n, [line], keys)
        if row:
            # Once ghost text shows, the same request to the server is answered from its cache (no race).
            item = n.exec_lua("return unmask_test.suggest(2)")
            if item and item.get("insertText"):
                break
    assert item and item["insertText"], "ghost text shown and the server's suggestion read back" + diagnostics(n, log)
    row, col = n.api.win_get_cursor(0)
    lines = n.current.buffer[:]
    n.input("<M-l>")          # the plugin's accept key
    expected = n.exec_lua("return unmask_test.apply(...)", lines, item, row, col)
    assert wait(lambda: n.current.buffer[:] == expected, 5), f"buffer after accept:\n{n.current.buffer[:]}\nexpected:\n{expected}" + diagnostics(n, log)
    n.input("<Esc>")

    # Canvas frames: entering insert mode at a new line makes Neovim request a suggestion; the plugin must
    # draw at least one frame of the denoising canvas as an extmark before the answer.
    n.command("call append(line('$'), '    ')")
    n.command("call cursor(line('$'), 5)")
    n.exec_lua("require('unmask').state.frames_drawn = 0")
    n.input("A")
    assert wait(lambda: n.exec_lua("return require('unmask').state.frames_drawn") > 0, 30), "canvas frames drawn as extmarks" + diagnostics(n, log)
    n.input("<Esc>")

    # :UnmaskFill on a selection holding a TODO: previewed, applied only when accepted.
    n.current.buffer.append(["", "def total(xs):", "    TODO", ""])
    count = len(n.current.buffer)
    buf = n.current.buffer                       # the preview float becomes the current window
    before = buf[:]
    n.command(f"{count - 2},{count - 1}UnmaskFill")
    action = wait(lambda: n.exec_lua("return require('unmask').state.last_action"), 60)
    assert action is not None and action.get("err") is None, f":UnmaskFill answered without error: {action}" + diagnostics(n, log)
    if action["result"]["edits"] > 0:
        assert wait(lambda: n.exec_lua("return require('unmask').state.preview ~= nil"), 5), "fill previewed" + diagnostics(n, log)
        assert buf[:] == before, "nothing applied before accepting"
        n.input("a")
        assert wait(lambda: buf[:] != before, 5), "fill edit applied on accept" + diagnostics(n, log)
        assert not any("TODO" in l for l in buf[:]), "TODO replaced"

REPAIR_SOURCE = (ROOT / "Tests/Fixtures/edits/store.py").read_text().split("\n")[:-1]   # shared with RepairTests

def test_repair_is_previewed_rejected_and_accepted(nvim, tmp_path):
    """The issue's own case: one typo in a function. :UnmaskRepair shows a diff; rejecting leaves the buffer
    as it was; accepting fixes exactly the typo; one undo restores the typo."""
    n, log = nvim
    broken = [l.replace("    ensure_directory(os.path", "    ensure_directry(os.path") for l in REPAIR_SOURCE]
    path = tmp_path / "store.py"
    path.write_text("\n".join(broken) + "\n")
    n.command(f"edit {path}")
    buf = n.current.buffer                       # the preview float becomes the current window
    assert wait(lambda: n.exec_lua("return unmask_test.client() ~= nil and require('unmask').state.status == 'ready'"), 60), "server ready" + diagnostics(n, log)
    first = broken.index("def save(path, text):") + 1
    def repair():
        n.exec_lua("require('unmask').state.preview = nil; require('unmask').state.last_action = nil")
        n.command(f"{first},{first + 3}UnmaskRepair")
        assert wait(lambda: n.exec_lua("return require('unmask').state.preview ~= nil"), 60), \
            "a repair preview: " + repr(n.exec_lua("return require('unmask').state.last_action")) + diagnostics(n, log)
        return n.exec_lua("return require('unmask').state.preview.lines")
    lines = repair()
    assert any(l.startswith("-") and "ensure_directry" in l for l in lines) and any(l.startswith("+") and "ensure_directory(os.path" in l for l in lines), lines
    assert buf[:] == broken, "the preview changes nothing"
    n.input("r")                                  # reject
    assert wait(lambda: n.exec_lua("return require('unmask').state.last_preview") == "rejected", 5)
    assert buf[:] == broken, "rejected: buffer unchanged"
    repair()
    n.input("a")                                  # accept
    assert wait(lambda: buf[:] == REPAIR_SOURCE, 5), f"accepted: typo fixed, nothing else:\n{buf[:]}" + diagnostics(n, log)
    n.input("u")                                  # one undo step restores the typo
    assert wait(lambda: buf[:] == broken, 5), f"undo:\n{buf[:]}"

def test_next_edit_hint_follows_a_rename(nvim, tmp_path):
    """Renaming one use leaves a hint at the others; the next-edit key jumps there and previews the rename."""
    n, log = nvim
    path = tmp_path / "total.py"
    path.write_text("def total(xs):\n    count = 0\n    for x in xs:\n        count += x\n    return count\n")
    n.command(f"edit {path}")
    buf = n.current.buffer
    assert wait(lambda: n.exec_lua("return unmask_test.client() ~= nil and require('unmask').state.status == 'ready'"), 60), "server ready" + diagnostics(n, log)
    n.command("call cursor(2, 5)")
    n.input("ciwacc<Esc>")
    assert wait(lambda: n.exec_lua("return require('unmask').state.next_edit ~= nil"), 30), "a next-edit hint after the rename" + diagnostics(n, log)
    n.input("<M-n>")
    assert wait(lambda: n.exec_lua("return require('unmask').state.preview ~= nil"), 5), "previewed" + diagnostics(n, log)
    n.input("a")
    assert wait(lambda: buf[:] == ["def total(xs):", "    acc = 0", "    for x in xs:", "        acc += x", "    return acc"], 5), buf[:]

def lua_next_word(s):
    """The plugin's next_word: leading spaces, then a run of [A-Za-z0-9_] or of other non-space characters."""
    for pat in (r"^\s*[A-Za-z0-9_]+", r"^\s*[^A-Za-z0-9_\s]+", r"^\s+"):
        m = re.match(pat, s)
        if m: return m.group(0)
    return s

def test_accept_word_inserts_one_word_and_the_rest_is_offered_again(nvim, tmp_path):
    n, log = nvim
    open_example(n, log, tmp_path)
    row, text = None, None
    for holes, keys in (([10], ""), ([11], ""), ([6], ""), ([10], "x")):
        row, text = ghost_at(n, holes, keys)
        if row and len(lua_next_word(text)) < len(text.strip("\n")):
            break
        if row: n.input("<Esc>")
        row = None
    assert row, "a suggestion of more than one word" + diagnostics(n, log)
    line_before = n.current.buffer[row - 1]
    cached_before = n.exec_lua("return unmask_test.stats()")["cached"]
    n.input("<M-Right>")     # accept_word
    word = lua_next_word(text)
    assert wait(lambda: n.current.buffer[row - 1] == line_before + word.split("\n")[0], 5), \
        f"one word inserted: {n.current.buffer[row - 1]!r} vs {line_before!r} + {word!r}" + diagnostics(n, log)
    # The rest comes back from the server's cache (no new denoise) as the next ghost text.
    rest = text[len(word):]
    assert wait(lambda: n.exec_lua("return unmask_test.ghost()") == rest, 10), \
        f"rest offered again: {n.exec_lua('return unmask_test.ghost()')!r} vs {rest!r}" + diagnostics(n, log)
    stats = n.exec_lua("return unmask_test.stats()")
    assert stats["cached"] > cached_before and stats["partiallyAccepted"] >= 1 and stats["displayed"] >= 1, stats

def test_next_key_shows_a_different_suggestion(nvim, tmp_path):
    n, log = nvim
    open_example(n, log, tmp_path)
    for holes, keys in (([10], ""), ([11], ""), ([6], ""), ([10], "x"), ([5], "")):
        row, first = ghost_at(n, holes, keys)
        if not row: continue
        n.input("<M-]>")     # one item shown: asks the server for several (Invoked) and shows the second
        items = wait(lambda: (lambda it: it if it and len(it) > 1 else None)(
            n.exec_lua("return require('unmask').state.items[vim.api.nvim_get_current_buf()]")), 20)
        if items:
            second = wait(lambda: (lambda g: g if g and g != first else None)(n.exec_lua("return unmask_test.ghost()")), 10)
            assert second and second != first, f"cycling showed {second!r} after {first!r}" + diagnostics(n, log)
            return
        n.input("<Esc>")
    pytest.fail("no hole got two distinct suggestions" + diagnostics(n, log))

def test_a_hidden_buffer_is_never_asked_about(nvim, tmp_path):
    n, log = nvim
    path = open_example(n, log, tmp_path)
    other = tmp_path / "other.py"
    other.write_text("x = 1\n")
    n.command(f"edit {other}")
    assert wait(lambda: n.exec_lua("return unmask_test.client() ~= nil"), 30)
    before = n.exec_lua("return unmask_test.stats()")["requests"]
    # What Neovim's inline completion does after a buffer switch: ask for the other buffer at this cursor.
    sent = n.exec_lua("""
      local c = unmask_test.client()
      return c:request('textDocument/inlineCompletion', { textDocument = { uri = vim.uri_from_fname(...) },
        position = { line = 40, character = 0 }, context = { triggerKind = 2 } }, function() end)
    """, str(path))
    assert sent is False
    assert n.exec_lua("return require('unmask').state.dropped") >= 1
    time.sleep(0.3)
    assert n.exec_lua("return unmask_test.stats()")["requests"] == before

@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_mid_line_suggestion_leaves_the_rest_of_the_line_visible(tmp_path):
    """Neovim in tmux, screen captured: with the cursor after `print(` the text `data.strip())` stays on screen."""
    src = tmp_path / "mid.py"
    src.write_text("import os\n\n\ndef main(data):\n    print(len(data), data.strip())\n")
    init = tmp_path / "init.lua"
    init.write_text(f"""
vim.opt.rtp:prepend('{ROOT / 'editors/neovim'}')
vim.opt.swapfile = false
require('unmask').setup({{ cmd = {{ '{BIN}', 'lsp' }}, settings = {{ deadlineMs = 20000 }}, frames = false }})
""")
    session = f"unmask-mid-{os.getpid()}"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "12", f"nvim --clean -u {init} {src}"], check=True)
    try:
        time.sleep(2.0)
        subprocess.run(["tmux", "send-keys", "-t", session, "5G0f(a"], check=True)   # insert mode right after `print(`
        screen = ""
        for _ in range(100):
            time.sleep(0.1)
            screen = subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout
            line = next((l for l in screen.splitlines() if "print(" in l), "")
            if len(line.rstrip()) > len("    print(len(data), data.strip())"):
                break        # ghost text is on screen, inserted before the rest of the line
        line = next((l for l in screen.splitlines() if "print(" in l), "")
        assert "data.strip())" in line, f"the text after the cursor was hidden:\n{screen}"
        assert len(line.rstrip()) > len("    print(len(data), data.strip())"), f"no ghost text was shown:\n{screen}"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)

def test_status_is_a_readable_float(nvim, tmp_path):
    n, log = nvim
    open_example(n, log, tmp_path)
    n.command("UnmaskStatus")
    win = wait(lambda: n.exec_lua("return require('unmask').state.report_win"), 10)
    assert win, "no status window" + diagnostics(n, log)
    lines = n.exec_lua("return vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(...), 0, -1, false)", win)
    text = "\n".join(lines)
    assert re.search(r"^state\s+ready$", text, re.M) and re.search(r"^model\s+\S+unmask-code-4m$", text, re.M), text
    assert re.search(r"^  threshold\s+0\.9$", text, re.M), text     # not 0.89999997615814
    assert "{" not in lines[0] and "[" not in lines[0], "a raw dump"
    n.input("q")
    assert wait(lambda: not n.exec_lua("return vim.api.nvim_win_is_valid(...)", win), 5)

def test_remote_backend_ghost_text_is_shown_and_accepted(tmp_path):
    """backend = inception against the stand-in engine (loopback): the remote answer is the ghost text."""
    import sys
    sys.path.insert(0, str(ROOT / "Tests/python"))
    from test_remote import Standin
    srv = Standin("--flavor", "inception", "--key", "sk-nvim-test")
    log = tmp_path / "server.log"
    settings = {"backend": "inception", "remote": {"url": srv.url, "model": "mercury-edit-2", "apiKeyEnv": "MERCURY_KEY"}}
    os.environ.update(UNMASK_TEST_LOG=str(log), UNMASK_BIN=BIN, UNMASK_TEST_SETTINGS=json.dumps(settings), MERCURY_KEY="sk-nvim-test")
    n = pynvim.attach("child", argv=["nvim", "--embed", "--headless", "--clean", "-u", str(HERE / "minimal_init.lua")])
    try:
        n.exec_lua(LUA_HELPERS)
        path = tmp_path / "app.py"
        path.write_text("import os\n\ndef main(value):\n    \n    return value\n")
        n.command(f"edit {path}")
        assert wait(lambda: n.exec_lua("return require('unmask').state.status") == "ready", 30), "remote ready" + diagnostics(n, log)
        n.command("call cursor(4, 1)")
        n.input("A")
        ghost = wait(lambda: n.exec_lua("return unmask_test.ghost()"), 15)
        assert ghost == "print(value)", f"ghost {ghost!r}" + diagnostics(n, log)
        n.input("<M-l>")
        assert wait(lambda: n.current.buffer[3] == "    print(value)", 5), n.current.buffer[:]
        assert srv.requests()[-1]["path"] == "/v1/fim/completions"
    finally:
        try: n.command("qall!")
        except Exception: pass
        srv.stop()
        os.environ.pop("MERCURY_KEY", None); os.environ["UNMASK_TEST_SETTINGS"] = ""
