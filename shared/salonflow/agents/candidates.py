"""Who could take an open slot, and how likely each would say yes.

Three kinds of candidate (the spec's): waitlist entries that fit the slot, regulars who are due by their own visit
interval, and customers with a later booking of a fitting service who could move up (which frees their later
slot for someone else). Each gets P(accept) from `customer_scores` and a value; expected value = P x value.

P(accept) is a transparent product of factors rather than a fitted model: salons start with no outcome data, and an
owner has to be able to read why someone was chosen. Every factor that moved the number is named in the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from math import ceil
from zoneinfo import ZoneInfo

from salonflow.agents.snapshot import (
    CustomerView,
    GapView,
    Interval,
    SalonSnapshot,
    ScoreView,
    ServiceView,
    WaitlistView,
)
from salonflow.domain.enums import CustomerSegment, MessageCategory, WaitlistStatus


class Source(StrEnum):
    WAITLIST = "waitlist"
    DUE_REGULAR = "due_regular"
    MOVE_UP = "move_up"


BASE_PROBABILITY = {Source.WAITLIST: 0.5, Source.MOVE_UP: 0.35, Source.DUE_REGULAR: 0.15}
# Moving someone up only earns money if their old slot is sold again; half is a conservative expectation.
MOVE_UP_VALUE_SHARE = 0.5
SEGMENT_FACTOR = {
    CustomerSegment.VIP: 1.15,
    CustomerSegment.HIGH_VALUE: 1.1,
    CustomerSegment.REGULAR: 1.0,
    CustomerSegment.NEW: 0.85,
    CustomerSegment.AT_RISK: 0.75,
}
DUE_FROM, LAPSED_AFTER = 0.8, 3.0  # a regular is "due" from 80% of their usual interval until 3x it


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    source: Source
    service_id: str
    slot: Interval
    probability: float
    value_paise: int
    factors: tuple[str, ...]
    booking_id: str | None = None  # the later booking a move-up would replace
    waitlist_id: str | None = None

    @property
    def expected_value_paise(self) -> float:
        return self.probability * self.value_paise


def time_slot_labels(moment: datetime, zone: ZoneInfo) -> set[str]:
    """The `preferred_time_slots` vocabulary: morning / afternoon / evening and weekday / weekend."""
    local = moment.astimezone(zone)
    part = "morning" if local.hour < 12 else "afternoon" if local.hour < 17 else "evening"
    return {part, "weekend" if local.weekday() >= 5 else "weekday"}


def offered_slot(gap: GapView, service: ServiceView, now: datetime, min_lead_minutes: int) -> Interval | None:
    """The earliest start in the gap a customer could still make (lead time, on a 15-minute grid)."""
    earliest = now + timedelta(minutes=min_lead_minutes)
    start = gap.start
    if start < earliest:
        quarter = 15 * 60
        start = datetime.fromtimestamp(ceil(earliest.timestamp() / quarter) * quarter, tz=gap.start.tzinfo)
    end = start + timedelta(minutes=service.duration_minutes)
    return Interval(start, end) if end <= gap.end else None


def acceptance_probability(
    source: Source,
    score: ScoreView | None,
    staff_id: str,
    staff_name: str,
    slot: Interval,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[float, tuple[str, ...]]:
    p = BASE_PROBABILITY[source]
    factors: list[str] = []
    rate = score.response_rate if score and score.response_rate is not None else 0.5
    p *= 0.4 + 0.8 * rate
    if score and score.response_rate is not None and score.response_rate >= 0.6:
        factors.append(f"answers {round(score.response_rate * 100)}% of our messages")
    if score and score.preferred_staff:
        if staff_id in score.preferred_staff:
            p *= 1.25
            factors.append(f"usually books with {staff_name.split()[0]}")
        else:
            p *= 0.8
    if score and score.preferred_time_slots:
        liked = time_slot_labels(slot.start, zone) & set(score.preferred_time_slots)
        if liked:
            p *= 1.2
            factors.append(f"likes {sorted(liked)[0]} slots")
        else:
            p *= 0.85
    if score and score.average_days_between and score.last_visit:
        days = (slot.start.astimezone(zone).date() - score.last_visit).days
        ratio = days / score.average_days_between
        if ratio < 0.5:
            p *= 0.5
        elif ratio < DUE_FROM:
            p *= 0.8
        elif ratio <= 1.5:
            p *= 1.2
            factors.append(f"last came {days} days ago (usually every {round(score.average_days_between)})")
        elif ratio > LAPSED_AFTER:
            p *= 0.7
    if score:
        p *= SEGMENT_FACTOR.get(score.segment, 1.0)
    if slot.start - now < timedelta(hours=2):
        p *= 0.75  # short notice: fewer people can drop everything
    factors.sort(key=lambda f: not f.startswith("last came"))
    return round(min(max(p, 0.02), 0.95), 3), tuple(factors)


def waitlist_fits(entry: WaitlistView, gap: GapView, slot: Interval, now: datetime) -> bool:
    if entry.status is not WaitlistStatus.WAITING or (entry.expires_at and entry.expires_at <= now):
        return False
    if entry.service_id not in gap.services_fittable:
        return False
    if entry.preferred_staff_ids and gap.staff_id not in entry.preferred_staff_ids:
        return False
    return not entry.windows or any(w.contains(slot) for w in entry.windows)


def contactable(snapshot: SalonSnapshot, customer: CustomerView | None, now: datetime, category: MessageCategory) -> bool:
    """Worth a place in a wave: reachable with consent, not awaiting another answer, under the per-customer caps."""
    if customer is None or not customer.may_contact(category):
        return False
    recent = snapshot.outreach_for(customer.id)
    if any(o.is_live(now) for o in recent):
        return False
    if any(o.created_at > now - timedelta(hours=1) for o in recent):
        return False
    return sum(o.created_at > now - timedelta(hours=24) for o in recent) < 3


# A regular who is merely due, or someone already booked later, did not ask to hear about slots: past a few
# messages from the salon in a week, each further one mostly costs goodwill (and opt-outs, which close the
# channel for good), while the same customer is due for gap after gap. Waitlisted customers asked for offers.
UNSOLICITED_WEEKLY_CAP = 3
UNSOLICITED_WINDOW = timedelta(days=7)


def welcomes_unsolicited_offer(snapshot: SalonSnapshot, customer_id: str, now: datetime) -> bool:
    """Fewer than ``UNSOLICITED_WEEKLY_CAP`` messages of any kind from the salon in the last 7 days.

    The snapshot carries each candidate's outreach of at least that window (`RECENT_OUTREACH`)."""
    since = now - UNSOLICITED_WINDOW
    return sum(o.created_at > since for o in snapshot.outreach_for(customer_id)) < UNSOLICITED_WEEKLY_CAP


