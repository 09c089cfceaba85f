"""Rate limits, as pure arithmetic over counter documents the store reads in a transaction.

Limits (spec defaults): per salon+agent 20 actions/hour and 100/day; per customer across
all agents 1 outreach/hour and 3/day. Optional salon-wide caps across agents.

Where each number comes from:
  per agent:       ``agent_states.config.max_hourly_actions`` / ``max_daily_actions`` (default 20/100).
  salon-wide:      the salon document's ``rate_limits.hourly_actions`` / ``daily_actions``: a cap
                   across all agents, enforced only when the salon set it.
  per customer:    salon ``rate_limits.per_customer_*``, but never looser than the spec
                   (1/hour, 3/day): these protect the customer, not the salon.

Windows
  agent/salon: fixed windows in the salon's timezone -- the local clock hour and the local
  calendar day -- one counter document per window, so the count starts from zero each
  window and old documents are simply left behind (a TTL field expires them).
  customer: a *sliding* window (last 60 min / last 24 h) kept as a short list of
  timestamps in one document per customer. Sliding means two messages cannot land at
  10:59 and 11:00; a customer sees at most 3 messages in any 24 hours.

Why no sharding: a capped counter receives at most ``limit`` increments per window
(20/hour), because rejected attempts only read. That is far below Firestore's ~1
sustained write/s per document, so one document per window keeps the count exact
with a plain transaction. Quota sharding (limit split over N shard documents) would
only be needed for limits of thousands per hour; it trades exactness of "remaining"
for throughput and is not worth it here.

Each counter keeps the ids of the reservations it holds, which makes reservation
idempotent (the same reservation id never counts twice) and release idempotent
(releasing an id that is not held changes nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from salonflow.governance.clock import require_aware

DEFAULT_HOURLY_ACTIONS = 20
DEFAULT_DAILY_ACTIONS = 100
SPEC_PER_CUSTOMER_HOURLY = 1
SPEC_PER_CUSTOMER_DAILY = 3
CUSTOMER_HOUR = timedelta(hours=1)
CUSTOMER_DAY = timedelta(hours=24)


@dataclass(frozen=True)
class Limits:
    hourly_actions: int = DEFAULT_HOURLY_ACTIONS
    daily_actions: int = DEFAULT_DAILY_ACTIONS
    per_customer_hourly: int = SPEC_PER_CUSTOMER_HOURLY
    per_customer_daily: int = SPEC_PER_CUSTOMER_DAILY
    salon_hourly_actions: int | None = None  # cap across all agents of the salon, if configured
    salon_daily_actions: int | None = None


def resolve_limits(
    agent_config: Mapping[str, object] | None = None,
    salon_rate_limits: Mapping[str, object] | None = None,
) -> Limits:
    """Limits for one agent of one salon.

    ``agent_config`` is ``agent_states.config``; ``salon_rate_limits`` the salon document's
    ``rate_limits`` overrides. A limit of 0 is valid and blocks that scope entirely.
    """
    config = agent_config or {}
    salon = salon_rate_limits or {}
    customer_hourly = _count(salon.get("per_customer_hourly"))
    customer_daily = _count(salon.get("per_customer_daily"))
    return Limits(
        hourly_actions=_or(_count(config.get("max_hourly_actions")), DEFAULT_HOURLY_ACTIONS),
        daily_actions=_or(_count(config.get("max_daily_actions")), DEFAULT_DAILY_ACTIONS),
        per_customer_hourly=min(_or(customer_hourly, SPEC_PER_CUSTOMER_HOURLY), SPEC_PER_CUSTOMER_HOURLY),
        per_customer_daily=min(_or(customer_daily, SPEC_PER_CUSTOMER_DAILY), SPEC_PER_CUSTOMER_DAILY),
        salon_hourly_actions=_count(salon.get("hourly_actions")),
        salon_daily_actions=_count(salon.get("daily_actions")),
    )


@dataclass(frozen=True)
class Period:
    """One fixed window of the salon's local clock."""

    kind: str  # "hour" | "day"
    key: str  # stable, DST-unique id of the window, e.g. "2024-01-15T14+0530" or "2024-01-15"
    starts_at: datetime  # UTC
    resets_at: datetime  # UTC, exclusive end


