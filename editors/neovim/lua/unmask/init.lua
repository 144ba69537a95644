-- Unmask for Neovim: registers the `unmask lsp` server, turns on inline completion (built in on
-- Neovim >= 0.12, drawn by this plugin with extmarks on 0.10/0.11), draws `unmask/canvas` frames as
-- ghost text that refines in place, accepts whole suggestions, one word or one line, cycles through
-- several suggestions, and adds :UnmaskFill / :UnmaskRewrite / :UnmaskRepair / :UnmaskEdit / :UnmaskNextEdit /
-- :UnmaskStatus / :UnmaskStats. Edits are never applied unseen: each is shown as a diff to accept or reject.
local M = {}

M.config = {
  cmd = nil,               -- default: { 'unmask', 'lsp' } if `unmask` is on PATH
  settings = {},           -- sent as initializationOptions.unmask (model, steps, threshold, deadlineMs, ...)
  frames = true,           -- draw the denoising canvas while a suggestion is computed
  ghost_highlight = true,  -- draw Neovim's ghost text (ComplHint) with UnmaskGhost (linked to Comment: dim)
  keys = {                 -- set any to false to leave it unmapped; Tab is never taken unless you map it here
    accept = '<M-l>', accept_word = '<M-Right>', accept_line = '<M-C-Right>',
    next = '<M-]>', prev = '<M-[>', dismiss = '<M-e>', trigger = '<M-\\>',
    next_edit = '<M-n>',   -- normal mode: jump to the next-edit hint and preview it
  },
  preview_keys = { accept = { 'a', '<CR>' }, reject = { 'r', 'q', '<Esc>' } },
  next_edit_on_leave = true, -- after leaving insert mode, ask for the edit that should follow and hint it
  filetypes = nil,         -- nil: every buffer
}

M.state = { status = 'stopped', message = '', frames_drawn = 0, frame_marks = {}, items = {}, dropped = 0 }
local ns = vim.api.nvim_create_namespace('unmask-canvas')
local has_builtin = vim.lsp.inline_completion ~= nil
local INLINE = 'textDocument/inlineCompletion'

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

--- Statusline component: "unmask: ready" / "unmask: busy" / "unmask: error" ("" before the server starts).
--- Wire it with: vim.o.statusline = '%f %= %{v:lua.require("unmask").statusline()} '
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
  -- Frames are transient previews: drawn only in insert mode in the current buffer, and dropped when they
  -- are for an older text than the server has already answered for.
  if bufnr ~= vim.api.nvim_get_current_buf() or vim.api.nvim_get_mode().mode:sub(1, 1) ~= 'i' then return end
  if M.state.frame_version and params.version < M.state.frame_version then return end
  M.state.frame_version = params.version
  local c = vim.lsp.get_client_by_id(ctx.client_id)
  local enc = c and c.offset_encoding or 'utf-16'
  local row = params.range.start.line
  local ok, col = pcall(vim.lsp.util._get_line_byte_from_position, bufnr, params.range.start, enc)
  if not ok then return end
  -- Split into chunks: draft text vs masked glyphs (offsets are in the negotiated encoding).
  local text = params.text
  local chunks = {}
  local function units_to_bytes(s, n) return vim.str_byteindex(s, enc, n, false) end
  local cursor = 0
  for _, r in ipairs(params.maskedRanges or {}) do
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

-- Previews: a proposed WorkspaceEdit is applied to a scratch copy of the buffer and shown as a
-- unified diff in a float; accept applies it to the buffer (one undo step; refused if the buffer
-- changed since), reject closes it and leaves the buffer untouched.

local function close_preview()
  local p = M.state.preview
  if p and p.win and vim.api.nvim_win_is_valid(p.win) then vim.api.nvim_win_close(p.win, true) end
  M.state.preview = nil
end

function M.preview_reject()
  if not M.state.preview then return false end
  close_preview()
  M.state.last_preview = 'rejected'
  return true
end

function M.preview_accept()
  local p = M.state.preview
  if not p then return false end
  close_preview()
  if vim.api.nvim_buf_get_changedtick(p.bufnr) ~= p.tick then
    vim.notify('unmask: the buffer changed since the preview; the edit was not applied', vim.log.levels.WARN)
    M.state.last_preview = 'stale'
    return false
  end
  vim.lsp.util.apply_workspace_edit(p.edit, p.encoding)
  M.state.last_preview = 'accepted'
  return true
end

