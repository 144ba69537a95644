#!/usr/bin/env python3
"""A stand-in for the remote engines Unmask talks to, on loopback only, Python standard library only.

It speaks the published wire shapes:
  * vLLM / SGLang (OpenAI-compatible): POST /v1/chat/completions ({model, messages, max_tokens, stream}) and
    POST /v1/completions ({model, prompt, max_tokens, stream}); with flavor "vllm", /v1/completions answers a
    body carrying `suffix` with vLLM's 400 "suffix is not currently supported".
  * Inception (Mercury): POST /v1/fim/completions ({model, prompt, suffix, max_tokens, stop, stream}),
    /v1/edit/completions and /v1/apply/completions ({model, messages}).
Answers: `choices[0].text` (completions, FIM) or `choices[0].message.content` (chat); with `stream: true`,
server-sent events of `choices[0].text` / `choices[0].delta.content` pieces ending with `data: [DONE]`.

Control (for tests), on the same port:
  GET  /control/requests        every request so far: {path, headers (lower-cased), body, closed_after_ms?}
  POST /control/reset           forget requests, back to mode "ok"
  POST /control/mode            {"mode": M, "count": N?, "answer": TEXT?, "retry_after": S?} for the next N requests
                                (all when N is absent). Modes: ok, 401, 404 (unknown model), 429, 500, notjson,
                                truncated (a body shorter than its Content-Length), huge (5 MB), sse-cut (a stream
                                that stops mid-event), slow (holds the request until the client closes it, and
                                records after how many ms it noticed).
Options: --port N (0: any; the chosen port is printed as "PORT N"), --key K (require "Authorization: Bearer K"),
--models a,b (served model names), --flavor vllm|sglang|inception, --tls CERT KEY (https).
"""
import argparse, json, select, socket, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"requests": [], "mode": "ok", "count": None, "answer": None, "retry_after": 2}
LOCK = threading.Lock()
ARGS = None

DEFAULT_ANSWERS = {
    "/v1/fim/completions": "print(value)",
    "/v1/completions": "print(value)",
    "/v1/chat/completions": "```python\nprint(value)\n```",
    "/v1/apply/completions": "```\nmerged()\n```",
}

