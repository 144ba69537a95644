#!/usr/bin/env bash
# Terminal captures for the README: Neovim in tmux with the plugin and the release build, (1) a mid-line
# suggestion after `print(` (the text right of the cursor stays visible), (2) a canvas frame mid-denoise
# (masked slots drawn as ░; denoising slowed for the capture only: one thread, maskgit_plus, 48 steps) and
# the final ghost text on a new line. Prints the captures.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../../.." && pwd)"
work="$(mktemp -d)"
printf 'import os\n\n\ndef read_config(path):\n    with open(path) as f:\n        return f.read()\n\n\ndef main(data):\n    print(len(data), data.strip())\n' > "$work/demo.py"
write_init() {  # write_init SETTINGS
  cat > "$work/init.lua" <<LUA
vim.opt.rtp:prepend('$root/editors/neovim')
vim.opt.swapfile = false
vim.opt.number = true
vim.o.statusline = '%f %= %{v:lua.require("unmask").statusline()} '
require('unmask').setup({ cmd = { '$root/.build/release/unmask', 'lsp', '--threads', '1' }, settings = $1 })
LUA
}
capture() { tmux capture-pane -t unmask-capture -p; }
start() { tmux kill-session -t unmask-capture 2>/dev/null || true; tmux new-session -d -s unmask-capture -x 80 -y 14 "nvim -u $work/init.lua $work/demo.py"; sleep 3; }

write_init "{ deadlineMs = 20000 }"
start
tmux send-keys -t unmask-capture "10G0f(a"
sleep 3
mid="$(capture)"

write_init "{ deadlineMs = 20000, algorithm = 'maskgit_plus', steps = 48, maxTokens = 48 }"
start
tmux send-keys -t unmask-capture "G" "o"
frame=""
for _ in $(seq 1 300); do
  c="$(capture)"
  if grep -q "░" <<<"$c"; then
    if [ -z "$frame" ] || grep -qE "[^░ ]+.*░|░.*[^░ ~|]" <<<"$(sed -n 11,13p <<<"$c")"; then frame="$c"; fi
  fi
  sleep 0.01
done
sleep 2
final="$(capture)"
tmux kill-session -t unmask-capture
echo "--- mid-line, after print("; echo "$mid"
echo "--- mid-denoise"; echo "${frame:-(no frame caught)}"
echo "--- ghost text"; echo "$final"
