"""A tiny HTTP endpoint that records what the emulators deliver to it.

Tests and benchmarks point push subscriptions and HTTP tasks at it. Each request is
answered with the next status from ``statuses`` (the last one repeats), optionally after
``delay_s``, and recorded with its arrival time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic()
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@dataclass
class Recorder:
    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    delay_s: float = 0.0
    requests: list[Received] = field(default_factory=list)
    in_flight: int = 0  # requests received and not yet answered
    max_in_flight: int = 0
    held: bool = False  # answer nothing until release() (to look at a sender while it waits)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self._released.set()

    def answer(self, position: int) -> int:
        return self.statuses[min(position, len(self.statuses) - 1)]

    def wait_for(self, count: int, timeout_s: float = 60.0) -> list[Received]:
        """Block until at least ``count`` requests arrived; returns them (may be fewer on timeout)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return list(self.requests)

    def _arrived(self, received: Received) -> int:
        with self._cond:
            position = len(self.requests)
            self.requests.append(received)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._cond.notify_all()
            return position

    def _finished(self) -> None:
        with self._cond:
            self.in_flight -= 1


@contextmanager
def recording_endpoint(
    path: str = "/", statuses: list[int] | None = None, delay_s: float = 0.0, held: bool = False
) -> Iterator[Recorder]:
    holder: list[Recorder] = []

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            recorder = holder[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            position = recorder._arrived(
                Received(time.monotonic(), self.command, self.path, dict(self.headers.items()), body)
            )
            try:
                if recorder.held:
                    recorder._released.wait(60.0)
                if recorder.delay_s:
                    time.sleep(recorder.delay_s)
                status = recorder.answer(position)
            finally:
                # Counted out before the answer leaves: once the caller has it, it may send the next
                # request before this thread runs again, and that one must not look concurrent.
                recorder._finished()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder.append(
        Recorder(
            url=f"http://127.0.0.1:{server.server_port}{path}", statuses=statuses or [200], delay_s=delay_s,
            held=held,
        )
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        holder[0].release()
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
