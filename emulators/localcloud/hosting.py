"""``python -m localcloud hosting --public DIR --function-base URL``: Firebase Hosting for a static web app.

What Firebase Hosting does for the console (``firebase.json`` ``hosting``), locally:

- serves the files of ``--public`` (``index.html`` for ``/`` and for any path without a file: a single-page app);
- ``GET /__/firebase/init.json``: the web app's Firebase config (Hosting's reserved URL);
- ``GET /__/localcloud/emulators.json``: where the emulators are (``--emulators JSON``), so the page connects the
  SDK to them; absent in production, where the page talks to Google;
- rewrites ``/autonomous/**`` to the ``autonomous`` function (``--function-base`` is its URL), passing the
  method, body and the ``Authorization`` header through and the answer back, as Hosting's function rewrite does.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from localcloud.http_serving import serve_until_signalled

REWRITE_PREFIX = "/autonomous"
PASSED_HEADERS = ("authorization", "content-type", "idempotency-key", "accept")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    public: Path
    function_base: str
    init_json: bytes
    emulators_json: bytes | None

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PATCH(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def do_DELETE(self) -> None:
        self._route()

    def _route(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == REWRITE_PREFIX or path.startswith(REWRITE_PREFIX + "/"):
            self._proxy()
            return
        if self.command not in ("GET", "HEAD"):
            self._send(405, b"Method not allowed", "text/plain")
            return
        if path == "/__/firebase/init.json":
            self._send(200, self.init_json, "application/json", {"Cache-Control": "no-cache"})
            return
        if path == "/__/localcloud/emulators.json":
            if self.emulators_json is None:
                self._send(404, b"{}", "application/json")
            else:
                self._send(200, self.emulators_json, "application/json", {"Cache-Control": "no-cache"})
            return
        self._static(path)

    def _static(self, path: str) -> None:
        root = self.public.resolve()
        target = (root / urllib.parse.unquote(path).lstrip("/")).resolve()
        if not target.is_relative_to(root):
            self._send(404, b"Not found", "text/plain")
            return
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            if Path(path).suffix:  # a missing asset is a 404; a route of the app gets the app
                self._send(404, b"Not found", "text/plain")
                return
            target = root / "index.html"
        if not target.is_file():
            self._send(404, b"The console is not built: run make console", "text/plain")
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        self._send(200, target.read_bytes(), content_type, {"Cache-Control": "no-cache"})

    def _proxy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {name: value for name in PASSED_HEADERS if (value := self.headers.get(name))}
        request = urllib.request.Request(self.function_base.rstrip("/") + self.path, data=body,
                                         method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, payload = response.status, response.read()
                content_type = response.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
            content_type = error.headers.get("Content-Type", "application/json")
        except OSError as error:
            status, payload, content_type = 502, json.dumps(
                {"error": {"code": "function_unreachable", "message": str(error)}}).encode(), "application/json"
        self._send(status, payload, content_type)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud hosting")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--public", type=Path, required=True, help="the built web app")
    parser.add_argument("--project", default="demo-salonflow")
    parser.add_argument("--function-base", required=True,
                        help="URL the /autonomous/** rewrite goes to (the autonomous function's URL)")
    parser.add_argument("--emulators", default=None,
                        help='JSON: {"firestore": "host:port", "auth": "http://host:port"} for the page')
    args = parser.parse_args(argv)
    init = {"projectId": args.project, "apiKey": "fake-api-key", "authDomain": f"{args.project}.firebaseapp.com",
            "appId": f"1:000000000000:web:{args.project}"}
    handler = type("BoundHandler", (Handler,), {
        "public": args.public, "function_base": args.function_base, "init_json": json.dumps(init).encode(),
        "emulators_json": args.emulators.encode() if args.emulators else None})
    server = ThreadingHTTPServer((args.host, args.port), handler)
    server.daemon_threads = True
    return serve_until_signalled(server, f"localcloud hosting ready on http://{args.host}:{server.server_address[1]}/ ({args.public})")
