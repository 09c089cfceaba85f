"""Plumbing shared by the small HTTP emulators the browser talks to (auth, firestore-web, hosting)."""

from __future__ import annotations

import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def allow_browser_origin(handler: BaseHTTPRequestHandler) -> None:
    """CORS for any origin, with credentials, as Google's emulators answer the Firebase JS SDK."""
    origin = handler.headers.get("Origin")
    handler.send_header("Access-Control-Allow-Origin", origin or "*")
    if origin:
        handler.send_header("Access-Control-Allow-Credentials", "true")
        handler.send_header("Vary", "Origin")


def serve_until_signalled(server: ThreadingHTTPServer, ready_line: str) -> int:
    """Serve until SIGINT/SIGTERM; print ``ready_line`` (what run_server waits for) once listening."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(ready_line, flush=True)
    stop.wait()
    server.shutdown()
    return 0