--- The buffer's lines with `edit` applied, computed on a scratch copy.
local function proposed_lines(bufnr, edit, enc)
  local uri = vim.uri_from_bufnr(bufnr)
  local edits = (edit.changes or {})[uri] or {}
  local scratch = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(scratch, 0, -1, false, vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
  vim.lsp.util.apply_text_edits(edits, scratch, enc)
  local lines = vim.api.nvim_buf_get_lines(scratch, 0, -1, false)
  vim.api.nvim_buf_delete(scratch, { force = true })
  return lines
end

function M.show_preview(bufnr, result, title, enc)
  close_preview()
  local old = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local new = proposed_lines(bufnr, result.edit, enc)
  local diff = vim.diff(table.concat(old, '\n') .. '\n', table.concat(new, '\n') .. '\n', { result_type = 'unified', ctxlen = 2 })
  local lines = vim.split(diff, '\n', { trimempty = true })
  local pk = M.config.preview_keys
  table.insert(lines, 1, title .. '   [' .. pk.accept[1] .. '] accept  [' .. pk.reject[1] .. '] reject')
  local fb = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(fb, 0, -1, false, lines)
  vim.bo[fb].filetype = 'diff'
  vim.bo[fb].modifiable = false
  local width = 20
  for _, l in ipairs(lines) do width = math.max(width, vim.fn.strdisplaywidth(l)) end
  local win = vim.api.nvim_open_win(fb, true, {
    relative = 'cursor', row = 1, col = 0, style = 'minimal', border = 'rounded',
    width = math.min(width + 1, vim.o.columns - 4), height = math.min(#lines, math.max(3, vim.o.lines - 6)),
  })
  M.state.preview = { bufnr = bufnr, edit = result.edit, encoding = enc, win = win, lines = lines,
                      tick = vim.api.nvim_buf_get_changedtick(bufnr) }
  for _, key in ipairs(pk.accept) do vim.keymap.set('n', key, M.preview_accept, { buffer = fb, nowait = true }) end
  for _, key in ipairs(pk.reject) do vim.keymap.set('n', key, M.preview_reject, { buffer = fb, nowait = true }) end
  vim.api.nvim_create_autocmd('WinLeave', { buffer = fb, once = true, callback = function() vim.schedule(M.preview_reject) end })
end

local function edit_range(bufnr, c, line1, line2, use_range)
  if use_range then
    local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ''
    return { start = { line = line1 - 1, character = 0 }, ['end'] = { line = line2 - 1, character = encoded_len(last, c.offset_encoding) } }
  end
  local pos = vim.lsp.util.make_position_params(0, c.offset_encoding).position
  return { start = pos, ['end'] = pos }
end

--- Runs unmask.fill / rewrite / repair / edit on a range and previews what it proposes.
local function run_action(command, line1, line2, use_range, extra)
  local bufnr = vim.api.nvim_get_current_buf()
  local c = client(bufnr)
  if not c then vim.notify('unmask: the server is not attached to this buffer', vim.log.levels.WARN); return end
  local arg = vim.tbl_extend('force', { uri = vim.uri_from_bufnr(bufnr), range = edit_range(bufnr, c, line1, line2, use_range) }, extra or {})
  M.state.last_action = nil
  c:request('workspace/executeCommand', { command = command, arguments = { arg } },
    function(err, result)
      M.state.last_action = { err = err, result = result }
      if err then vim.notify('unmask: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR); return end
      if not result or result.edits == 0 then
        vim.notify('unmask: ' .. ((result and result.message) or 'no change proposed'), vim.log.levels.INFO)
        return
      end
      M.show_preview(bufnr, result, 'Unmask: ' .. command:gsub('^unmask%.', ''), c.offset_encoding)
    end, bufnr)
end

-- Next edits: after leaving insert mode the server is asked what the last edit calls for (unmask/nextEdit);
-- a hint marks its place, and the next_edit key jumps there and previews it.
local hint_ns = vim.api.nvim_create_namespace('unmask-next-edit')

local function clear_hint(bufnr)
  if vim.api.nvim_buf_is_valid(bufnr) then vim.api.nvim_buf_clear_namespace(bufnr, hint_ns, 0, -1) end
  if M.state.next_edit and M.state.next_edit.bufnr == bufnr then M.state.next_edit = nil end
end

function M.request_next_edit(bufnr, show_now)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local c = client(bufnr)
  if not c then return end
  local pos = vim.lsp.util.make_position_params(0, c.offset_encoding).position
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  c:request('unmask/nextEdit', { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = pos }, function(err, result)
    clear_hint(bufnr)
    if err or not result or not result.range or #result.edits == 0 then
      if show_now then vim.notify('unmask: ' .. ((result and result.message) or (err and err.message) or 'no next edit'), vim.log.levels.INFO) end
      return
    end
    if vim.api.nvim_buf_get_changedtick(bufnr) ~= tick then return end
    local uri = vim.uri_from_bufnr(bufnr)
    local first = result.edits[1]
    M.state.next_edit = { bufnr = bufnr, range = result.range, encoding = c.offset_encoding,
                          result = { edits = #result.edits, edit = { changes = { [uri] = result.edits } } } }
    local row = result.range.start.line
    vim.api.nvim_buf_set_extmark(bufnr, hint_ns, row, 0, {
      virt_text = { { '  ⇥ next edit: ' .. #result.edits .. ' change(s), e.g. → ' .. first.newText:gsub('\n', '⏎'):sub(1, 40), 'UnmaskGhost' } },
      virt_text_pos = 'eol', hl_mode = 'combine',
    })
    if show_now then M.jump_to_next_edit() end
  end, bufnr)
end

--- Jumps to the hinted next edit and previews it; false when there is none.
function M.jump_to_next_edit()
  local n = M.state.next_edit
  if not n or not vim.api.nvim_buf_is_valid(n.bufnr) then return false end
  local ok, col = pcall(vim.lsp.util._get_line_byte_from_position, n.bufnr, n.range.start, n.encoding)
  vim.api.nvim_win_set_cursor(0, { n.range.start.line + 1, ok and col or 0 })
  clear_hint(n.bufnr)
  M.show_preview(n.bufnr, n.result, 'Unmask: next edit', n.encoding)
  return true
end

-- :UnmaskStatus / :UnmaskStats: a readable float (q or <Esc> closes it; so does leaving it).
local function report_lines(command, r)
  local lines = {}
  local function add(k, v) if v ~= nil and v ~= '' then table.insert(lines, string.format('%-16s %s', k, tostring(v))) end end
  if command == 'unmask.doctor' then
    local e = r.engine or {}
    add('state', r.state); add('problem', r.problem)
    add('backend', e.backend); add('model', e.model); add('architecture', e.architecture)
    add('parameters', e.parameters); add('weights', e.weightsMB and (e.weightsMB .. ' MB') or nil); add('ISA path', e.isa)
    add('load', e.loadMs and (e.loadMs .. ' ms') or nil); add('last timings', e.lastTimings)
    add('encoding', r.positionEncoding); add('open documents', r.openDocuments); add('version', r.version)
    local s = r.settings or {}
    local keys = vim.tbl_keys(s); table.sort(keys)
    table.insert(lines, '')
    table.insert(lines, 'settings')
    for _, k in ipairs(keys) do
      local v = s[k]
      if type(v) == 'table' then v = vim.json.encode(v) elseif v == vim.NIL then v = '–' end
      add('  ' .. k, v)
    end
  else
    for _, k in ipairs({ 'requests', 'shown', 'displayed', 'accepted', 'partiallyAccepted', 'acceptedUnits', 'cached', 'early', 'superseded' }) do add(k, r[k]) end
    add('latency p50', r.latencyP50Ms ~= vim.NIL and r.latencyP50Ms and string.format('%.0f ms', r.latencyP50Ms) or nil)
    add('latency p95', r.latencyP95Ms ~= vim.NIL and r.latencyP95Ms and string.format('%.0f ms', r.latencyP95Ms) or nil)
  end
  return lines
end

local function show(command, title)
  local c = client()
  if not c then vim.notify('unmask: not attached to this buffer', vim.log.levels.WARN); return end
  c:request('workspace/executeCommand', { command = command }, function(err, result)
    if err then vim.notify('unmask: ' .. err.message, vim.log.levels.ERROR); return end
    M.state.last_report = result
    local lines = report_lines(command, result or {})
    local width = 20
    for _, l in ipairs(lines) do width = math.max(width, vim.fn.strdisplaywidth(l)) end
    local buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    vim.bo[buf].bufhidden = 'wipe'
    local win = vim.api.nvim_open_win(buf, true, {
      relative = 'editor', style = 'minimal', border = 'rounded', title = ' ' .. title .. ' ', title_pos = 'center',
      width = math.min(width + 2, vim.o.columns - 4), height = math.min(#lines, vim.o.lines - 4),
      row = math.floor((vim.o.lines - #lines) / 2) - 1, col = math.floor((vim.o.columns - width) / 2),
    })
    M.state.report_win = win
    for _, key in ipairs({ 'q', '<Esc>' }) do
      vim.keymap.set('n', key, function() pcall(vim.api.nvim_win_close, win, true) end, { buffer = buf, nowait = true })
    end
    vim.api.nvim_create_autocmd('WinLeave', { buffer = buf, once = true, callback = function() pcall(vim.api.nvim_win_close, win, true) end })
  end)
end

-- Built-in inline completion (0.12): the client's inline requests go through `wrap_requests`, which
--  * never sends one for a buffer that is not current (the built-in's autocmds fire in every buffer and
--    would ask for a hidden buffer at the current window's cursor),
--  * turns the next request into an explicit (Invoked) one when `trigger`/`next` asked for several
--    suggestions, and remembers the items so accept_word / accept_line / feedback can use them,
--  * tells the server which suggestion was shown (textDocument/didShowCompletion).
local function wrap_requests(c)
  if c._unmask_wrapped then return end
  c._unmask_wrapped = true
  local request = c.request
  c.request = function(self, method, params, handler, bufnr, ...)
    if method ~= INLINE then return request(self, method, params, handler, bufnr, ...) end
    local target = vim.uri_to_bufnr(params.textDocument.uri)
    if target ~= vim.api.nvim_get_current_buf() then
      M.state.dropped = M.state.dropped + 1
      return false
    end
    local invoke = M.state.invoke
    M.state.invoke = nil
    if invoke then params.context = vim.tbl_extend('force', params.context or {}, { triggerKind = 1 }) end
    return request(self, method, params, function(err, result, ctx, ...)
      local items = result and (result.items or result) or {}
      M.state.items[target] = items
      if handler then handler(err, result, ctx, ...) end
      if not err and #items > 0 then
        self:notify('textDocument/didShowCompletion', { item = items[1] })
        if invoke == 'next' and #items > 1 then vim.schedule(function() vim.lsp.inline_completion.select({ count = 1 }) end) end
      end
    end, bufnr, ...)
  end
end

-- Asks the built-in client for a new, explicit request in the current buffer.
local function request_now(kind)
  M.state.invoke = kind
  local bufnr = vim.api.nvim_get_current_buf()
  pcall(vim.api.nvim_exec_autocmds, 'CursorMovedI', { group = 'nvim.lsp.inline_completion:' .. bufnr, modeline = false })
end

-- The part of a suggestion still to insert at the cursor (an item with a range may start before it).
local function remaining_text(item, bufnr)
  local text = type(item.insert_text) == 'string' and item.insert_text or item.insert_text.value
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  if item.range then
    local s = item.range.start
    if s.row == row - 1 and s.col <= col then
      local typed = vim.api.nvim_buf_get_text(bufnr, s.row, s.col, row - 1, col, {})[1] or ''
      if text:sub(1, #typed) == typed then return text:sub(#typed + 1) end
    end
  end
  return text
end

-- Inserts `piece` at the cursor, moves the cursor after it, and tells the server how much was accepted.
local function insert_partial(item, piece, full)
  local bufnr = vim.api.nvim_get_current_buf()
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  local lines = vim.split(piece, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row - 1, col, row - 1, col, lines)
  vim.api.nvim_win_set_cursor(0, { row + #lines - 1, (#lines == 1 and col or 0) + #lines[#lines] })
  local c = client(bufnr)
  if c then
    local offered = type(item.insert_text) == 'string' and item.insert_text or item.insert_text.value
    local accepted = #offered - #full + #piece
    c:notify('textDocument/didPartiallyAcceptCompletion',
      { item = { insertText = offered }, acceptedLength = encoded_len(offered:sub(1, accepted), c.offset_encoding) })
  end
end

-- The next word of `s`: leading spaces, then a run of word characters or of other non-space characters.
local function next_word(s)
  return s:match('^%s*[%w_]+') or s:match('^%s*[^%w_%s]+') or s:match('^%s+') or s
end

local function accept_part(cut)
  if not has_builtin then return false end
  return vim.lsp.inline_completion.get({ on_accept = function(item)
    local rest = remaining_text(item, vim.api.nvim_get_current_buf())
    insert_partial(item, cut(rest), rest)
  end })
end

--- Accepts the next word of the shown suggestion; the rest is offered again at once.
function M.accept_word() return accept_part(next_word) end

--- Accepts the shown suggestion up to the end of its first line (and the line break).
function M.accept_line()
  return accept_part(function(rest) local nl = rest:find('\n', 1, true); return nl and rest:sub(1, nl) or rest end)
end

--- Shows the next (count 1) or previous (-1) suggestion; with only one, asks the server for several.
function M.cycle(count)
  local items = M.state.items[vim.api.nvim_get_current_buf()] or {}
  if #items <= 1 then request_now('next'); return end
  vim.lsp.inline_completion.select({ count = count })
end

--- Asks for suggestions now (an explicit request: several to cycle through, also with inline.trigger = manual).
function M.trigger()
  if has_builtin then request_now('trigger') end
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
  c:request(INLINE, params, function(err, result)
    legacy_clear()
    local items = result and (result.items or result) or {}
    local item = items[1]
    if err or not item or vim.api.nvim_get_mode().mode:sub(1, 1) ~= 'i' then return end
    legacy.item = item
    local lines = vim.split(type(item.insertText) == 'table' and item.insertText.value or item.insertText, '\n', { plain = true })
    local row, col = unpack(vim.api.nvim_win_get_cursor(0))
    local virt_lines = {}
    for i = 2, #lines do table.insert(virt_lines, { { lines[i], 'UnmaskGhost' } }) end
    vim.api.nvim_buf_set_extmark(0, legacy_ns, row - 1, col, { virt_text = { { lines[1], 'UnmaskGhost' } }, virt_text_pos = 'inline', virt_lines = virt_lines })
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
    else vim.notify('unmask: `unmask` is not on PATH; run install.sh or pass setup{cmd = {"/path/to/unmask", "lsp"}}', vim.log.levels.ERROR); return end
  end
  vim.api.nvim_set_hl(0, 'UnmaskGhost', { default = true, link = 'Comment' })
  vim.api.nvim_set_hl(0, 'UnmaskDraft', { default = true, link = 'UnmaskGhost' })
  vim.api.nvim_set_hl(0, 'UnmaskMask', { default = true, link = 'NonText' })
  if M.config.ghost_highlight then vim.api.nvim_set_hl(0, 'ComplHint', { link = 'UnmaskGhost' }) end
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
    on_attach = function(c) if has_builtin then wrap_requests(c) end end,
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
  local function map(key, fn, desc) if key then vim.keymap.set('i', key, fn, { desc = 'Unmask: ' .. desc }) end end
  map(k.accept, function() if not M.accept() then return k.accept end end, 'accept')
  if has_builtin then
    map(k.accept_word, M.accept_word, 'accept one word')
    map(k.accept_line, M.accept_line, 'accept one line')
    map(k.next, function() M.cycle(1) end, 'next suggestion')
    map(k.prev, function() M.cycle(-1) end, 'previous suggestion')
    map(k.trigger, M.trigger, 'suggest now')
  end
  map(k.dismiss, M.dismiss, 'dismiss')
  vim.api.nvim_create_user_command('UnmaskFill', function(a) run_action('unmask.fill', a.line1, a.line2, a.range > 0) end, { range = true })
  vim.api.nvim_create_user_command('UnmaskRewrite', function(a) run_action('unmask.rewrite', a.line1, a.line2, a.range > 0) end, { range = true })
  vim.api.nvim_create_user_command('UnmaskRepair', function(a) run_action('unmask.repair', a.line1, a.line2, a.range > 0) end, { range = true })
  vim.api.nvim_create_user_command('UnmaskEdit', function(a)
    local function go(instruction)
      if instruction and vim.trim(instruction) ~= '' then run_action('unmask.edit', a.line1, a.line2, a.range > 0, { instruction = instruction }) end
    end
    if vim.trim(a.args) ~= '' then go(a.args) else vim.ui.input({ prompt = 'Unmask edit: ' }, go) end
  end, { range = true, nargs = '*' })
  vim.api.nvim_create_user_command('UnmaskNextEdit', function()
    if not M.jump_to_next_edit() then M.request_next_edit(nil, true) end
  end, {})
  if k.next_edit then vim.keymap.set('n', k.next_edit, function() if not M.jump_to_next_edit() then M.request_next_edit(nil, true) end end, { desc = 'Unmask: next edit' }) end
  if M.config.next_edit_on_leave then
    vim.api.nvim_create_autocmd('InsertLeave', { group = group, callback = function(ev)
      if client(ev.buf) and vim.bo[ev.buf].modified then M.request_next_edit(ev.buf, false) end
    end })
  end
  vim.api.nvim_create_autocmd('TextChanged', { group = group, callback = function(ev) clear_hint(ev.buf) end })
  vim.api.nvim_create_user_command('UnmaskStatus', function() show('unmask.doctor', 'Unmask status') end, {})
  vim.api.nvim_create_user_command('UnmaskStats', function() show('unmask.stats', 'Unmask stats') end, {})
end

return M
