"""A pure evaluator of the spec's three alerts over recorded log entries.

Each rule turns the entries into a step series (a value that holds from one entry to the next),
and fires once the condition has held continuously for the rule's duration, as a Cloud
Monitoring threshold condition with that `duration` does; it clears when the condition stops
holding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from salonflow.observability.events import MetricEvent
from salonflow.observability.log import LABELS_KEY


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    threshold: float
    duration: timedelta
    above: bool  # True: fires when value > threshold; False: when value < threshold
    window: timedelta = timedelta(minutes=5)  # trailing window for rates


@dataclass(frozen=True)
class Interval:
    rule: str
    series: str  # e.g. salon id or "salon/agent"
    fired_at: datetime
    cleared_at: datetime | None  # None: still firing at `until`


HIGH_FAILURE_RATE = Rule("high_failure_rate", "warning", 0.8, timedelta(minutes=5), above=False)
CIRCUIT_BREAKER_OPEN = Rule("circuit_breaker_open", "critical", 0.5, timedelta(0), above=True)
APPROVAL_BACKLOG = Rule("approval_backlog", "warning", 10, timedelta(minutes=15), above=True)
RULES = (HIGH_FAILURE_RATE, CIRCUIT_BREAKER_OPEN, APPROVAL_BACKLOG)

Point = tuple[datetime, float]


def _time(e: Mapping[str, Any]) -> datetime:
    t = datetime.fromisoformat(str(e["time"]))
    if t.tzinfo is None:
        raise ValueError(f"log entry time without a timezone: {e['time']!r}")
    return t


def _labels(e: Mapping[str, Any]) -> Mapping[str, str]:
    return e.get(LABELS_KEY) or {}


def _of(entries: Iterable[Mapping[str, Any]], event: MetricEvent) -> list[Mapping[str, Any]]:
    return sorted((e for e in entries if e.get("event") == event), key=_time)


def success_rate_series(entries: Iterable[Mapping[str, Any]], window: timedelta) -> dict[str, list[Point]]:
    """Per salon: successes / outcomes over the trailing window, wherever that changes: at each outcome and
    when one leaves the window. With no outcome left in the window the rate is NaN (no data): the condition
    does not hold, as the PromQL ratio of two empty increases yields no sample."""
    times: dict[str, list[tuple[datetime, bool]]] = {}
    for e in _of(entries, MetricEvent.DECISION_OUTCOME):
        times.setdefault(_labels(e).get("salon_id", ""), []).append((_time(e), bool(e.get("success"))))
    out: dict[str, list[Point]] = {}
    for salon, outcomes in times.items():
        moments = sorted({t for t, _ in outcomes} | {t + window for t, _ in outcomes})
        points: list[Point] = []
        for moment in moments:
            inside = [ok for t, ok in outcomes if moment - window < t <= moment]
            points.append((moment, sum(inside) / len(inside) if inside else math.nan))
        out[salon] = points
    return out


def breaker_series(entries: Iterable[Mapping[str, Any]]) -> dict[str, list[Point]]:
    """Per salon/agent: 1 while the breaker is open, 0 otherwise (half_open counts as not open)."""
    out: dict[str, list[Point]] = {}
    for e in _of(entries, MetricEvent.BREAKER_STATE):
        lab = _labels(e)
        key = f"{lab.get('salon_id', '')}/{lab.get('agent_name', '')}"
        out.setdefault(key, []).append((_time(e), 1.0 if e.get("state") == "open" else 0.0))
    return out


def pending_approvals_series(entries: Iterable[Mapping[str, Any]]) -> dict[str, list[Point]]:
    """Per salon: approvals requested and not yet answered or closed (each approval id counted once)."""
    kinds = (MetricEvent.APPROVAL_REQUESTED, MetricEvent.APPROVAL_ANSWERED, MetricEvent.APPROVAL_CLOSED)
    events = [e for e in entries if e.get("event") in kinds]
    out: dict[str, list[Point]] = {}
    pending: dict[str, set[str]] = {}
    for e in sorted(events, key=_time):
        salon = _labels(e).get("salon_id", "")
        approval_id = str(e.get("approval_id") or "")
        if not approval_id:
            raise ValueError(f"{e.get('event')} entry without approval_id")
        open_ids = pending.setdefault(salon, set())
        if e.get("event") == MetricEvent.APPROVAL_REQUESTED:
            open_ids.add(approval_id)
        else:
            open_ids.discard(approval_id)
        out.setdefault(salon, []).append((_time(e), float(len(open_ids))))
    return out


def intervals(rule: Rule, series: Mapping[str, list[Point]], until: datetime) -> list[Interval]:
    """Firing intervals of `rule` over step series that hold each value until the next point."""
    holds: Callable[[float], bool] = (
        (lambda v: v > rule.threshold) if rule.above else (lambda v: v < rule.threshold))
    out: list[Interval] = []
    for key, points in sorted(series.items()):
        since: datetime | None = None  # condition true since
        fired: datetime | None = None
        for i, (t, v) in enumerate(points):
            if t > until:
                break
            nxt = points[i + 1][0] if i + 1 < len(points) and points[i + 1][0] <= until else until
            if holds(v):
                since = since or t
                # Held for the whole duration: a value that stops exactly when the duration is up never fired.
                held = since + rule.duration <= nxt if not rule.duration else since + rule.duration < nxt
                if fired is None and held:
                    fired = since + rule.duration
            else:
                if fired is not None:
                    out.append(Interval(rule.name, key, fired, t))
                since, fired = None, None
        if fired is not None:
            out.append(Interval(rule.name, key, fired, None))
    return out


def evaluate(entries: Iterable[Mapping[str, Any]], until: datetime,
             rules: Iterable[Rule] = RULES) -> list[Interval]:
    recorded = list(entries)
    out: list[Interval] = []
    for rule in rules:
        if rule.name == "high_failure_rate":
            series = success_rate_series(recorded, rule.window)
        elif rule.name == "circuit_breaker_open":
            series = breaker_series(recorded)
        elif rule.name == "approval_backlog":
            series = pending_approvals_series(recorded)
        else:
            raise ValueError(f"unknown alert rule {rule.name!r}")
        out.extend(intervals(rule, series, until))
    return out
