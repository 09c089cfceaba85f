"""One JSON line per event on stdout, in the shape Cloud Logging's agent on Cloud Run (and so
Cloud Functions gen 2) turns into a structured entry: `severity`, `message`, the special
`logging.googleapis.com/trace` and `logging.googleapis.com/labels` keys, the rest as jsonPayload.

The standard library's json is enough for this shape; google-cloud-logging's StructuredLogHandler
writes the same keys but would add a dependency and a global handler for one dict per event.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TextIO

from salonflow.observability.events import MetricEvent

SEVERITIES = ("DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY")
TRACE_KEY = "logging.googleapis.com/trace"
LABELS_KEY = "logging.googleapis.com/labels"
RESERVED = {"severity", "message", "event", "time", TRACE_KEY, LABELS_KEY}

Sink = Callable[[Mapping[str, Any]], None]


def trace_name(project_id: str, trace_header: str | None) -> str | None:
    """`projects/P/traces/T` from an X-Cloud-Trace-Context header ("T/SPAN;o=1") or a traceparent."""
    if not trace_header:
        return None
    header = trace_header.strip()
    # W3C traceparent is version-traceid-spanid-flags; X-Cloud-Trace-Context is TRACE/SPAN;o=1.
    trace_id = header.split("-")[1] if header.count("-") == 3 else header.split("/")[0].split(";")[0]
    if not trace_id or not all(c in "0123456789abcdefABCDEF" for c in trace_id):
        raise ValueError(f"not a trace header: {trace_header!r}")
    return f"projects/{project_id}/traces/{trace_id.lower()}"


def entry(event: MetricEvent, *, now: datetime, salon_id: str, agent_name: str | None = None,
          message: str | None = None, severity: str = "INFO", trace: str | None = None,
          **fields: Any) -> dict[str, Any]:
    """The log entry for one metric event (pure; `emit` writes it)."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not salon_id:
        raise ValueError("salon_id is required on every metric event")
    clash = RESERVED.intersection(fields)
    if clash:
        raise ValueError(f"fields may not override {sorted(clash)}")
    labels = {"salon_id": salon_id, "agent_name": agent_name or ""}
    out: dict[str, Any] = {
        "severity": severity,
        "message": message or f"{event.value} salon={salon_id} agent={agent_name or '-'}",
        "event": event.value,
        "time": now.isoformat(),
        LABELS_KEY: labels,
        **fields,
    }
    if trace:
        out[TRACE_KEY] = trace
    return out


class StdoutSink:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def __call__(self, record: Mapping[str, Any]) -> None:
        stream = self._stream or sys.stdout
        stream.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        stream.flush()


class Recorder:
    """Keeps entries in memory: the local cloud's log for tests and the demo's summary."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def __call__(self, record: Mapping[str, Any]) -> None:
        self.entries.append(dict(record))


_sinks: list[Sink] = [StdoutSink()]


def add_sink(sink: Sink) -> None:
    _sinks.append(sink)


def remove_sink(sink: Sink) -> None:
    _sinks.remove(sink)


def emit(event: MetricEvent, **kwargs: Any) -> dict[str, Any]:
    """Build the entry and hand it to every sink. Logging never breaks the business path."""
    record = entry(event, **kwargs)
    for sink in list(_sinks):
        with contextlib.suppress(Exception):  # a broken sink must not fail a handler
            sink(record)
    return record


def parse_lines(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The metric entries among captured output lines (what Cloud Logging would parse into jsonPayload):
    JSON objects carrying an `event`; anything else a process printed is skipped."""
    out: list[dict[str, Any]] = []
    for line in lines:
        text = line.strip()
        if not text.startswith("{"):
            continue
        try:
            record = json.loads(text)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event"):
            out.append(record)
    return out
