'use strict';
// The extension's client code against the real `unmask lsp`, with the `vscode` API stubbed at the boundary.
const { test } = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { create } = require('../src/extension');

const BIN = process.env.UNMASK_BIN || path.join(__dirname, '../../../.build/release/unmask');

function fakeVscode(docs, applied) {
  const messagesOut = [];
  class Range { constructor(a, b, c, d) { this.start = { line: a, character: b }; this.end = { line: c, character: d }; } }
  class InlineCompletionItem { constructor(text, range) { this.insertText = text; this.range = range; } }
  class InlineCompletionList { constructor(items) { this.items = items; } }
  class WorkspaceEdit { constructor() { this.edits = []; } replace(uri, range, text, metadata) { this.edits.push({ uri, range, text, metadata }); } }
  class CodeAction { constructor(title, kind) { this.title = title; this.kind = kind; } }
  class ThemeColor { constructor(id) { this.id = id; } }
  const registered = {};
  const disposable = { dispose() {} };
  // What the user set; every other key reads as unset (inspect gives no value at any scope).
  let config = { serverPath: BIN, deadlineMs: 20000, maxTokens: 16, 'enable.frames': true };
  return {
    registered, messagesOut,
    setConfig: (extra) => { config = { serverPath: BIN, deadlineMs: 20000, ...extra }; },
    Range, InlineCompletionItem, InlineCompletionList, WorkspaceEdit, CodeAction, ThemeColor,
    CodeActionKind: { QuickFix: 'quickfix', RefactorRewrite: 'refactor.rewrite' },
    messages: [],
    StatusBarAlignment: { Right: 2 },
    Uri: { parse: (s) => ({ toString: () => s }) },
    workspace: {
      textDocuments: docs,
      getConfiguration: () => ({ get: (k) => config[k], inspect: (k) => ({ key: k, globalValue: config[k] }) }),
      onDidOpenTextDocument: () => disposable, onDidCloseTextDocument: () => disposable,
      onDidChangeTextDocument: () => disposable, onDidChangeConfiguration: () => disposable,
      applyEdit: async (e, options) => { applied.push({ edit: e, options }); return true; },
    },
    window: {
      createStatusBarItem: () => ({ show() {}, dispose() {} }),
      showErrorMessage: (m) => { messagesOut.push(m); }, showInformationMessage: (m) => { messagesOut.push(m); },
      showInputBox: async () => 'add a docstring',
      createTextEditorDecorationType: () => ({ dispose() {} }),
      activeTextEditor: { document: docs[0], selection: Object.assign(new Range(1, 4, 1, 8), { active: { line: 1, character: 4 } }), setDecorations() {} },
    },
    languages: {
      registerInlineCompletionItemProvider: (sel, p) => { registered.provider = p; return disposable; },
      registerCodeActionsProvider: (sel, p) => { registered.codeActions = p; return disposable; },
    },
    commands: { registerCommand: (name, fn) => { registered[name] = fn; return disposable; } },
  };
}

test('only the settings the user set are sent, nested by their dotted keys', () => {
  const ext = create(fakeVscode([], []));
  assert.deepStrictEqual(ext.settings(), { deadlineMs: 20000, maxTokens: 16, enable: { frames: true } });
});

