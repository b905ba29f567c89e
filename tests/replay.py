"""A local stand-in for SEC: its paths on 127.0.0.1, answered from recorded documents (tests
and bench/soak.py point KIT_SEC_BASE_URL at it). Loopback only."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path


def serve(docs: dict[str, bytes | Path], state: dict | None = None
          ) -> http.server.ThreadingHTTPServer:
    """Serve `docs` (path -> body, or the file holding it) and 404 for anything else. In
    `state`, a path in `fail` answers 500 and every request is appended to `seen` with its
    User-Agent; `url` is set to the server's address. Stop it with `.shutdown()`."""
    state = {} if state is None else state
    state.setdefault("fail", set())
    state.setdefault("seen", [])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state["seen"].append((self.path, self.headers.get("User-Agent")))
            status = 500 if self.path in state["fail"] else 200 if self.path in docs else 404
            body = docs[self.path] if status == 200 else b""
            body = body.read_bytes() if isinstance(body, Path) else body
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    return httpd
