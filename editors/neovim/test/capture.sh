#!/usr/bin/env bash
# Terminal captures for the README: Neovim in tmux with the plugin, a canvas frame mid-denoise (masked
# slots drawn as ░) and the final ghost text. Denoising is slowed for the capture only (one thread,
# maskgit_plus with 48 steps) so a frame can be caught. Prints both captures.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../../.." && pwd)"
work="$(mktemp -d)"
printf 'import os\n\n\ndef read_config(path):\n    with open(path) as f:\n        return f.read()\n\n\ndef main():\n    data = read_config(os.environ["CONFIG"])\n' > "$work/demo.py"
cat > "$work/init.lua" <<LUA
vim.opt.rtp:prepend('$root/editors/neovim')
vim.opt.swapfile = false
vim.opt.number = true
vim.o.statusline = '%f %= %{v:lua.require("unmask").statusline()} '
require('unmask').setup({ cmd = { '$root/.build/release/unmask', 'lsp', '--threads', '1' },
  settings = { deadlineMs = 20000, algorithm = 'maskgit_plus', steps = 48, maxTokens = 48 } })
LUA
tmux kill-session -t unmask-capture 2>/dev/null || true
tmux new-session -d -s unmask-capture -x 80 -y 14 "nvim -u $work/init.lua $work/demo.py"
sleep 3
tmux send-keys -t unmask-capture "G" "o"
frame=""
for _ in $(seq 1 300); do
  c="$(tmux capture-pane -t unmask-capture -p)"
  # Prefer a frame that shows committed text and masked slots together.
  if grep -q "░" <<<"$c"; then
    if [ -z "$frame" ] || grep -qE "[^░ ]+.*░|░.*[^░ ~|]" <<<"$(sed -n 11,13p <<<"$c")"; then frame="$c"; fi
  fi
  sleep 0.01
done
sleep 2
final="$(tmux capture-pane -t unmask-capture -p)"
tmux kill-session -t unmask-capture
echo "--- mid-denoise"; echo "${frame:-(no frame caught)}"
echo "--- ghost text"; echo "$final"
