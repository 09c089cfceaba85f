"""Circuit breaker per salon + agent, as a pure state machine over the spec's fields.

State lives in ``agent_states/{agent}.circuit_breaker`` with exactly the spec's keys
(state, error_count, last_error, last_error_time, cooldown_until, auto_recovery), so every
function instance sees the same breaker; the store applies these transitions inside
Firestore transactions.

Why not pybreaker
-----------------
pybreaker's ``CircuitBreakerStorage`` (memory / Redis) exposes separate get/set calls
for ``state``, ``counter`` (increment/reset) and ``opened_at``. Across instances that is
not enough: nothing makes "increment and maybe open" atomic, the half-open trial is
decided locally by each process from ``opened_at`` (so N instances send N trial calls,
not one), and it reads the wall clock itself (``datetime.utcnow``), which our tests and
policies inject. A Firestore storage for it would need a transaction per property access
and still could not hand out a single trial permit. So we keep pybreaker's semantics
(fail_max consecutive failures -> open; reset_timeout -> one trial; success closes,
failure re-opens; excluded exceptions don't count) and implement them as pure
transitions the store runs in one transaction each. No extra dependency.

Trial permit: when the cooldown has passed, the first caller moves open -> half_open and
receives the only permit; ``cooldown_until`` then doubles as the permit's lease, so if
that caller dies without reporting, another trial is granted when the lease runs out.

What counts: only infrastructure failures (provider 5xx, timeouts, connection errors).
Per-recipient results (opted out, invalid number, outside the WhatsApp window) are
``CallOutcome.NOT_COUNTED`` -- the adapters' ``Outcome.counts_for_breaker`` says which.

Writes: the store writes only on a transition or an error_count change; a success on a
healthy breaker costs nothing (see ``on_success``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from salonflow.governance.clock import require_aware


class BreakerStateName(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CallOutcome(enum.StrEnum):
    SUCCESS = "success"
    INFRASTRUCTURE_FAILURE = "infrastructure_failure"
    NOT_COUNTED = "not_counted"  # per-recipient or business errors


def outcome_for(*, succeeded: bool, counts_for_breaker: bool) -> CallOutcome:
    if counts_for_breaker:
        return CallOutcome.INFRASTRUCTURE_FAILURE
    return CallOutcome.SUCCESS if succeeded else CallOutcome.NOT_COUNTED


def is_infrastructure_failure(*, http_status: int | None = None, timeout: bool = False,
                              connection_error: bool = False) -> bool:
    return timeout or connection_error or (http_status is not None and http_status >= 500)


@dataclass(frozen=True)
class BreakerConfig:
    """The spec's CIRCUIT_BREAKER_CONFIG."""

    error_threshold: int = 5
    cooldown_minutes: float = 5
    half_open_attempts: int = 1
    auto_recovery: bool = True

    def __post_init__(self) -> None:
        if self.error_threshold < 1:
            raise ValueError("error_threshold must be >= 1")
        if self.half_open_attempts != 1:
            # One permit per lease is what the spec asks for and what the persisted fields can express.
            raise ValueError("only half_open_attempts=1 is supported")

    @property
    def cooldown(self) -> timedelta:
        return timedelta(minutes=self.cooldown_minutes)


@dataclass(frozen=True)
class BreakerState:
    state: BreakerStateName = BreakerStateName.CLOSED
    error_count: int = 0
    last_error: str | None = None
    last_error_time: datetime | None = None
    cooldown_until: datetime | None = None
    auto_recovery: bool = True

    def to_firestore(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "error_count": self.error_count,
            "last_error": self.last_error,
            "last_error_time": self.last_error_time,
            "cooldown_until": self.cooldown_until,
            "auto_recovery": self.auto_recovery,
        }

    @classmethod
    def from_firestore(cls, raw: object, default_auto_recovery: bool = True) -> BreakerState:
        if not isinstance(raw, Mapping):
            return cls(auto_recovery=default_auto_recovery)
        try:
            state = BreakerStateName(str(raw.get("state", "closed")))
        except ValueError:
            state = BreakerStateName.OPEN  # unreadable state: fail safe, let the cooldown decide
        last_error_time = raw.get("last_error_time")
        cooldown_until = raw.get("cooldown_until")
        return cls(
            state=state,
            error_count=int(raw.get("error_count") or 0),
            last_error=str(raw["last_error"]) if raw.get("last_error") is not None else None,
            last_error_time=last_error_time if isinstance(last_error_time, datetime) else None,
            cooldown_until=cooldown_until if isinstance(cooldown_until, datetime) else None,
            auto_recovery=bool(raw.get("auto_recovery", default_auto_recovery)),
        )


