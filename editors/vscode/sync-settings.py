#!/usr/bin/env python3
"""Writes the server's settings table into package.json's contributes.configuration.properties (from
`unmask settings --vscode`), keeping the client-only keys. ServerTests fail until this has been run after a
settings change. Usage: python3 editors/vscode/sync-settings.py [path/to/unmask]"""
import json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", ".build", "debug", "unmask")
CLIENT_ONLY = {"unmask.serverPath": {"type": "string", "default": "unmask",
               "description": "Path to the unmask executable (run as `unmask lsp`); the default finds it on PATH. Client-only: not sent to the server."}}

props = json.loads(subprocess.run([BIN, "settings", "--vscode"], capture_output=True, text=True, check=True).stdout)
path = os.path.join(HERE, "package.json")
pkg = json.load(open(path))
pkg["contributes"]["configuration"]["properties"] = {**CLIENT_ONLY, **props}
with open(path, "w") as f:
    json.dump(pkg, f, indent=2, ensure_ascii=False)
    f.write("\n")
