-- Minimal config for the headless test: only this plugin and the built server. UNMASK_TEST_SETTINGS
-- (JSON) adds to the settings, e.g. a remote backend pointed at the stand-in engine.
local root = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
vim.opt.rtp:prepend(root)
vim.opt.swapfile = false
local bin = os.getenv('UNMASK_BIN') or (root .. '/../../.build/release/unmask')
local log = os.getenv('UNMASK_TEST_LOG') or '/tmp/unmask-nvim-test.log'
local settings = { deadlineMs = 20000 }
local extra = os.getenv('UNMASK_TEST_SETTINGS')
if extra and extra ~= '' then settings = vim.tbl_deep_extend('force', settings, vim.json.decode(extra)) end
require('unmask').setup({
  cmd = { bin, 'lsp', '--log-file', log },
  settings = settings,
  keys = { accept = '<M-l>' },
})