def take_mode():
    with LOCK:
        mode = STATE["mode"]
        if STATE["count"] is not None:
            STATE["count"] -= 1
            if STATE["count"] <= 0:
                STATE["mode"], STATE["count"] = "ok", None
        return mode, STATE["answer"], STATE["retry_after"]

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # as uvicorn (vLLM, SGLang) does: small SSE writes go out at once

    def log_message(self, *a):
        pass

    def reply(self, status, obj=None, raw=None, headers=()):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/control/requests":
            with LOCK: self.reply(200, STATE["requests"])
        else:
            self.reply(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(n)
        if self.path.startswith("/control/"):
            body = json.loads(raw or b"{}")
            with LOCK:
                if self.path == "/control/reset":
                    STATE.update(requests=[], mode="ok", count=None, answer=None, retry_after=2)
                elif self.path == "/control/mode":
                    STATE.update(mode=body.get("mode", "ok"), count=body.get("count"), answer=body.get("answer"), retry_after=body.get("retry_after", 2))
            return self.reply(200, {"ok": True})
        try:
            body = json.loads(raw)
        except ValueError:
            return self.reply(400, {"error": {"message": "body is not JSON"}})
        record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "t": time.time()}
        with LOCK: STATE["requests"].append(record)
        mode, answer, retry_after = take_mode()
        if ARGS.key and self.headers.get("Authorization") != f"Bearer {ARGS.key}" or mode == "401":
            return self.reply(401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}})
        if self.path not in DEFAULT_ANSWERS and self.path != "/v1/edit/completions":
            return self.reply(404, {"error": {"message": f"no route {self.path}"}})
        if body.get("model") not in ARGS.models or mode == "404":
            return self.reply(404, {"object": "error", "message": f"The model `{body.get('model')}` does not exist.", "type": "NotFoundError", "param": None, "code": 404})
        if ARGS.flavor == "vllm" and self.path == "/v1/completions" and "suffix" in body:
            return self.reply(400, {"object": "error", "message": "suffix is not currently supported", "type": "BadRequestError", "param": None, "code": 400})
        if mode == "429":
            return self.reply(429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}, headers=[("Retry-After", str(retry_after))])
        if mode == "500":
            return self.reply(500, {"error": {"message": "internal error: CUDA out of memory", "type": "InternalServerError"}})
        if mode == "notjson":
            return self.reply(200, raw=b"<html><body>502 Bad Gateway</body></html>")
        if mode == "truncated":
            data = b'{"choices": [{"text": "print(va'
            self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", "200"); self.end_headers()
            self.wfile.write(data); self.wfile.flush()
            self.close_connection = True
            return
        if mode == "huge":
            return self.reply(200, raw=json.dumps({"choices": [{"text": "x" * (5 << 20)}]}).encode())
        if mode == "slow":
            return self.hold(record)
        text = answer if answer is not None else self.answer(body)
        if body.get("stream") and self.path != "/v1/edit/completions":
            return self.stream(text, chat=self.path == "/v1/chat/completions", cut=mode == "sse-cut")
        if self.path in ("/v1/chat/completions", "/v1/edit/completions", "/v1/apply/completions"):
            return self.reply(200, {"id": "standin", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})
        return self.reply(200, {"id": "standin", "object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": "stop"}]})

    def answer(self, body):
        if self.path == "/v1/edit/completions":
            # Mercury's next-edit answer: the code_to_edit region, fixed, in triple backticks.
            content = body["messages"][0]["content"]
            region = content.split("<|code_to_edit|>\n", 1)[1].split("\n<|/code_to_edit|>", 1)[0].replace("<|cursor|>", "")
            return "```\n" + region.replace("ensure_directry", "ensure_directory") + "\n```"
        return DEFAULT_ANSWERS[self.path]

    def stream(self, text, chat, cut):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        def chunk(b):
            self.wfile.write(b"%x\r\n" % len(b) + b + b"\r\n"); self.wfile.flush()
        pieces = [text[i:i + 4] for i in range(0, len(text), 4)] or [""]
        for i, p in enumerate(pieces):
            choice = {"index": 0, "delta": {"content": p}} if chat else {"index": 0, "text": p}
            event = ("data: " + json.dumps({"id": "standin", "choices": [choice]}) + "\n\n").encode()
            if cut and i == len(pieces) // 2:
                chunk(event[: len(event) // 2])          # half an event, then the connection goes away
                self.close_connection = True
                self.wfile.write(b"0\r\n\r\n"); self.wfile.flush()
                return
            chunk(event)
            time.sleep(0.002)
        chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n"); self.wfile.flush()

    def hold(self, record):
        """Holds the request open, polling the socket, and records when the client closed it."""
        t0 = time.time()
        sock = self.connection
        while time.time() - t0 < 30:
            r, _, _ = select.select([sock], [], [], 0.005)
            if r:
                try:
                    peek = sock.recv(1, socket.MSG_PEEK)
                except (ConnectionError, OSError, ssl.SSLError):
                    peek = b""
                if peek == b"":
                    with LOCK: record["closed_after_ms"] = (time.time() - t0) * 1000
                    self.close_connection = True
                    return
        self.reply(200, {"choices": [{"text": "too late"}]})

def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key")
    ap.add_argument("--models", default="standin-model,mercury-edit-2")
    ap.add_argument("--flavor", default="vllm", choices=["vllm", "sglang", "inception"])
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ARGS = ap.parse_args()
    ARGS.models = ARGS.models.split(",")
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)   # loopback only
    server.daemon_threads = True
    if ARGS.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*ARGS.tls)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()

if __name__ == "__main__":
    main()
