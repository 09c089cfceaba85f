"""One public port for gRPC and HTTP/1.1, like Google's emulator.

The first bytes of a connection decide: the HTTP/2 preface (``PRI * HTTP/2.0``) means gRPC, served by
``http2.Connection`` on the thread that accepted it; anything else is HTTP/1.1 and answered here.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from localcloud.firestore.http2 import Application, Connection

_PREFACE = b"PRI"
_CHUNK = 262_144


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


HttpHandler = Callable[[str, str, dict[str, str], bytes], HttpResponse]
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


class FrontDoor:
    def __init__(self, host: str, port: int, http2: Application, http: HttpHandler) -> None:
        self._http2 = http2
        self._http = http
        self._connections: set[Connection] = set()
        self._connections_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, port), family=family, backlog=256)
        self.port: int = self._listener.getsockname()[1]  # the real port when 0 asked for any
        self._closed = threading.Event()

    def serve_in_background(self) -> None:
        threading.Thread(target=self._accept_loop, name="frontdoor", daemon=True).start()

    def close(self) -> None:
        """Stop accepting, tell every HTTP/2 client to go away and close its connection."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            connection.go_away()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            head = b""
            while len(head) < len(_PREFACE):
                chunk = conn.recv(_CHUNK)
                if not chunk:
                    conn.close()
                    return
                head += chunk
                if not _PREFACE.startswith(head[: len(_PREFACE)]):
                    break
            if head.startswith(_PREFACE):
                self._serve_http2(conn, head)
            else:
                self._serve_http(conn, head)
        except OSError:
            with contextlib.suppress(OSError):
                conn.close()

    def _serve_http2(self, conn: socket.socket, head: bytes) -> None:
        connection = Connection(conn, self._http2)
        with self._connections_lock:
            self._connections.add(connection)
        try:
            connection.serve(head)
        finally:
            with self._connections_lock:
                self._connections.discard(connection)

    # ------------------------------------------------------------------------------------------
    # HTTP/1.1 (keep-alive, Content-Length bodies)

    def _serve_http(self, conn: socket.socket, buffered: bytes) -> None:
        with conn:
            while True:
                while b"\r\n\r\n" not in buffered:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffered += chunk
                head, buffered = buffered.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, version = lines[0].split(" ", 2)
                except ValueError:
                    conn.sendall(_render(HttpResponse(400, b"Bad request line"), keep_alive=False))
                    return
                headers = {}
                for line in lines[1:]:
                    key, _, value = line.partition(":")
                    headers[key.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                while len(buffered) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffered += chunk
                body, buffered = buffered[:length], buffered[length:]
                try:
                    response = self._http(method, target, headers, body)
                except Exception as exc:  # an HTTP extra must never take the server down
                    response = HttpResponse(500, str(exc).encode())
                keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                conn.sendall(_render(response, keep_alive=keep_alive))
                if not keep_alive:
                    return


def _render(response: HttpResponse, *, keep_alive: bool) -> bytes:
    reason = _REASONS.get(response.status, "Unknown")
    head = (
        f"HTTP/1.1 {response.status} {reason}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(response.body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode("latin-1") + response.body
