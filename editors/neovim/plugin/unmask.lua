-- Nothing runs until require('unmask').setup{...} is called.
if vim.g.loaded_unmask then return end
vim.g.loaded_unmask = true