test('initialize, open, inline completion, commands, shutdown against the real server', async () => {
  const doc = { uri: { toString: () => 'file:///tmp/vs.py' }, languageId: 'python', version: 1, getText: () => 'def f(x):\n    TODO\n\nprint(f(1))\n' };
  const applied = [];
  const vscode = fakeVscode([doc], applied);
  const ext = create(vscode);
  const context = { subscriptions: [] };
  await ext.activate(context);
  const proc = ext.client.proc;
  try {
    // Wait for the model to be ready.
    const doctor = await vscode.registered['unmask.showStatus']();
    assert.ok(['ready', 'busy'].includes(doctor.state), JSON.stringify(doctor));
    assert.strictEqual(ext.state.status, 'ready');
    // Automatic (VS Code's 1): one suggestion, inserted at the cursor, so no range.
    const auto = await vscode.registered.provider.provideInlineCompletionItems(doc, { line: 1, character: 8 }, { triggerKind: 1 }, null);
    assert.ok(auto instanceof vscode.InlineCompletionList && auto.items.length <= 1);
    for (const it of auto.items) { assert.strictEqual(typeof it.insertText, 'string'); assert.strictEqual(it.range, undefined); }
    // Invoke (VS Code's 0): several distinct suggestions to cycle through.
    const invoked = await vscode.registered.provider.provideInlineCompletionItems(doc, { line: 1, character: 8 }, { triggerKind: 0 }, null);
    assert.ok(invoked.items.length >= 1);
    assert.strictEqual(new Set(invoked.items.map((it) => it.insertText)).size, invoked.items.length);
    // A request for a version the server has moved past gets nothing.
    const stale = await vscode.registered.provider.provideInlineCompletionItems({ ...doc, version: 0 }, { line: 1, character: 8 }, { triggerKind: 0 }, null);
    assert.strictEqual(stale.items.length, 0);
    const stats = await ext.client.request('workspace/executeCommand', { command: 'unmask.stats' });
    assert.strictEqual(typeof stats.shown, 'number');
    // Proposals go to VS Code's refactor preview: every entry needs confirmation; the server never applies them itself.
    const fill = await vscode.registered['unmask.fillSelection']();
    assert.strictEqual(typeof fill.edits, 'number');
    if (fill.edits > 0) {
      assert.strictEqual(applied.length, 1);
      assert.ok(applied[0].options.isRefactoring);
      assert.ok(applied[0].edit.edits.every((e) => e.metadata.needsConfirmation && e.metadata.label === 'Unmask: fill'), JSON.stringify(applied[0].edit.edits));
    }
    const actions = vscode.registered.codeActions.provideCodeActions();
    assert.deepStrictEqual(actions.map((a) => a.command.command), ['unmask.repair', 'unmask.nextEdit', 'unmask.edit', 'unmask.rewriteFunction']);
    // The embedded model is a base model: an instruction edit is refused with the reason, nothing applied.
    const before = applied.length;
    const edit = await vscode.registered['unmask.edit']();
    assert.ok(edit.error && /chat template/.test(edit.error), JSON.stringify(edit));
    assert.strictEqual(applied.length, before);
    const next = await vscode.registered['unmask.nextEdit']();
    assert.ok(Array.isArray(next.edits));
  } finally {
    await ext.deactivate();
  }
  assert.strictEqual(proc.exitCode, 0, 'clean shutdown/exit');
});

test('backend inception against the stand-in engine: the remote answer is the suggestion', async () => {
  const { spawn } = require('child_process');
  const standin = spawn('python3', [path.join(__dirname, '../../../Tests/python/standin_server.py'), '--flavor', 'inception', '--key', 'sk-vscode-test'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    standin.stdout.once('data', (d) => { const m = /PORT (\d+)/.exec(d.toString()); m ? resolve(Number(m[1])) : reject(new Error(String(d))); });
  });
  process.env.MERCURY_KEY = 'sk-vscode-test';
  const doc = { uri: { toString: () => 'file:///tmp/remote.py' }, languageId: 'python', version: 1, getText: () => 'def main(value):\n    \n    return value\n' };
  const vscode = fakeVscode([doc], []);
  const ext = create(vscode);
  vscode.setConfig({ backend: 'inception', 'remote.url': `http://127.0.0.1:${port}/v1`, 'remote.model': 'mercury-edit-2', 'remote.apiKeyEnv': 'MERCURY_KEY' });
  await ext.activate({ subscriptions: [] });
  try {
    const doctor = await vscode.registered['unmask.showStatus']();
    assert.strictEqual(doctor.engine.backend, 'inception', JSON.stringify(doctor));
    const list = await vscode.registered.provider.provideInlineCompletionItems(doc, { line: 1, character: 4 }, { triggerKind: 1 }, null);
    assert.deepStrictEqual(list.items.map((it) => it.insertText), ['print(value)']);
  } finally {
    await ext.deactivate();
    standin.kill();
    delete process.env.MERCURY_KEY;
  }
});
