-- Unmask for Neovim: registers the `unmask lsp` server, turns on inline completion (built in on
-- Neovim >= 0.12, drawn by this plugin with extmarks on 0.10/0.11), draws `unmask/canvas` frames as
-- ghost text that refines in place, and adds :UnmaskFill / :UnmaskRewrite / :UnmaskRepair /
-- :UnmaskStatus / :UnmaskStats.
local M = {}

M.config = {
  cmd = nil,               -- default: { 'unmask', 'lsp' } if `unmask` is on PATH
  settings = {},           -- sent as initializationOptions.unmask (model, steps, threshold, deadlineMs, ...)
  frames = true,           -- draw the denoising canvas while a suggestion is computed
  keys = {                 -- set any to false to leave it unmapped; Tab is never taken unless you map it here
    accept = '<M-l>', next = '<M-]>', prev = '<M-[>', dismiss = '<M-e>',
  },
  filetypes = nil,         -- nil: every buffer
}

M.state = { status = 'stopped', message = '', frames_drawn = 0, frame_marks = {} }
local ns = vim.api.nvim_create_namespace('unmask-canvas')
local has_builtin = vim.lsp.inline_completion ~= nil

-- Length of `s` in the negotiated position encoding (public API on 0.11+, 0.10's signature as fallback).
local function encoded_len(s, enc)
  if enc == 'utf-8' then return #s end
  local ok, n = pcall(vim.str_utfindex, s, enc)
  if ok and type(n) == 'number' then return n end
  local u32, u16 = vim.str_utfindex(s)
  return enc == 'utf-16' and u16 or u32
end

local function client(bufnr)
  return vim.lsp.get_clients({ name = 'unmask', bufnr = bufnr or 0 })[1]
end

--- Statusline component: "unmask: ready" / "unmask: busy" / "unmask: error".
function M.statusline()
  if M.state.status == 'stopped' then return '' end
  return 'unmask: ' .. M.state.status
end

local function clear_frames(bufnr)
  for b, _ in pairs(M.state.frame_marks) do
    if not bufnr or b == bufnr then
      if vim.api.nvim_buf_is_valid(b) then vim.api.nvim_buf_clear_namespace(b, ns, 0, -1) end
      M.state.frame_marks[b] = nil
    end
  end
end

-- unmask/canvas: {uri, version, range, text, maskedRanges, step, steps}; masked glyphs get UnmaskMask.
local function on_canvas(_, params, ctx)
  if not M.config.frames then return end
  local bufnr = vim.uri_to_bufnr(params.uri)
  -- Frames are transient previews: drawn only in insert mode, and dropped when they are for an older text
  -- than the server has already answered for (a newer frame or the final ghost text replaces them).
  if not vim.api.nvim_buf_is_loaded(bufnr) or vim.api.nvim_get_mode().mode:sub(1, 1) ~= 'i' then return end
  if M.state.frame_version and params.version < M.state.frame_version then return end
  M.state.frame_version = params.version
  local c = vim.lsp.get_client_by_id(ctx.client_id)
  local enc = c and c.offset_encoding or 'utf-16'
  local row = params.range.start.line
  local ok, col = pcall(vim.lsp.util._get_line_byte_from_position, bufnr, params.range.start, enc)
  if not ok then return end
  -- Split into chunks: draft text vs masked glyphs (offsets are in the negotiated encoding).
  local text = params.text
  local chunks, lines = {}, {}
  local pos = 0
  local function units_to_bytes(s, n) return vim.str_byteindex(s, enc, n, false) end
  local masked = params.maskedRanges or {}
  local cursor = 0
  for _, r in ipairs(masked) do
    local a, b = units_to_bytes(text, r[1]), units_to_bytes(text, r[2])
    if a > cursor then table.insert(chunks, { text:sub(cursor + 1, a), 'UnmaskDraft' }) end
    table.insert(chunks, { text:sub(a + 1, b), 'UnmaskMask' })
    cursor = b
  end
  if cursor < #text then table.insert(chunks, { text:sub(cursor + 1), 'UnmaskDraft' }) end
  -- First line inline at the hole, the rest as virtual lines below.
  local first, rest = {}, {}
  local target = first
  for _, ch in ipairs(chunks) do
    local parts = vim.split(ch[1], '\n', { plain = true })
    for i, p in ipairs(parts) do
      if i > 1 then target = {}; table.insert(rest, target) end
      if p ~= '' then table.insert(target, { p, ch[2] }) end
    end
  end
  vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  vim.api.nvim_buf_set_extmark(bufnr, ns, row, col, {
    virt_text = #first > 0 and first or { { '', 'UnmaskDraft' } }, virt_text_pos = 'inline',
    virt_lines = #rest > 0 and rest or nil, hl_mode = 'combine',
  })
  M.state.frame_marks[bufnr] = true
  M.state.frames_drawn = M.state.frames_drawn + 1
  M.state.last_frame = { step = params.step, steps = params.steps, text = text }
end

local function on_status(_, params)
  M.state.status = params.state
  M.state.message = params.message
  if params.state ~= 'busy' then clear_frames() end
  vim.cmd('redrawstatus')
end

--- Runs unmask.fill / unmask.rewrite / unmask.repair on a range (the server applies the edit).
local function run_action(command, line1, line2, use_range)
  local bufnr = vim.api.nvim_get_current_buf()
  local c = client(bufnr)
  if not c then vim.notify('unmask: the server is not attached to this buffer', vim.log.levels.WARN); return end
  local range
  if use_range then
    local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ''
    range = {
      start = { line = line1 - 1, character = 0 },
      ['end'] = { line = line2 - 1, character = encoded_len(last, c.offset_encoding) },
    }
  else
    local pos = vim.lsp.util.make_position_params(0, c.offset_encoding).position
    range = { start = pos, ['end'] = pos }
  end
  M.state.last_action = nil
  c:request('workspace/executeCommand', { command = command, arguments = { { uri = vim.uri_from_bufnr(bufnr), range = range } } },
    function(err, result)
      M.state.last_action = { err = err, result = result }
      if err then vim.notify('unmask: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      elseif result and result.edits == 0 then vim.notify('unmask: no change proposed', vim.log.levels.INFO) end
    end, bufnr)
end

local function show(command)
  local c = client()
  if not c then vim.notify('unmask: not attached', vim.log.levels.WARN); return end
  c:request('workspace/executeCommand', { command = command }, function(err, result)
    if err then vim.notify('unmask: ' .. err.message, vim.log.levels.ERROR); return end
    M.state.last_report = result
    vim.notify(vim.inspect(result), vim.log.levels.INFO)
  end)
end

-- Neovim 0.10/0.11: request inline completions ourselves and draw them with extmarks.
local legacy = { item = nil, timer = nil }
local legacy_ns = vim.api.nvim_create_namespace('unmask-ghost')
local function legacy_clear() vim.api.nvim_buf_clear_namespace(0, legacy_ns, 0, -1); legacy.item = nil end
local function legacy_request()
  local c = client()
  if not c then return end
  local params = vim.lsp.util.make_position_params(0, c.offset_encoding)
  params.context = { triggerKind = 2 }
  c:request('textDocument/inlineCompletion', params, function(err, result)
    legacy_clear()
    local items = result and (result.items or result) or {}
    local item = items[1]
    if err or not item or vim.api.nvim_get_mode().mode:sub(1, 1) ~= 'i' then return end
    legacy.item = item
    local lines = vim.split(type(item.insertText) == 'table' and item.insertText.value or item.insertText, '\n', { plain = true })
    local row, col = unpack(vim.api.nvim_win_get_cursor(0))
    local virt_lines = {}
    for i = 2, #lines do table.insert(virt_lines, { { lines[i], 'ComplHint' } }) end
    vim.api.nvim_buf_set_extmark(0, legacy_ns, row - 1, col, { virt_text = { { lines[1], 'ComplHint' } }, virt_text_pos = 'inline', virt_lines = virt_lines })
  end)
end
local function legacy_accept()
  local item = legacy.item
  if not item then return false end
  legacy_clear()
  local c = client()
  local text = type(item.insertText) == 'table' and item.insertText.value or item.insertText
  local bufnr = vim.api.nvim_get_current_buf()
  if item.range then
    local s = vim.lsp.util._get_line_byte_from_position(bufnr, item.range.start, c.offset_encoding)
    local e = vim.lsp.util._get_line_byte_from_position(bufnr, item.range['end'], c.offset_encoding)
    local lines = vim.split(text, '\n', { plain = true })
    vim.api.nvim_buf_set_text(bufnr, item.range.start.line, s, item.range['end'].line, e, lines)
    vim.api.nvim_win_set_cursor(0, { item.range.start.line + #lines, (#lines == 1 and s or 0) + #lines[#lines] })
  else
    vim.api.nvim_paste(text, false, -1)
  end
  if item.command then c:request('workspace/executeCommand', item.command) end
  return true
end

--- Accepts the shown suggestion; returns false when there is none (so a mapping can fall back).
function M.accept()
  clear_frames()
  if has_builtin then return vim.lsp.inline_completion.get() end
  return legacy_accept()
end

function M.dismiss()
  clear_frames()
  if has_builtin then
    -- Toggling off and on clears the current suggestion in the built-in client.
    vim.lsp.inline_completion.enable(false); vim.lsp.inline_completion.enable(true)
  else legacy_clear() end
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', M.config, opts or {})
  local cmd = M.config.cmd
  if not cmd then
    if vim.fn.executable('unmask') == 1 then cmd = { 'unmask', 'lsp' }
    else vim.notify('unmask: `unmask` is not on PATH; pass setup{cmd = {"/path/to/unmask", "lsp"}}', vim.log.levels.ERROR); return end
  end
  vim.api.nvim_set_hl(0, 'UnmaskDraft', { default = true, link = 'Comment' })
  vim.api.nvim_set_hl(0, 'UnmaskMask', { default = true, link = 'NonText' })
  -- Settings go out as an object (never an empty Lua table, which encodes as an array); frames are the
  -- server's `enable.frames`, which this plugin draws.
  local settings = vim.deepcopy(M.config.settings)
  settings.enable = vim.tbl_extend('keep', settings.enable or {}, { frames = M.config.frames })
  vim.lsp.config('unmask', {
    cmd = cmd,
    filetypes = M.config.filetypes,
    root_markers = { '.git' },
    init_options = { unmask = settings },
    handlers = { ['unmask/canvas'] = on_canvas, ['unmask/status'] = on_status },
  })
  vim.lsp.enable('unmask')
  M.state.status = 'loading'
  if has_builtin then vim.lsp.inline_completion.enable(true) end
  local group = vim.api.nvim_create_augroup('unmask', { clear = true })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, { group = group, callback = function() clear_frames(); if not has_builtin then legacy_clear() end end })
  if not has_builtin then
    vim.api.nvim_create_autocmd({ 'TextChangedI', 'InsertEnter', 'CursorMovedI' }, { group = group, callback = function()
      legacy_clear()
      if legacy.timer then legacy.timer:stop() end
      legacy.timer = vim.defer_fn(legacy_request, 200)
    end })
  end
  local k = M.config.keys
  if k.accept then vim.keymap.set('i', k.accept, function() if not M.accept() then return k.accept end end, { desc = 'Unmask: accept', expr = false }) end
  if k.next and has_builtin then vim.keymap.set('i', k.next, function() vim.lsp.inline_completion.select({ count = 1 }) end, { desc = 'Unmask: next' }) end
  if k.prev and has_builtin then vim.keymap.set('i', k.prev, function() vim.lsp.inline_completion.select({ count = -1 }) end, { desc = 'Unmask: previous' }) end
  if k.dismiss then vim.keymap.set('i', k.dismiss, M.dismiss, { desc = 'Unmask: dismiss' }) end
  vim.api.nvim_create_user_command('UnmaskFill', function(a) run_action('unmask.fill', a.line1, a.line2, a.range > 0) end, { range = true })
  vim.api.nvim_create_user_command('UnmaskRewrite', function(a) run_action('unmask.rewrite', a.line1, a.line2, a.range > 0) end, { range = true })
  vim.api.nvim_create_user_command('UnmaskRepair', function(a) run_action('unmask.repair', a.line1, a.line2, a.range > 0) end, { range = true })
  vim.api.nvim_create_user_command('UnmaskStatus', function() show('unmask.doctor') end, {})
  vim.api.nvim_create_user_command('UnmaskStats', function() show('unmask.stats') end, {})
end

return M