def gap_candidates(
    snapshot: SalonSnapshot,
    gap: GapView,
    now: datetime,
    sources: frozenset[Source] = frozenset(Source),
) -> list[Candidate]:
    """Every eligible candidate for one gap, best expected value first."""
    salon = snapshot.salon
    zone = salon.zone
    staff = snapshot.staff.get(gap.staff_id)
    staff_name = staff.name if staff else gap.staff_id
    already_asked = ({o.customer_id for o in snapshot.outreach_about(gap.id)}
                     | {d.customer_id for d in snapshot.decided_about(gap.id) if d.customer_id})
    lead = salon.settings.min_lead_minutes
    found: dict[str, Candidate] = {}

    def consider(customer_id: str, source: Source, service_id: str, value_paise: int, **extra: str) -> None:
        service = snapshot.services.get(service_id)
        if service is None or service_id not in gap.services_fittable or customer_id in already_asked:
            return
        slot = offered_slot(gap, service, now, lead)
        if slot is None:
            return
        customer = snapshot.customers.get(customer_id)
        if not contactable(snapshot, customer, now, MessageCategory.SERVICE):
            return
        if source is not Source.WAITLIST and not welcomes_unsolicited_offer(snapshot, customer_id, now):
            return
        if any(b.interval.overlaps(slot) for b in snapshot.active_bookings_of(customer_id)):
            return
        if source is Source.WAITLIST:
            entry = next(w for w in snapshot.waitlist if w.id == extra["waitlist_id"])
            if not waitlist_fits(entry, gap, slot, now):
                return
        probability, factors = acceptance_probability(
            source, snapshot.scores.get(customer_id), gap.staff_id, staff_name, slot, now, zone
        )
        candidate = Candidate(customer_id, source, service_id, slot, probability, value_paise, factors,
                              booking_id=extra.get("booking_id"), waitlist_id=extra.get("waitlist_id"))
        best = found.get(customer_id)
        if best is None or candidate.expected_value_paise > best.expected_value_paise:
            found[customer_id] = candidate

    if Source.WAITLIST in sources:
        for entry in snapshot.waitlist:
            consider(entry.customer_id, Source.WAITLIST, entry.service_id, snapshot.service_price(entry.service_id),
                     waitlist_id=entry.id)
    if Source.MOVE_UP in sources:
        for booking in snapshot.bookings:
            if booking.is_active and booking.start >= gap.end and booking.start - gap.start <= timedelta(days=7):
                score = snapshot.scores.get(booking.customer_id)
                if booking.staff_id != gap.staff_id and score and score.preferred_staff and \
                        gap.staff_id not in score.preferred_staff:
                    continue
                consider(booking.customer_id, Source.MOVE_UP, booking.service_id,
                         int(booking.price_paise * MOVE_UP_VALUE_SHARE), booking_id=booking.id)
    if Source.DUE_REGULAR in sources:
        gap_day = gap.start.astimezone(zone).date()
        for score in snapshot.scores.values():
            if score.segment is CustomerSegment.NEW or not score.average_days_between or not score.last_visit:
                continue
            ratio = (gap_day - score.last_visit).days / score.average_days_between
            if not DUE_FROM <= ratio <= LAPSED_AFTER:
                continue
            if any(b.start > now for b in snapshot.active_bookings_of(score.customer_id)):
                continue  # already coming: don't pester
            service_id = next((s for s in score.preferred_services if s in gap.services_fittable), None)
            if service_id is not None:
                consider(score.customer_id, Source.DUE_REGULAR, service_id, snapshot.service_price(service_id))
    return sorted(found.values(), key=lambda c: (-c.expected_value_paise, c.source.value, c.customer_id))
