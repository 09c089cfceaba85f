"""What the functions print, kept as Cloud Run's logging agent takes it: one entry per line of stdout or stderr.

In production each line a function writes becomes a Cloud Logging entry (a JSON line a structured one), and the
log-based metrics count those. Here the host runs the functions in its own process, so it wraps its
``sys.stdout`` / ``sys.stderr``: every complete line still goes to the real stream and is also kept in a
bounded in-memory buffer, tagged with the function whose invocation wrote it. ``GET /_localcloud/logs`` serves
the buffer (``?since=SEQ`` for what came after an entry already read), so tests and the demo compute the
metrics from what the functions really logged.
"""

from __future__ import annotations

import io
import json
import threading
import urllib.request
from collections import deque
from datetime import UTC, datetime
from typing import Any, TextIO

LOGS_PATH = "/_localcloud/logs"
DEFAULT_CAPACITY = 50_000  # lines; a demo day logs a few thousand
_invocation = threading.local()


def set_current_function(name: str | None) -> None:
    """The function whose invocation runs on this thread (its lines are attributed to it)."""
    _invocation.name = name


class LogBuffer:
    """The newest ``capacity`` lines, numbered from 1; older ones are dropped (and counted)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._lines: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0

    def append(self, stream: str, text: str) -> None:
        with self._lock:
            self._seq += 1
            self._lines.append({"seq": self._seq, "received_at": datetime.now(UTC).isoformat(), "stream": stream,
                                "function": getattr(_invocation, "name", None), "text": text})

    def since(self, seq: int = 0, limit: int = 10_000) -> dict[str, Any]:
        with self._lock:
            oldest = self._lines[0]["seq"] if self._lines else self._seq + 1
            entries = [e for e in self._lines if e["seq"] > seq][:limit]
            last = entries[-1]["seq"] if entries else max(seq, self._seq)
            # Lines after `seq` that the buffer no longer holds: the reader knows it missed some.
            return {"entries": entries, "next": last, "dropped": max(0, oldest - seq - 1)}


class CapturedStream(io.TextIOBase):
    """A text stream that writes through to ``target`` and records each complete line in ``buffer``.

    Partial lines are held per thread, so concurrent invocations never splice their lines together."""

    def __init__(self, target: TextIO, buffer: LogBuffer, name: str) -> None:
        self._target = target
        self._buffer = buffer
        self._name = name
        self._partial = threading.local()

    def write(self, text: str) -> int:
        self._target.write(text)
        pending = getattr(self._partial, "text", "") + text
        *lines, rest = pending.split("\n")
        self._partial.text = rest
        for line in lines:
            if line.strip():
                self._buffer.append(self._name, line)
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")


def fetch(functions_url: str, since: int = 0, timeout_s: float = 30.0) -> dict[str, Any]:
    """The host's captured lines after ``since`` (``functions_url`` is the host's base URL)."""
    with urllib.request.urlopen(f"{functions_url}{LOGS_PATH}?since={since}", timeout=timeout_s) as response:
        return dict(json.loads(response.read()))


def fetch_lines(functions_url: str, since: int = 0) -> list[str]:
    """Every captured line after ``since``, reading page after page."""
    lines: list[str] = []
    while True:
        page = fetch(functions_url, since)
        if not page["entries"]:
            return lines
        lines.extend(e["text"] for e in page["entries"])
        since = int(page["next"])
