"""Gap detection: where a staff member's day has room for at least one more service.

Free time = working hours ∩ salon opening hours - breaks - leave - active bookings (booked/confirmed; overlapping
bookings simply merge). A free interval is a gap when it is at least as long as the shortest (non add-on) service
that staff member performs. Everything is computed on the salon's wall clock via `zoneinfo` and turned into UTC
instants, so opening/closing edges stay right on DST days.

Gap ids are deterministic (`ids.gap_id(salon, staff, start, end)`): a re-run, or a trigger delivered twice, finds
the same document, and a booking that changes a gap's edges produces a new gap while the old one is settled as
filled (a booking now overlaps it), expired (its time has passed) or ignored (the schedule changed under it).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from salonflow.agents.snapshot import (
    BookingView,
    GapView,
    Interval,
    SalonSnapshot,
    SalonView,
    ServiceView,
    Span,
    StaffView,
    local_instant,
)
from salonflow.domain.enums import BookingStatus, GapPriority, GapStatus, Weekday
from salonflow.domain.ids import gap_id
from salonflow.domain.money import rupees_from_paise

_REVENUE_STEP_MINUTES = 5


@dataclass(frozen=True)
class DetectedGap:
    id: str
    staff_id: str
    staff_name: str
    date: date  # salon-local date
    start: datetime
    end: datetime
    duration_minutes: int
    priority: GapPriority
    priority_score: float
    potential_revenue: int  # rupees
    services_fittable: tuple[str, ...]
    reason: str

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


@dataclass(frozen=True)
class GapChanges:
    """What the gap documents should become after one detection pass."""

    new: tuple[DetectedGap, ...] = ()
    reopened: tuple[DetectedGap, ...] = ()  # a settled gap whose exact slot is free again
    still_open: tuple[DetectedGap, ...] = ()
    filled: tuple[tuple[str, str], ...] = ()  # (gap_id, booking_id)
    expired: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()


def subtract(free: Sequence[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """`free` minus every busy interval (busy intervals may overlap each other)."""
    result = sorted(free, key=lambda i: i.start)
    for block in sorted(busy, key=lambda i: i.start):
        next_result: list[Interval] = []
        for part in result:
            if not part.overlaps(block):
                next_result.append(part)
                continue
            if part.start < block.start:
                next_result.append(Interval(part.start, block.start))
            if block.end < part.end:
                next_result.append(Interval(block.end, part.end))
        result = next_result
    return result


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out = []
    for x in a:
        for y in b:
            start, end = max(x.start, y.start), min(x.end, y.end)
            if start < end:
                out.append(Interval(start, end))
    return sorted(out, key=lambda i: i.start)


def _spans_to_intervals(spans: Iterable[Span], day: date, salon: SalonView) -> list[Interval]:
    zone = salon.zone
    out = []
    for span in spans:
        # In UTC: arithmetic between datetimes sharing one ZoneInfo is wall-clock arithmetic, wrong on DST days.
        start = local_instant(day, span.start, zone).astimezone(UTC)
        end = local_instant(day, span.end, zone).astimezone(UTC)
        if start < end:
            out.append(Interval(start, end))
    return out


def working_intervals(staff: StaffView, salon: SalonView, day: date) -> list[Interval]:
    """When this staff member can serve customers on a salon-local day, before bookings."""
    weekday = Weekday.of(day)
    hours = _spans_to_intervals(staff.working_hours.get(weekday, ()), day, salon)
    if salon.opening_hours:  # a salon that configured opening hours is closed on days it did not list
        hours = intersect(hours, _spans_to_intervals(salon.opening_hours.get(weekday, ()), day, salon))
    breaks = _spans_to_intervals(staff.breaks.get(weekday, ()), day, salon)
    return subtract(hours, [*breaks, *staff.leave])


def services_of(staff: StaffView, services: Iterable[ServiceView]) -> list[ServiceView]:
    """Bookable main services this staff member performs (add-ons ride on another booking)."""
    return [
        s
        for s in services
        if s.active and not s.is_addon and (s.id in staff.service_ids or staff.id in s.staff_ids)
    ]


def free_intervals(staff: StaffView, salon: SalonView, day: date, bookings: Iterable[BookingView]) -> list[Interval]:
    taken = [b.interval for b in bookings if b.staff_id == staff.id and b.is_active]
    return subtract(working_intervals(staff, salon, day), taken)


def best_revenue_paise(minutes: int, services: Sequence[ServiceView]) -> int:
    """Most revenue that fits in `minutes` with back-to-back services (unbounded knapsack, 5-minute steps)."""
    steps = minutes // _REVENUE_STEP_MINUTES
    items = [(-(-s.duration_minutes // _REVENUE_STEP_MINUTES), s.price_paise) for s in services]
    best = [0] * (steps + 1)
    for capacity in range(1, steps + 1):
        for size, price in items:
            if 0 < size <= capacity:
                best[capacity] = max(best[capacity], best[capacity - size] + price)
    return best[steps]


def reference_price_paise(services: Iterable[ServiceView]) -> int:
    prices = [s.price_paise for s in services if s.active and not s.is_addon]
    return int(statistics.median(prices)) if prices else 0


def gap_priority(start: datetime, now: datetime, potential_paise: int, reference_paise: int) -> tuple[GapPriority, float]:
    """Sooner and more valuable gaps first: urgency (time until the gap) x value (vs a typical service)."""
    hours = max((start - now).total_seconds() / 3600, 0.0)
    urgency = 1.0 if hours <= 3 else 0.75 if hours <= 8 else 0.5 if hours <= 24 else 0.25
    value = min(potential_paise / reference_paise, 2.0) if reference_paise else 1.0
    score = round(urgency * value, 3)
    if score >= 1.0:
        return GapPriority.CRITICAL, score
    if score >= 0.6:
        return GapPriority.HIGH, score
    if score >= 0.3:
        return GapPriority.MEDIUM, score
    return GapPriority.LOW, score


def detect_gaps(
    snapshot: SalonSnapshot,
    now: datetime,
    days: Iterable[date] | None = None,
    staff_ids: Iterable[str] | None = None,
) -> list[DetectedGap]:
    """Open gaps for the given salon-local days (default: today and the horizon) and staff (default: all).

    A gap whose remaining time (from now) is shorter than the shortest service is left out: it can no longer be
    sold, and an existing document for it expires.
    """
    salon = snapshot.salon
    if days is None:
        today = salon.local_date(now)
        days = [today + timedelta(days=n) for n in range(salon.settings.gap_horizon_days + 1)]
    wanted = set(staff_ids) if staff_ids is not None else None
    reference = reference_price_paise(snapshot.services.values())
    found: list[DetectedGap] = []
    for staff in sorted(snapshot.staff.values(), key=lambda s: s.id):
        if not staff.active or (wanted is not None and staff.id not in wanted):
            continue
        offered = services_of(staff, snapshot.services.values())
        if not offered:
            continue
        shortest = min(s.duration_minutes for s in offered)
        for day in days:
            for free in free_intervals(staff, salon, day, snapshot.bookings):
                if free.minutes < shortest:
                    continue
                if int((free.end - max(free.start, now)).total_seconds() // 60) < shortest:
                    continue
                fittable = sorted(
                    (s for s in offered if s.duration_minutes <= free.minutes),
                    key=lambda s: (-s.price_paise, s.id),
                )
                potential = best_revenue_paise(free.minutes, fittable)
                priority, score = gap_priority(free.start, now, potential, reference)
                local_start = free.start.astimezone(salon.zone)
                found.append(
                    DetectedGap(
                        id=gap_id(salon.id, staff.id, free.start, free.end),
                        staff_id=staff.id,
                        staff_name=staff.name,
                        date=local_start.date(),
                        start=free.start,
                        end=free.end,
                        duration_minutes=free.minutes,
                        priority=priority,
                        priority_score=score,
                        potential_revenue=rupees_from_paise(potential),
                        services_fittable=tuple(s.id for s in fittable),
                        reason=(
                            f"{staff.name} is free {local_start:%a %d %b %H:%M}-"
                            f"{free.end.astimezone(salon.zone):%H:%M} ({free.minutes} min), room for up to "
                            f"₹{rupees_from_paise(potential)} of services."
                        ),
                    )
                )
    return found


def reconcile_gaps(
    snapshot: SalonSnapshot,
    now: datetime,
    days: Iterable[date] | None = None,
    staff_ids: Iterable[str] | None = None,
) -> GapChanges:
    """Compare what is free now with the stored gaps of the same days and staff.

    `snapshot.gaps` must hold the stored gaps (any status) of those days; `snapshot.bookings` their bookings.
    """
    salon = snapshot.salon
    if days is None:
        today = salon.local_date(now)
        days = [today + timedelta(days=n) for n in range(salon.settings.gap_horizon_days + 1)]
    day_set = set(days)
    wanted = set(staff_ids) if staff_ids is not None else None
    detected = {g.id: g for g in detect_gaps(snapshot, now, day_set, wanted)}
    stored = {g.id: g for g in snapshot.gaps}

    new, reopened, still_open = [], [], []
    for found in detected.values():
        existing = stored.get(found.id)
        if existing is None:
            new.append(found)
        elif existing.status is GapStatus.OPEN:
            still_open.append(found)
        else:
            reopened.append(found)

    filled, expired, ignored = [], [], []
    for gap in stored.values():
        if gap.status is not GapStatus.OPEN or gap.id in detected:
            continue
        in_scope = salon.local_date(gap.start) in day_set and (wanted is None or gap.staff_id in wanted)
        booking = _booking_over(gap, snapshot.bookings)
        if booking is not None and in_scope:
            filled.append((gap.id, booking.id))
        elif gap.end <= now or salon.local_date(gap.start) < salon.local_date(now) or (in_scope and gap.start <= now):
            expired.append(gap.id)
        elif in_scope:
            ignored.append(gap.id)
    return GapChanges(
        new=tuple(new),
        reopened=tuple(reopened),
        still_open=tuple(still_open),
        filled=tuple(filled),
        expired=tuple(expired),
        ignored=tuple(ignored),
    )


def _booking_over(gap: GapView, bookings: Iterable[BookingView]) -> BookingView | None:
    """The earliest booking that now takes (part of) the gap's time with the same staff member."""
    taking = [
        b
        for b in bookings
        if b.staff_id == gap.staff_id
        and b.status in (BookingStatus.BOOKED, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
        and b.interval.overlaps(gap.interval)
    ]
    return min(taking, key=lambda b: (b.start, b.id)) if taking else None
