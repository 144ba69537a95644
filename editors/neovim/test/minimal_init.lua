-- Minimal config for the headless test: only this plugin and the built server.
local root = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
vim.opt.rtp:prepend(root)
vim.opt.swapfile = false
local bin = os.getenv('UNMASK_BIN') or (root .. '/../../.build/release/unmask')
local log = os.getenv('UNMASK_TEST_LOG') or '/tmp/unmask-nvim-test.log'
require('unmask').setup({
  cmd = { bin, 'lsp', '--log-file', log },
  settings = { deadlineMs = 20000 },
  keys = { accept = '<M-l>' },
})
