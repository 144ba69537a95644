#!/usr/bin/env bash
# Installs Unmask like a tool: PREFIX/bin/unmask, the embedded model under PREFIX/share/unmask/models,
# and the editor clients under PREFIX/share/unmask/editors. The binary finds its model from its own
# resolved location, so any working directory (an editor's) works.
#   bash install.sh [--prefix DIR] [--no-build]      (default prefix: ~/.local)
set -euo pipefail
cd "$(dirname "$0")"
prefix="$HOME/.local"; build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n 2,5p "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$build" = 1 ] && swift build -c release
bin=.build/release/unmask
[ -x "$bin" ] || { echo "install.sh: $bin is missing; run without --no-build" >&2; exit 1; }
mkdir -p "$prefix/bin" "$prefix/share/unmask/models" "$prefix/share/unmask/editors"
install -m 755 "$bin" "$prefix/bin/unmask"
rm -rf "$prefix/share/unmask/models/unmask-code-4m" "$prefix/share/unmask/editors/neovim" "$prefix/share/unmask/editors/vscode"
cp -R models/unmask-code-4m "$prefix/share/unmask/models/"
cp -R editors/neovim editors/vscode "$prefix/share/unmask/editors/"
echo "installed $prefix/bin/unmask (model: $prefix/share/unmask/models/unmask-code-4m)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "note: $prefix/bin is not on PATH; add it so editors find unmask" ;; esac