def hour_period(now: datetime, timezone: str) -> Period:
    require_aware(now)
    local = now.astimezone(ZoneInfo(timezone))
    start_local = local.replace(minute=0, second=0, microsecond=0)
    start = start_local.astimezone(UTC)
    # The offset is part of the key so the repeated 01:00 hour of a DST fall-back gets its own window.
    key = start_local.strftime("%Y-%m-%dT%H") + start_local.strftime("%z")
    return Period("hour", key, start, start + timedelta(hours=1))


def day_period(now: datetime, timezone: str) -> Period:
    require_aware(now)
    zone = ZoneInfo(timezone)
    local_day = now.astimezone(zone).date()
    start = datetime.combine(local_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return Period("day", local_day.isoformat(), start, end)


@dataclass(frozen=True)
class Counter:
    """A fixed-window counter as read from its document (missing document = empty)."""

    scope: str  # "agent" | "salon": names the limit in a LimitHit
    period: Period
    limit: int
    reservation_ids: tuple[str, ...] = ()
    owner: str = ""  # whose counter: the agent's name, or the salon-wide marker

    @property
    def count(self) -> int:
        return len(self.reservation_ids)

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)


@dataclass(frozen=True)
class LimitHit:
    reason: str  # e.g. "agent_hourly_limit", "customer_daily_limit"
    until: datetime  # earliest instant the action could fit again


def check_counters(counters: Sequence[Counter], reservation_id: str) -> LimitHit | None:
    """None if one more reservation fits in every counter (or this one is already held)."""
    hits = [
        LimitHit(f"{c.scope}_{'hourly' if c.period.kind == 'hour' else 'daily'}_limit", c.period.resets_at)
        for c in counters
        if reservation_id not in c.reservation_ids and c.count >= c.limit
    ]
    # The binding constraint is the one that frees up last.
    return max(hits, key=lambda h: h.until) if hits else None


@dataclass(frozen=True)
class CustomerSend:
    reservation_id: str
    at: datetime


@dataclass(frozen=True)
class CustomerWindow:
    sends: tuple[CustomerSend, ...] = field(default_factory=tuple)

    def pruned(self, now: datetime) -> CustomerWindow:
        return CustomerWindow(tuple(s for s in self.sends if s.at > now - CUSTOMER_DAY))

    def holds(self, reservation_id: str) -> bool:
        return any(s.reservation_id == reservation_id for s in self.sends)


def check_customer_window(window: CustomerWindow, now: datetime, limits: Limits,
                          reservation_id: str) -> LimitHit | None:
    require_aware(now)
    if window.holds(reservation_id):
        return None
    hits: list[LimitHit] = []
    for span, limit, reason in (
        (CUSTOMER_HOUR, limits.per_customer_hourly, "customer_hourly_limit"),
        (CUSTOMER_DAY, limits.per_customer_daily, "customer_daily_limit"),
    ):
        recent = sorted(s.at for s in window.sends if s.at > now - span)
        if len(recent) >= limit:
            # The (len - limit + 1)-th oldest send has to age out before one more fits.
            hits.append(LimitHit(reason, recent[len(recent) - limit] + span))
    return max(hits, key=lambda h: h.until) if hits else None


def rate_limits_view(hourly: Counter, daily: Counter) -> dict[str, dict[str, int]]:
    """The spec's ``agent_states.rate_limits`` map."""
    return {
        "hourly_actions": {"limit": hourly.limit, "current": hourly.count, "remaining": hourly.remaining},
        "daily_actions": {"limit": daily.limit, "current": daily.count, "remaining": daily.remaining},
    }


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value >= 0 else None


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
