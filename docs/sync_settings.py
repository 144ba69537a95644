#!/usr/bin/env python3
"""Writes the server's one settings table into the README's configuration block (`unmask settings --markdown`)
and into editors/vscode/package.json's contributes.configuration.properties (`unmask settings --vscode`),
keeping the client-only keys. ServerTests fail until this has been run after a settings change.
Usage: python3 docs/sync_settings.py [path/to/unmask]   (default: the debug build)"""
import json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "unmask")
CLIENT_ONLY = {"unmask.serverPath": {"type": "string", "default": "unmask",
               "description": "Path to the unmask executable (run as `unmask lsp`); the default finds it on PATH. Client-only: not sent to the server."}}

def run(flag):
    return subprocess.run([BIN, "settings", flag], capture_output=True, text=True, check=True).stdout

path = os.path.join(ROOT, "editors", "vscode", "package.json")
pkg = json.load(open(path))
pkg["contributes"]["configuration"]["properties"] = {**CLIENT_ONLY, **json.loads(run("--vscode"))}
with open(path, "w") as f:
    json.dump(pkg, f, indent=2, ensure_ascii=False)
    f.write("\n")

readme = os.path.join(ROOT, "README.md")
text = open(readme).read()
begin = re.search(r"<!-- settings:begin[^\n]*-->\n", text)
end = text.index("<!-- settings:end -->")
open(readme, "w").write(text[:begin.end()] + run("--markdown") + text[end:])