@dataclass(frozen=True)
class Admission:
    allowed: bool
    trial: bool = False  # this call is the half-open trial
    retry_at: datetime | None = None  # when refused: when asking again makes sense
    new_state: BreakerState | None = None  # write this (a transition happened), else nothing


def admit(state: BreakerState, now: datetime, config: BreakerConfig) -> Admission:
    require_aware(now)
    if state.state is BreakerStateName.CLOSED:
        return Admission(True)
    cooldown_over = state.cooldown_until is None or now >= state.cooldown_until
    if state.state is BreakerStateName.OPEN and not state.auto_recovery:
        return Admission(False, retry_at=None)
    if cooldown_over:
        lease = replace(state, state=BreakerStateName.HALF_OPEN, cooldown_until=now + config.cooldown)
        return Admission(True, trial=True, new_state=lease)
    return Admission(False, retry_at=state.cooldown_until)


def on_success(state: BreakerState, now: datetime) -> BreakerState | None:
    """The state to write after a success, or None when nothing changes (no write)."""
    require_aware(now)
    if state.state is BreakerStateName.HALF_OPEN:
        return replace(state, state=BreakerStateName.CLOSED, error_count=0, cooldown_until=None)
    if state.state is BreakerStateName.CLOSED and state.error_count:
        return replace(state, error_count=0)
    # Closed and healthy: nothing to write. Open: a late success of a call started
    # before the breaker opened proves nothing; only the trial may close it.
    return None


def on_failure(state: BreakerState, now: datetime, error: str, config: BreakerConfig) -> BreakerState | None:
    """The state to write after an infrastructure failure, or None (no write)."""
    require_aware(now)
    if state.state is BreakerStateName.OPEN:
        return None  # in-flight calls failing after the trip change nothing
    failed = replace(state, error_count=state.error_count + 1, last_error=error, last_error_time=now)
    if state.state is BreakerStateName.HALF_OPEN or failed.error_count >= config.error_threshold:
        return replace(failed, state=BreakerStateName.OPEN, cooldown_until=now + config.cooldown)
    return failed


def apply_outcome(state: BreakerState, outcome: CallOutcome, now: datetime, config: BreakerConfig,
                  error: str | None = None) -> BreakerState | None:
    if outcome is CallOutcome.SUCCESS:
        return on_success(state, now)
    if outcome is CallOutcome.INFRASTRUCTURE_FAILURE:
        return on_failure(state, now, error or "infrastructure_failure", config)
    return None


def manual_reset(state: BreakerState) -> BreakerState:
    return replace(state, state=BreakerStateName.CLOSED, error_count=0, cooldown_until=None)


def agent_status_after(current_status: str | None, breaker: BreakerState) -> str | None:
    """The agent_states.status to write alongside a breaker transition, or None to leave it.

    A paused agent stays paused; only the status the breaker itself set is undone.
    """
    if breaker.state is BreakerStateName.CLOSED:
        return "active" if current_status == "circuit_breaker" else None
    if current_status in (None, "active", "error"):
        return "circuit_breaker"
    return None


def breaker_config_for(agent_config: Mapping[str, object] | None, base: BreakerConfig) -> BreakerConfig:
    """The breaker config of one agent: ``agent_states.config.cooldown_minutes`` sets its cooldown."""
    cooldown = (agent_config or {}).get("cooldown_minutes")
    if isinstance(cooldown, int | float) and not isinstance(cooldown, bool) and cooldown > 0:
        return replace(base, cooldown_minutes=float(cooldown))
    return base
