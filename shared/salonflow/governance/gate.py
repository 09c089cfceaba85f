"""The gate every agent action passes through, as one pure function.

``evaluate`` takes everything the Firestore gate read inside its transaction and answers
``Allowed`` / ``Deferred`` / ``Suppressed``. Checks run in this order, first answer wins:

1. duplicate    the outreach with this deterministic id already exists -> Suppressed("duplicate")
2. consent      no opt-in for (channel, category)                      -> Suppressed("no_consent:...")
3. paused      salon outreach paused (carrier filtering)               -> Deferred(None, "salon_outreach_paused")
                agent paused                                            -> Deferred(None, "agent_paused")
4. breaker      open / trial already out                                -> Deferred(cooldown end)
5. quiet hours  outside the category's window (salon timezone)          -> Deferred(next window opening)
6. limits       salon budget, agent budget, the customer's window (all rolling) -> Deferred(when one fits)

Suppressed is permanent for this action (record it, don't retry); Deferred is "not now":
re-run the same action at ``until`` (e.g. a Cloud Task with that schedule time). A deferred
action has consumed no budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from salonflow.governance.circuit_breaker import BreakerConfig, BreakerState, admit
from salonflow.governance.clock import require_aware
from salonflow.governance.consent import ConsentState
from salonflow.governance.quiet_hours import QuietHours, next_allowed_time
from salonflow.governance.rate_limits import (
    Budget,
    LimitHit,
    Limits,
    RollingWindow,
    check_budgets,
    check_customer_window,
)
from salonflow.governance.types import Channel, MessageCategory


@dataclass(frozen=True)
class GovernanceSettings:
    """The salon's governance knobs, as stored on the salon document (``domain.salon.Salon``)."""

    timezone: str = "Asia/Kolkata"
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    rate_limits: Mapping[str, object] = field(default_factory=dict)  # salon ``rate_limits`` overrides
    autonomy: Mapping[str, str] = field(default_factory=dict)  # salon ``autonomy`` levels
    outreach_paused: bool = False  # ``outreach_paused_at`` set (carrier filtering): a person must resume
    breaker: BreakerConfig = field(default_factory=BreakerConfig)

    @classmethod
    def from_salon_document(cls, data: Mapping[str, object] | None) -> GovernanceSettings:
        """Reads ``timezone``, ``quiet_hours``, ``rate_limits``, ``autonomy``, ``outreach_paused_at``."""
        data = data or {}
        timezone = str(data.get("timezone") or "Asia/Kolkata")
        quiet = data.get("quiet_hours")
        limits = data.get("rate_limits")
        levels = data.get("autonomy")
        return cls(
            timezone=timezone,
            quiet_hours=QuietHours.from_settings(timezone, quiet if isinstance(quiet, Mapping) else None),
            rate_limits={k: v for k, v in limits.items() if v is not None} if isinstance(limits, Mapping) else {},
            autonomy={str(k): str(v) for k, v in levels.items()} if isinstance(levels, Mapping) else {},
            outreach_paused=data.get("outreach_paused_at") is not None,
        )


@dataclass(frozen=True)
class Contact:
    """Who an action reaches, and how; ``None`` for actions that contact nobody."""

    customer_id: str
    channel: Channel
    category: MessageCategory
    outreach_id: str  # deterministic, from ``outreach_lifecycle.outreach_id``


@dataclass(frozen=True)
class Reservation:
    """Budget held for one action; hand it back with ``Governor.release`` if nothing was sent."""

    reservation_id: str
    salon_id: str
    agent_name: str
    budget_doc_ids: tuple[str, ...]
    customer_id: str | None


@dataclass(frozen=True)
class Allowed:
    reservation: Reservation
    outreach_id: str | None
    breaker_trial: bool = False  # this is the half-open trial: report its outcome promptly


@dataclass(frozen=True)
class Deferred:
    until: datetime | None  # None: only a person can unblock it (breaker without auto-recovery)
    reason: str


@dataclass(frozen=True)
class Suppressed:
    reason: str
    outreach_id: str | None = None


GateResult = Allowed | Deferred | Suppressed


@dataclass(frozen=True)
class GateInputs:
    now: datetime
    settings: GovernanceSettings
    limits: Limits
    agent_status: str | None
    breaker: BreakerState
    budgets: tuple[Budget, ...]
    reservation_id: str
    contact: Contact | None = None
    consent: ConsentState | None = None
    customer_window: RollingWindow | None = None
    outreach_exists: bool = False
    breaker_config: BreakerConfig | None = None  # the agent's own (cooldown_minutes from its config)


@dataclass(frozen=True)
class GateWrites:
    """What the store must write when the answer is Allowed."""

    breaker: BreakerState | None = None  # a half-open transition


def evaluate(inputs: GateInputs) -> tuple[GateResult | None, GateWrites]:
    """The verdict, or ``None`` meaning "allowed" (the store then builds the reservation)."""
    now = require_aware(inputs.now)
    contact = inputs.contact
    if contact is not None:
        if inputs.outreach_exists:
            return Suppressed("duplicate", contact.outreach_id), GateWrites()
        if inputs.consent is None or not inputs.consent.allows(contact.channel, contact.category):
            return Suppressed(f"no_consent:{contact.channel.value}:{contact.category.value}"), GateWrites()

    if contact is not None and inputs.settings.outreach_paused:
        return Deferred(None, "salon_outreach_paused"), GateWrites()
    if inputs.agent_status == "paused":
        return Deferred(None, "agent_paused"), GateWrites()

    admission = admit(inputs.breaker, now, inputs.breaker_config or inputs.settings.breaker)
    if not admission.allowed:
        return Deferred(admission.retry_at, "circuit_open"), GateWrites()

    if contact is not None:
        opens = next_allowed_time(now, contact.category, inputs.settings.quiet_hours)
        if opens != now:
            return Deferred(opens, f"quiet_hours:{contact.category.value}"), GateWrites()

    hit: LimitHit | None = check_budgets(inputs.budgets, now, inputs.reservation_id)
    if hit is None and contact is not None:
        hit = check_customer_window(inputs.customer_window or RollingWindow(), now, inputs.limits,
                                    inputs.reservation_id)
    if hit is not None:
        return Deferred(hit.until, hit.reason), GateWrites()

    return None, GateWrites(breaker=admission.new_state)
