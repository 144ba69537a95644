'use strict';
// VS Code extension: starts `unmask lsp`, syncs documents, provides inline completions, the fill /
// rewrite / repair / instruction-edit / next-edit commands and code actions (every proposed edit goes
// through VS Code's refactor preview: its entries need confirmation), and a status bar item.
const { LspClient } = require('./lspClient');

/** Settings the extension itself reads; never sent to the server. */
const CLIENT_ONLY = new Set(['unmask.serverPath']);

/** Builds the pieces with an injected `vscode` API so tests can stub it at the boundary. */
function create(vscode) {
  let client = null;
  let status = null;
  const state = { status: 'stopped', message: '' };

  // Only the settings the user set (at any scope) are sent, nested by their dotted keys; the server's own
  // defaults apply to the rest, so VS Code users decode exactly as everyone else does.
  const serverKeys = Object.keys(require('../package.json').contributes.configuration.properties)
    .filter((k) => !CLIENT_ONLY.has(k)).map((k) => k.slice('unmask.'.length));
  const settings = () => {
    const c = vscode.workspace.getConfiguration('unmask');
    const s = {};
    for (const key of serverKeys) {
      const i = c.inspect(key);
      if (!i) continue;
      const set = [i.workspaceFolderValue, i.workspaceValue, i.globalValue].find((v) => v !== undefined);
      if (set === undefined) continue;
      const parts = key.split('.');
      let o = s;
      for (const p of parts.slice(0, -1)) o = o[p] = o[p] || {};
      o[parts[parts.length - 1]] = set;
    }
    return s;
  };

  const toPosition = (p) => ({ line: p.line, character: p.character });
  const toRange = (r) => ({ start: toPosition(r.start), end: toPosition(r.end) });
  const fromRange = (r) => new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);

  // A server WorkspaceEdit as a VS Code one: documentChanges' edits with their annotation (label,
  // description, needsConfirmation) as entry metadata, so VS Code opens its refactor preview.
  function toWorkspaceEdit(ws) {
    const edit = new vscode.WorkspaceEdit();
    const notes = ws.changeAnnotations || {};
    if (ws.documentChanges) {
      for (const dc of ws.documentChanges) {
        for (const e of dc.edits) {
          const a = notes[e.annotationId];
          edit.replace(vscode.Uri.parse(dc.textDocument.uri), fromRange(e.range), e.newText,
            a ? { needsConfirmation: a.needsConfirmation !== false, label: a.label, description: a.description } : undefined);
        }
      }
    } else {
      for (const [uri, edits] of Object.entries(ws.changes || {})) {
        for (const e of edits) edit.replace(vscode.Uri.parse(uri), fromRange(e.range), e.newText, { needsConfirmation: true, label: 'Unmask' });
      }
    }
    return edit;
  }

  const applyProposal = (ws) => vscode.workspace.applyEdit(toWorkspaceEdit(ws), { isRefactoring: true });

  function setStatus(s, message) {
    state.status = s; state.message = message || '';
    if (status) { status.text = `$(sparkle) unmask: ${s}`; status.tooltip = state.message; }
  }

  async function start(context) {
    const c = vscode.workspace.getConfiguration('unmask');
    client = new LspClient(c.get('serverPath') || 'unmask', ['lsp']);
    client.on('unmask/status', (p) => setStatus(p.state, p.message));
    client.on('window/showMessage', (p) => (p.type === 1 ? vscode.window.showErrorMessage : vscode.window.showInformationMessage)(`Unmask: ${p.message}`));
    client.onRequest('workspace/applyEdit', async (p) => ({ applied: await applyProposal(p.edit) }));
    client.onRequest('window/workDoneProgress/create', () => null);
    await client.request('initialize', {
      processId: process.pid, rootUri: null, clientInfo: { name: 'unmask-vscode', version: '0.1.0' },
      capabilities: { general: { positionEncodings: ['utf-16'] }, window: { workDoneProgress: true }, workspace: { applyEdit: true } },
      initializationOptions: { unmask: settings() },
    });
    client.notify('initialized', {});
    const sub = (d) => context.subscriptions.push(d);
    const open = (doc) => client.notify('textDocument/didOpen', { textDocument: { uri: doc.uri.toString(), languageId: doc.languageId, version: doc.version, text: doc.getText() } });
    vscode.workspace.textDocuments.forEach(open);
    sub(vscode.workspace.onDidOpenTextDocument(open));
    sub(vscode.workspace.onDidCloseTextDocument((doc) => client.notify('textDocument/didClose', { textDocument: { uri: doc.uri.toString() } })));
    sub(vscode.workspace.onDidChangeTextDocument((ev) => client.notify('textDocument/didChange', {
      textDocument: { uri: ev.document.uri.toString(), version: ev.document.version },
      contentChanges: ev.contentChanges.map((ch) => ({ range: toRange(ch.range), text: ch.text })),
    })));
    sub(vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('unmask')) client.notify('workspace/didChangeConfiguration', { settings: { unmask: settings() } }); }));
    return client;
  }

  // VS Code's trigger kinds are Invoke = 0, Automatic = 1; LSP 3.18's are Invoked = 1, Automatic = 2. The
  // document version lets the server drop a request for a text it has already moved past; a selected
  // suggest-widget item is forwarded so the suggestion extends it on its range.
  const provider = {
    async provideInlineCompletionItems(document, position, context, token) {
      if (!client) return new vscode.InlineCompletionList([]);
      const sel = context && context.selectedCompletionInfo;
      const r = await client.request('textDocument/inlineCompletion', {
        textDocument: { uri: document.uri.toString(), version: document.version }, position: toPosition(position),
        context: {
          triggerKind: context && context.triggerKind === 0 ? 1 : 2,
          ...(sel ? { selectedCompletionInfo: { range: toRange(sel.range), text: sel.text } } : {}),
        },
      }, token).catch(() => null);
      const items = (r && (r.items || r)) || [];
      return new vscode.InlineCompletionList(items.map((it) => {
        const item = new vscode.InlineCompletionItem(it.insertText, it.range ? fromRange(it.range) : undefined);
        if (it.filterText) item.filterText = it.filterText;
        if (it.command) item.command = { title: it.command.title, command: 'unmask.accepted', arguments: it.command.arguments };
        return item;
      }));
    },
  };

  /// Runs a server edit command on the selection and hands what it proposes to VS Code's preview.
  async function runAction(command, extra) {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !client) return null;
    const sel = editor.selection;
    let r;
    try {
      r = await client.request('workspace/executeCommand', { command, arguments: [{ uri: editor.document.uri.toString(), range: toRange(sel), ...(extra || {}) }] });
    } catch (e) {
      vscode.window.showErrorMessage(`Unmask: ${e.message || e}`);
      return { error: e.message || String(e) };
    }
    if (!r || r.edits === 0) { vscode.window.showInformationMessage(`Unmask: ${(r && r.message) || 'no change proposed'}`); return r; }
    r.applied = await applyProposal(r.edit);
    return r;
  }

  async function editWithInstruction() {
    const instruction = await vscode.window.showInputBox({ prompt: 'Unmask: what should change in the selection?', placeHolder: 'e.g. add type hints' });
    if (!instruction || !instruction.trim()) return null;
    return runAction('unmask.edit', { instruction });
  }

  // Next edit: asked at the cursor; its place is marked with a decoration and the edit previewed.
  let nextEditDecoration = null;
  async function nextEdit() {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !client) return null;
    const r = await client.request('unmask/nextEdit', { textDocument: { uri: editor.document.uri.toString() }, position: toPosition(editor.selection.active) })
      .catch((e) => ({ edits: [], message: e.message }));
    if (!nextEditDecoration) nextEditDecoration = vscode.window.createTextEditorDecorationType({ after: { contentText: ' ⇥ next edit', color: new vscode.ThemeColor('editorCodeLens.foreground') } });
    if (!r.range || r.edits.length === 0) {
      editor.setDecorations(nextEditDecoration, []);
      vscode.window.showInformationMessage(`Unmask: ${r.message || 'no next edit'}`);
      return r;
    }
    editor.setDecorations(nextEditDecoration, [fromRange(r.range)]);
    const uri = editor.document.uri.toString();
    r.applied = await applyProposal({ changes: { [uri]: r.edits } });
    editor.setDecorations(nextEditDecoration, []);
    return r;
  }

  const codeActions = {
    provideCodeActions() {
      const action = (title, kind, command) => { const a = new vscode.CodeAction(title, kind); a.command = { title, command }; return a; };
      return [
        action('Unmask: repair', vscode.CodeActionKind.QuickFix, 'unmask.repair'),
        action('Unmask: next edit', vscode.CodeActionKind.QuickFix, 'unmask.nextEdit'),
        action('Unmask: edit with an instruction…', vscode.CodeActionKind.RefactorRewrite, 'unmask.edit'),
        action('Unmask: rewrite function', vscode.CodeActionKind.RefactorRewrite, 'unmask.rewriteFunction'),
      ];
    },
  };

  async function activate(context) {
    status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
    status.command = 'unmask.showStatus';
    status.show();
    setStatus('loading', 'starting the server');
    await start(context);
    context.subscriptions.push(
      vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
      vscode.commands.registerCommand('unmask.fillSelection', () => runAction('unmask.fill')),
      vscode.commands.registerCommand('unmask.rewriteFunction', () => runAction('unmask.rewrite')),
      vscode.commands.registerCommand('unmask.repair', () => runAction('unmask.repair')),
      vscode.commands.registerCommand('unmask.edit', editWithInstruction),
      vscode.commands.registerCommand('unmask.nextEdit', nextEdit),
      vscode.languages.registerCodeActionsProvider({ pattern: '**' }, codeActions),
      vscode.commands.registerCommand('unmask.accepted', (...args) => client.request('workspace/executeCommand', { command: 'unmask.accept', arguments: args })),
      vscode.commands.registerCommand('unmask.showStatus', async () => {
        const d = await client.request('workspace/executeCommand', { command: 'unmask.doctor' });
        vscode.window.showInformationMessage(`Unmask: ${JSON.stringify(d)}`);
        return d;
      }),
      status,
    );
  }

  async function deactivate() { if (client) await client.stop(); client = null; }

  return { activate, deactivate, provider, codeActions, state, runAction, settings, toWorkspaceEdit, get client() { return client; } };
}

let instance = null;
module.exports = {
  create,
  activate: (context) => { instance = create(require('vscode')); return instance.activate(context); },
  deactivate: () => (instance ? instance.deactivate() : undefined),
};
