"""Rate limits, as pure arithmetic over the rolling windows the store reads in a transaction.

Three budgets, each checked before an action and reserved with it:
  salon:     every agent of the salon together -- the spec's ``hourly_actions: 20`` / ``daily_actions: 100``
             ("rate limits applied per salon"), overridden by the salon document's ``rate_limits``.
  agent:     each agent's share inside the salon budget: ``agent_states.config.max_hourly_actions`` /
             ``max_daily_actions``, defaulting to what fits the agent's job (``AGENT_DEFAULT_LIMITS``).
             An agent can never take more than the salon budget leaves, whatever its own limit says.
  customer:  per customer across all agents, salon ``rate_limits.per_customer_*``, never looser than the
             spec (1/hour, 3/day): these protect the customer, not the salon.

Windows: all *rolling* -- the last 60 minutes and the last 24 hours before the action. A fixed clock hour
would let 20 actions land at 10:59 and 20 more at 11:00; the spec's "20 per hour" reads as "no more than 20
in any hour", which only a rolling window guarantees. The same holds for the day: the salon's quiet hours
usually keep midnight quiet, but a salon without them would otherwise get 200 actions around it.

Each budget is one document holding the stamps (reservation id, time) of the last 24 hours: reservation is
idempotent (the same id never counts twice), release is idempotent (an id not held changes nothing), and
the counts are exact under concurrency with a plain transaction. The salon document takes one write per
allowed action (at most ``daily_actions`` a day; refused attempts only read), far below Firestore's
~1 sustained write/s per document; ``MAX_SALON_DAILY_ACTIONS`` bounds its size well under 1 MiB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from salonflow.domain.agent_state import AGENT_DEFAULT_LIMITS
from salonflow.governance.clock import require_aware

DEFAULT_HOURLY_ACTIONS = 20
DEFAULT_DAILY_ACTIONS = 100
SPEC_PER_CUSTOMER_HOURLY = 1
SPEC_PER_CUSTOMER_DAILY = 3
HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)
# A salon budget's document holds a day of stamps (~60 bytes each): 5,000 keeps it near 300 KB.
MAX_SALON_HOURLY_ACTIONS = 1_000
MAX_SALON_DAILY_ACTIONS = 5_000

CUSTOMER_HOUR = HOUR
CUSTOMER_DAY = DAY


@dataclass(frozen=True)
class Limits:
    hourly_actions: int = DEFAULT_HOURLY_ACTIONS  # the agent's own
    daily_actions: int = DEFAULT_DAILY_ACTIONS
    per_customer_hourly: int = SPEC_PER_CUSTOMER_HOURLY
    per_customer_daily: int = SPEC_PER_CUSTOMER_DAILY
    salon_hourly_actions: int = DEFAULT_HOURLY_ACTIONS  # across every agent of the salon
    salon_daily_actions: int = DEFAULT_DAILY_ACTIONS


def agent_default_limits(agent_name: str | None) -> tuple[int, int]:
    return AGENT_DEFAULT_LIMITS.get(agent_name or "", (DEFAULT_HOURLY_ACTIONS, DEFAULT_DAILY_ACTIONS))


def resolve_limits(
    agent_config: Mapping[str, object] | None = None,
    salon_rate_limits: Mapping[str, object] | None = None,
    agent_name: str | None = None,
) -> Limits:
    """Limits for one agent of one salon.

    ``agent_config`` is ``agent_states.config``; ``salon_rate_limits`` the salon document's
    ``rate_limits`` overrides. A limit of 0 is valid and blocks that scope entirely.
    """
    config = agent_config or {}
    salon = salon_rate_limits or {}
    default_hourly, default_daily = agent_default_limits(agent_name)
    customer_hourly = _count(salon.get("per_customer_hourly"))
    customer_daily = _count(salon.get("per_customer_daily"))
    return Limits(
        hourly_actions=_or(_count(config.get("max_hourly_actions")), default_hourly),
        daily_actions=_or(_count(config.get("max_daily_actions")), default_daily),
        per_customer_hourly=min(_or(customer_hourly, SPEC_PER_CUSTOMER_HOURLY), SPEC_PER_CUSTOMER_HOURLY),
        per_customer_daily=min(_or(customer_daily, SPEC_PER_CUSTOMER_DAILY), SPEC_PER_CUSTOMER_DAILY),
        salon_hourly_actions=min(_or(_count(salon.get("hourly_actions")), DEFAULT_HOURLY_ACTIONS),
                                 MAX_SALON_HOURLY_ACTIONS),
        salon_daily_actions=min(_or(_count(salon.get("daily_actions")), DEFAULT_DAILY_ACTIONS),
                                MAX_SALON_DAILY_ACTIONS),
    )


@dataclass(frozen=True)
class Stamp:
    reservation_id: str
    at: datetime


@dataclass(frozen=True)
class RollingWindow:
    """The reservations one budget holds, as stamps of the last 24 hours."""

    stamps: tuple[Stamp, ...] = field(default_factory=tuple)

    def pruned(self, now: datetime) -> RollingWindow:
        return RollingWindow(tuple(s for s in self.stamps if s.at > now - DAY))

    def holds(self, reservation_id: str) -> bool:
        return any(s.reservation_id == reservation_id for s in self.stamps)

    def count_within(self, now: datetime, span: timedelta) -> int:
        return sum(1 for s in self.stamps if s.at > now - span)

    def with_stamp(self, stamp: Stamp, now: datetime) -> RollingWindow:
        return RollingWindow((*self.pruned(now).stamps, stamp))

    def without(self, reservation_id: str) -> RollingWindow:
        return RollingWindow(tuple(s for s in self.stamps if s.reservation_id != reservation_id))

    def hit(self, now: datetime, span: timedelta, limit: int, reason: str) -> LimitHit | None:
        """The limit reached in the ``span`` before ``now``, with the instant one more would fit."""
        recent = sorted(s.at for s in self.stamps if s.at > now - span)
        if len(recent) < limit:
            return None
        if limit == 0:
            return LimitHit(reason, now + span)  # nothing ever fits; look again a window later
        # The (len - limit + 1)-th oldest stamp has to age out before one more fits.
        return LimitHit(reason, recent[len(recent) - limit] + span)


@dataclass(frozen=True)
class Budget:
    """One budget as read from its document (missing document = nothing reserved)."""

    scope: str  # "agent" | "salon": names the limit in a LimitHit
    owner: str  # whose budget: the agent's name, or the salon marker
    hourly_limit: int
    daily_limit: int
    window: RollingWindow = field(default_factory=RollingWindow)

    def current(self, now: datetime, span: timedelta) -> int:
        return self.window.count_within(now, span)

    def remaining(self, now: datetime, span: timedelta) -> int:
        limit = self.hourly_limit if span == HOUR else self.daily_limit
        return max(limit - self.current(now, span), 0)


@dataclass(frozen=True)
class LimitHit:
    reason: str  # e.g. "salon_hourly_limit", "agent_daily_limit", "customer_daily_limit"
    until: datetime  # earliest instant the action could fit again


def check_budgets(budgets: Sequence[Budget], now: datetime, reservation_id: str) -> LimitHit | None:
    """None if one more reservation fits in every budget (or this one is already held)."""
    require_aware(now)
    hits = [
        hit
        for budget in budgets
        if not budget.window.holds(reservation_id)
        for hit in (
            budget.window.hit(now, HOUR, budget.hourly_limit, f"{budget.scope}_hourly_limit"),
            budget.window.hit(now, DAY, budget.daily_limit, f"{budget.scope}_daily_limit"),
        )
        if hit is not None
    ]
    # The binding constraint is the one that frees up last.
    return max(hits, key=lambda h: h.until) if hits else None


def check_customer_window(window: RollingWindow, now: datetime, limits: Limits,
                          reservation_id: str) -> LimitHit | None:
    require_aware(now)
    if window.holds(reservation_id):
        return None
    hits = [hit for hit in (
        window.hit(now, CUSTOMER_HOUR, limits.per_customer_hourly, "customer_hourly_limit"),
        window.hit(now, CUSTOMER_DAY, limits.per_customer_daily, "customer_daily_limit"),
    ) if hit is not None]
    return max(hits, key=lambda h: h.until) if hits else None


def rate_limits_view(agent: Budget, salon: Budget, now: datetime) -> dict[str, dict[str, int]]:
    """The spec's ``agent_states.rate_limits`` map, as the agent can use it now: its limit is its own cap
    bounded by the salon budget, ``current`` what it reserved itself in the rolling window, ``remaining``
    what is left of the smaller of the two."""
    view: dict[str, dict[str, int]] = {}
    for name, span in (("hourly_actions", HOUR), ("daily_actions", DAY)):
        own = agent.hourly_limit if span == HOUR else agent.daily_limit
        shared = salon.hourly_limit if span == HOUR else salon.daily_limit
        view[name] = {
            "limit": min(own, shared),
            "current": agent.current(now, span),
            "remaining": min(agent.remaining(now, span), salon.remaining(now, span)),
            "salon_limit": shared,
            "salon_current": salon.current(now, span),
        }
    return view


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value >= 0 else None


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
