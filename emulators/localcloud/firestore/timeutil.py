"""Time as integer microseconds since the epoch: Firestore stores timestamps to the microsecond."""

from __future__ import annotations

from typing import Any


def to_micros(timestamp: Any) -> int:
    """A protobuf Timestamp as microseconds (nanoseconds are truncated, as Firestore does)."""
    return int(timestamp.seconds) * 1_000_000 + int(timestamp.nanos) // 1000


def fill_timestamp(timestamp: Any, micros: int) -> None:
    seconds, rest = divmod(micros, 1_000_000)
    timestamp.seconds = seconds
    timestamp.nanos = rest * 1000


def iso(micros: int) -> str:
    import datetime as _dt

    moment = _dt.datetime.fromtimestamp(micros / 1_000_000, tz=_dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
