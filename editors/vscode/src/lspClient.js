'use strict';
// A small JSON-RPC 2.0 / LSP client over a child process's stdio (Content-Length framing), with no
// dependencies, so the extension needs no npm packages at run time.
const { spawn } = require('child_process');
const { EventEmitter } = require('events');

class LspClient extends EventEmitter {
  constructor(command, args, options = {}) {
    super();
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.nextId = 1;
    this.pending = new Map();
    this.requestHandlers = new Map();
    this.buffer = Buffer.alloc(0);
    this.stderr = '';
    this.proc.stdout.on('data', (d) => this._onData(d));
    this.proc.stderr.on('data', (d) => { this.stderr += d.toString(); if (this.stderr.length > 100000) this.stderr = this.stderr.slice(-50000); });
    this.proc.on('exit', (code) => {
      for (const [, p] of this.pending) p.reject(new Error(`server exited with code ${code}`));
      this.pending.clear();
      this.emit('exit', code);
    });
  }

  _onData(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const header = this.buffer.slice(0, end).toString('ascii');
      const m = /Content-Length:\s*(\d+)/i.exec(header);
      if (!m) { this.buffer = this.buffer.slice(end + 4); continue; }
      const n = parseInt(m[1], 10);
      if (this.buffer.length < end + 4 + n) return;
      const body = this.buffer.slice(end + 4, end + 4 + n).toString('utf8');
      this.buffer = this.buffer.slice(end + 4 + n);
      let msg;
      try { msg = JSON.parse(body); } catch (e) { this.emit('error', e); continue; }
      this._dispatch(msg);
    }
  }

  _dispatch(msg) {
    if (msg.method !== undefined && msg.id !== undefined) {          // server → client request
      const h = this.requestHandlers.get(msg.method);
      Promise.resolve(h ? h(msg.params) : null)
        .then((result) => this._send({ jsonrpc: '2.0', id: msg.id, result: result === undefined ? null : result }))
        .catch((e) => this._send({ jsonrpc: '2.0', id: msg.id, error: { code: -32603, message: String(e) } }));
    } else if (msg.method !== undefined) {                           // notification
      this.emit('notification', msg.method, msg.params);
      this.emit(msg.method, msg.params);
    } else {                                                          // response
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) { const e = new Error(msg.error.message); e.code = msg.error.code; p.reject(e); } else p.resolve(msg.result);
    }
  }

  _send(obj) {
    const body = Buffer.from(JSON.stringify(obj), 'utf8');
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  request(method, params, token) {
    const id = this.nextId++;
    const p = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this._send({ jsonrpc: '2.0', id, method, params });
    if (token && token.onCancellationRequested) {
      token.onCancellationRequested(() => this.notify('$/cancelRequest', { id }));
    }
    return p;
  }

  notify(method, params) { this._send({ jsonrpc: '2.0', method, params }); }
  onRequest(method, handler) { this.requestHandlers.set(method, handler); }

  async stop() {
    try { await this.request('shutdown', null); } catch (e) { /* already gone */ }
    this.notify('exit', null);
    await new Promise((r) => { if (this.proc.exitCode !== null) r(); else this.proc.once('exit', r); });
  }
}

module.exports = { LspClient };
