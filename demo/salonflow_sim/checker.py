"""An independent check of every message a policy sent against the spec's rules -- not the code under test.

- consent: a proactive message needs the customer's opt-in for its channel and category at the moment it goes
  out (the month's starting consent, less every STOP the customer sent before it);
- quiet hours (salon-local): service messages and calls inside the service window (default 08:00-21:00),
  marketing inside the promotional one (default 10:00-20:00);
- per customer: at most 1 proactive contact in any rolling 60 minutes and 3 in any rolling 24 hours;
- per salon: at most 20 proactive contacts in any rolling hour and 100 in any rolling 24 hours, or the salon's
  own budget if it set one.
Answers to a customer's own message ("you're booked", "slot taken") are not proactive and are not capped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from salonflow.domain.salon import Salon

from salonflow_sim.ledger import SentMessage

HOUR, DAY = timedelta(hours=1), timedelta(hours=24)


@dataclass(frozen=True)
class Rules:
    zone: ZoneInfo
    service_window: tuple[time, time] = (time(8), time(21))
    marketing_window: tuple[time, time] = (time(10), time(20))
    customer_hourly: int = 1
    customer_daily: int = 3
    salon_hourly: int = 20
    salon_daily: int = 100

    @classmethod
    def for_salon(cls, salon: Salon) -> Rules:
        quiet, limits = salon.quiet_hours, salon.rate_limits
        return cls(
            zone=salon.zone,
            service_window=(quiet.service.allowed_from, quiet.service.allowed_until),
            marketing_window=(quiet.promotional.allowed_from, quiet.promotional.allowed_until),
            customer_hourly=min(1, limits.per_customer_hourly if limits.per_customer_hourly is not None else 1),
            customer_daily=min(3, limits.per_customer_daily if limits.per_customer_daily is not None else 3),
            salon_hourly=limits.hourly_actions if limits.hourly_actions is not None else 20,
            salon_daily=limits.daily_actions if limits.daily_actions is not None else 100,
        )

    def window(self, category: str) -> tuple[time, time]:
        return self.marketing_window if category == "marketing" else self.service_window


@dataclass
class Violations:
    consent: int = 0
    quiet_hours: int = 0
    customer_caps: int = 0
    salon_caps: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.consent + self.quiet_hours + self.customer_caps + self.salon_caps

    def note(self, kind: str, message: SentMessage) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {message.intent} to {message.customer_id} at {message.at.isoformat()}")


ConsentAt = Callable[[str, str, str, datetime], bool]  # (customer, channel, category, at) -> opted in


def check(messages: Iterable[SentMessage], consent_at: ConsentAt, rules: Rules) -> Violations:
    found = Violations()
    proactive = sorted((m for m in messages if m.proactive), key=lambda m: m.at)
    per_customer: dict[str, list[datetime]] = {}
    salon: list[datetime] = []
    for message in proactive:
        if not consent_at(message.customer_id, message.channel, message.category, message.at):
            found.note("consent", message)
        start, end = rules.window(message.category)
        if not start <= message.at.astimezone(rules.zone).time() < end:
            found.note("quiet_hours", message)
        mine = per_customer.setdefault(message.customer_id, [])
        if _within(mine, message.at, HOUR) >= rules.customer_hourly or \
                _within(mine, message.at, DAY) >= rules.customer_daily:
            found.note("customer_caps", message)
        if _within(salon, message.at, HOUR) >= rules.salon_hourly or _within(salon, message.at, DAY) >= rules.salon_daily:
            found.note("salon_caps", message)
        mine.append(message.at)
        salon.append(message.at)
    return found


def _within(stamps: list[datetime], now: datetime, span: timedelta) -> int:
    """How many earlier stamps fall in the rolling window (now - span, now] (stamps are in time order)."""
    count = 0
    for at in reversed(stamps):
        if at <= now - span:
            break
        count += 1
    return count


def consent_ledger(initial: Callable[[str, str, str], bool], opt_outs: dict[str, datetime]) -> ConsentAt:
    """Consent at a moment: the month's starting consent, until the customer's STOP (which silences WhatsApp)."""
    def at(customer_id: str, channel: str, category: str, moment: datetime) -> bool:
        stopped = opt_outs.get(customer_id)
        if channel == "whatsapp" and stopped is not None and stopped <= moment:
            return False
        return initial(customer_id, channel, category)
    return at
