"""The demo day and the days after it: who is booked with whom, and who is waiting for a slot.

Each working staff member's day is packed to 70-85 % of their free time (or to a given number of bookings),
leaving the realistic gaps the gap-fill agent looks for. Customers are matched to slots by how due they are:
regulars near their usual interval, first-timers, occasional clients; lapsing customers are left out on purpose,
since someone with an appointment is not lapsing.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from salonflow.domain.bookings import Booking
from salonflow.domain.customers import Customer
from salonflow.domain.enums import (
    BookingSource,
    BookingStatus,
    ConfirmationStatus,
    ConsentChannel,
    MessageCategory,
)
from salonflow.domain.ids import deterministic_id
from salonflow.domain.salon import Salon
from salonflow.domain.schedule import Interval
from salonflow.domain.staff import Staff
from salonflow.domain.waitlist import WaitlistEntry

from salonflow_demo.seed_catalog import ADD_ON_RATE
from salonflow_demo.seed_history import Calendar, Catalog, Habits, booking_id
from salonflow_demo.seed_people import Profile
from salonflow_demo.seed_schedule import (
    MenuItem,
    Placement,
    Span,
    fill_by_count,
    fill_by_occupancy,
    first_free_start,
    local_instant,
    split_count,
    subtract,
)

TARGET_OCCUPANCY = (0.70, 0.85)
AHEAD_OCCUPANCY = (0.45, 0.65)  # later days are less booked yet: people book a day or two ahead
_BUFFER = 30  # minutes between two visits of one customer on one day
_PERSONA_WEIGHT = {"regular": 3.0, "occasional": 1.5, "new": 1.0, "first_timer": 2.5, "one_time": 0.2, "lapsing": 0.0}


@dataclass(frozen=True)
class Clientele:
    """Everything needed to choose plausible customers for upcoming slots."""

    customers: Mapping[str, Customer]
    profiles: Mapping[str, Profile]
    habits: Mapping[str, Habits]
    last_visit: Mapping[str, date]


class CustomerPicker:
    """Weighted draws without replacement: one upcoming appointment per customer across the booked days."""

    def __init__(self, rng: random.Random, clientele: Clientele, day: date) -> None:
        self._rng = rng
        self.taken: set[str] = set()  # customers with an upcoming booking or a waitlist entry
        self._booked: dict[tuple[str, date], list[Span]] = {}
        self._pools: dict[str, tuple[list[str], list[float]]] = {}
        for gender in ("women", "men"):
            ids: list[str] = []
            weights: list[float] = []
            for customer_id, profile in clientele.profiles.items():
                weight = _PERSONA_WEIGHT[profile.persona]
                interval = clientele.habits[customer_id].interval_days
                last = clientele.last_visit.get(customer_id)
                if profile.persona == "regular" and interval and last:
                    weight *= min(max((day - last).days / interval, 0.2), 2.0)
                if profile.gender == gender and weight > 0:
                    ids.append(customer_id)
                    weights.append(weight)
            self._pools[gender] = (ids, list(itertools.accumulate(weights)))

    def pick(self, audience: str, day: date | None = None, span: Span | None = None) -> str | None:
        """Someone with no upcoming appointment. A small salon that has run out of them reuses someone booked
        on another day, then someone booked earlier or later the same day: never two places at once."""
        genders = ("women", "men") if audience == "any" else (audience,)
        gender = self._rng.choice(genders) if len(genders) == 2 and self._rng.random() < 0.35 else genders[0]
        ids, cumulative = self._pools[gender]
        if not ids:
            return None
        chosen: str | None = None
        for _ in range(40):
            candidate = ids[bisect.bisect_left(cumulative, self._rng.random() * cumulative[-1])]
            if candidate not in self.taken:
                chosen = candidate
                break
        if chosen is None:
            free = [c for c in ids if c not in self.taken]
            if not free and day is not None:
                free = [c for c in ids if not self._booked.get((c, day))]
            if not free and day is not None and span is not None:
                free = [c for c in ids if self._apart(c, day, span)]
            if not free:
                return None
            chosen = self._rng.choice(free)
        self.taken.add(chosen)
        if day is not None and span is not None:
            self._booked.setdefault((chosen, day), []).append(span)
        return chosen

    def _apart(self, customer_id: str, day: date, span: Span) -> bool:
        return all(span[1] + _BUFFER <= start or end + _BUFFER <= span[0]
                   for start, end in self._booked.get((customer_id, day), []))


def menu_for(staff: Staff, catalog: Catalog) -> list[MenuItem]:
    items: list[MenuItem] = []
    for service_id in staff.service_ids:
        service = catalog.services[service_id]
        if service.is_add_on:
            continue
        add_on = catalog.add_on_for(service, staff.id)
        add_ons = ((add_on.id, add_on.duration_minutes, ADD_ON_RATE.get(catalog.specs[add_on.id].key, 0.0)),) if add_on else ()
        items.append(MenuItem(service.id, service.duration_minutes, catalog.specs[service_id].popularity, add_ons))
    return [item for item in items if item.weight > 0]


def book_upcoming_day(
    rng: random.Random,
    *,
    salon: Salon,
    staff: Sequence[Staff],
    calendar: Calendar,
    catalog: Catalog,
    picker: CustomerPicker,
    clientele: Clientele,
    day: date,
    as_of: datetime,
    occupancy: tuple[float, float],
    count: int | None,
    confirmed_share: float,
) -> list[Booking]:
    working = [s for s in staff if calendar.spans(s.id, day) and menu_for(s, catalog)]
    menus = {s.id: menu_for(s, catalog) for s in working}
    # Split a fixed count by throughput (free minutes / typical service length), not by minutes alone.
    throughput = [round(100 * sum(e - b for b, e in calendar.spans(s.id, day)) / _mean_duration(menus[s.id]))
                  for s in working]
    counts = split_count(count, throughput) if count is not None else [None] * len(working)
    plans: dict[str, list[Placement]] = {}
    for member, member_count in zip(working, counts, strict=True):
        spans = calendar.spans(member.id, day)
        if member_count is None:
            plans[member.id] = fill_by_occupancy(rng, spans, menus[member.id], *occupancy)
        else:
            plans[member.id] = fill_by_count(rng, spans, menus[member.id], member_count)
    if count is not None:
        _top_up(rng, plans, {s.id: calendar.spans(s.id, day) for s in working}, menus,
                count - sum(len(p) for p in plans.values()))
    bookings: list[Booking] = []
    for member in working:
        placements = plans[member.id]
        owners: list[str | None] = []
        for placement in placements:
            if placement.add_on_of is not None:
                owners.append(owners[placement.add_on_of])
                continue
            visit_end = max([placement.end] + [p.end for p in placements if p.add_on_of == len(owners)])
            owners.append(picker.pick(catalog.specs[placement.service_id].audience, day,
                                      (placement.start, visit_end)))
        for placement, owner in zip(placements, owners, strict=True):
            if owner is None:
                continue
            calendar.book(member.id, day, placement.start, placement.end)
            bookings.append(_upcoming(rng, salon, clientele.customers[owner], member.id, placement, day, as_of,
                                      catalog, confirmed_share))
    return _align_add_ons(bookings)


def _mean_duration(menu: Sequence[MenuItem]) -> float:
    return sum(m.duration * m.weight for m in menu) / sum(m.weight for m in menu)


def _top_up(
    rng: random.Random, plans: dict[str, list[Placement]], spans: Mapping[str, list[Span]],
    menus: Mapping[str, list[MenuItem]], missing: int,
) -> None:
    """Squeeze the bookings a count still lacks into whatever room is left, shortest service first."""
    while missing > 0:
        placed = False
        for staff_id in sorted(plans, key=lambda sid: (len(plans[sid]), sid)):
            shortest = min(menus[staff_id], key=lambda m: (m.duration, m.service_id))
            busy = sorted((p.start, p.end) for p in plans[staff_id])
            start = first_free_start(rng, spans[staff_id], busy, shortest.duration, None)
            if start is not None:
                # Appended, not sorted: add-ons refer to their main booking by position.
                plans[staff_id].append(Placement(start, shortest.service_id, shortest.duration))
                placed = True
                break
        if not placed:
            return
        missing -= 1


def _align_add_ons(bookings: list[Booking]) -> list[Booking]:
    """An add-on shares its main booking's status, confirmation, source and creation time."""
    by_slot = {(b.staff_id, b.end_time): b for b in bookings}
    aligned: list[Booking] = []
    for booking in bookings:
        main = by_slot.get((booking.staff_id, booking.start_time))
        if main is not None and main.customer_id == booking.customer_id:
            booking = booking.with_changes(
                status=main.status, confirmation_status=main.confirmation_status, source=main.source,
                created_at=main.created_at, updated_at=main.updated_at,
            )
        aligned.append(booking)
    return aligned


def _upcoming(
    rng: random.Random, salon: Salon, customer: Customer, staff_id: str, placement: Placement, day: date,
    as_of: datetime, catalog: Catalog, confirmed_share: float,
) -> Booking:
    service = catalog.services[placement.service_id]
    start = local_instant(day, placement.start, salon.zone)
    ahead = timedelta(days=rng.uniform(15, 30)) if rng.random() < 0.12 else timedelta(hours=rng.uniform(3, 10 * 24))
    created = min(max(as_of - ahead, customer.created_at + timedelta(minutes=1)), as_of)
    confirmed = rng.random() < confirmed_share
    if confirmed:
        status, confirmation = BookingStatus.CONFIRMED, ConfirmationStatus.CONFIRMED
    else:
        status = BookingStatus.BOOKED
        confirmation = ConfirmationStatus.REQUESTED if rng.random() < 0.3 else ConfirmationStatus.NOT_REQUESTED
    return Booking(
        id=booking_id(salon.id, staff_id, day, placement.start),
        salon_id=salon.id,
        customer_id=customer.id,
        staff_id=staff_id,
        service_id=service.id,
        start_time=start,
        end_time=local_instant(day, placement.end, salon.zone),
        status=status,
        price_paise=service.price_paise,
        source=rng.choices((BookingSource.PHONE, BookingSource.WHATSAPP, BookingSource.ONLINE, BookingSource.OWNER_APP),
                           weights=(30, 35, 25, 10))[0],
        confirmation_status=confirmation,
        created_at=created,
        updated_at=created,
    )


def plant_likely_no_show(
    rng: random.Random, bookings: list[Booking], clientele: Clientele, past_no_shows: Mapping[str, int],
    picker: CustomerPicker, salon: Salon, day: date, as_of: datetime, catalog: Catalog,
) -> list[Booking]:
    """Give one afternoon booking of the day to a customer who has missed appointments before and can be
    reached on WhatsApp, unconfirmed and booked weeks ago: the booking the no-show agent should worry about."""
    customers = clientele.customers
    add_on_slots = {(b.staff_id, b.start_time) for b in bookings if catalog.services[b.service_id].is_add_on}
    afternoon = local_instant(day, 14 * 60, salon.zone)
    slots = [b for b in bookings
             if b.start_time >= afternoon and (b.staff_id, b.end_time) not in add_on_slots
             and not catalog.services[b.service_id].is_add_on]
    prone = sorted(
        (cid for cid, n in past_no_shows.items()
         if n and cid not in picker.taken and clientele.profiles[cid].persona != "lapsing"
         and customers[cid].can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE)),
        key=lambda cid: (-past_no_shows[cid], cid),
    )
    for booking in sorted(slots, key=lambda b: (b.start_time, b.staff_id)):
        audience = catalog.specs[booking.service_id].audience
        for cid in prone:
            if audience in ("any", clientele.profiles[cid].gender):
                picker.taken.add(cid)
                created = max(as_of - timedelta(days=rng.uniform(16, 20)), customers[cid].created_at + timedelta(minutes=1))
                planted = booking.with_changes(
                    customer_id=cid, status=BookingStatus.BOOKED, confirmation_status=ConfirmationStatus.NOT_REQUESTED,
                    created_at=created, updated_at=created,
                )
                return [planted if b.id == booking.id else b for b in bookings]
    return bookings


def free_time(calendar: Calendar, staff_id: str, day: date) -> list[Span]:
    return subtract(calendar.spans(staff_id, day), calendar.busy(staff_id, day))


def build_waitlist(
    rng: random.Random,
    *,
    salon: Salon,
    staff: Sequence[Staff],
    calendar: Calendar,
    catalog: Catalog,
    picker: CustomerPicker,
    clientele: Clientele,
    days: Sequence[date],
    as_of: datetime,
    count: int,
) -> list[WaitlistEntry]:
    """A few customers waiting for a slot. The first fits time that is free on the demo day right now; the next
    two want the demo day's afternoon with a short service, so a cancellation there is likely to suit them."""
    day = days[0]
    entries: list[WaitlistEntry] = []

    def reachable(cid: str) -> bool:
        return clientele.customers[cid].can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE)

    def add(service_id: str, staff_ids: list[str], windows: list[tuple[date, int, int]], priority: int) -> None:
        audience = catalog.specs[service_id].audience
        for _ in range(20):
            cid = picker.pick(audience)
            if cid is None:
                return
            if reachable(cid):
                break
            picker.taken.discard(cid)
        else:
            return
        created = max(as_of - timedelta(days=rng.uniform(0.5, 4)), clientele.customers[cid].created_at + timedelta(minutes=1))
        intervals = [Interval(start=local_instant(d, s, salon.zone), end=local_instant(d, e, salon.zone)) for d, s, e in windows]
        entries.append(WaitlistEntry(
            id=deterministic_id("wl", salon.id, cid, service_id, intervals[0].start),
            salon_id=salon.id,
            customer_id=cid,
            service_id=service_id,
            preferred_staff_ids=staff_ids,
            preferred_windows=intervals,
            priority=priority,
            created_at=created,
            updated_at=created,
            expires_at=max(i.end for i in intervals),
        ))

    opening = {d: [(b, e) for member in staff for b, e in calendar.spans(member.id, d)] for d in days}

    def clip(d: date, start: int, end: int) -> tuple[date, int, int]:
        """The wished window kept inside the hours someone works that day (at least an hour long)."""
        lo = min((b for b, _ in opening[d]), default=start)
        hi = max((e for _, e in opening[d]), default=end)
        clipped = (max(start, lo), min(end, hi))
        if clipped[1] - clipped[0] < 60:
            clipped = (max(lo, hi - (end - start)), hi)
        return (d, *clipped) if clipped[0] < clipped[1] else (d, start, end)

    # 1. Someone whose wish fits a hole that is open right now (latest first: the demo has time to act).
    holes = sorted(
        ((b, e, member) for member in staff for b, e in free_time(calendar, member.id, day) if e - b >= 30),
        key=lambda hole: (-hole[0], hole[2].id),
    )
    for begin, end, member in holes:
        options = [sid for sid in member.service_ids
                   if not catalog.services[sid].is_add_on and catalog.services[sid].duration_minutes <= end - begin]
        if options:
            service_id = max(options, key=lambda sid: (catalog.specs[sid].popularity, sid))
            add(service_id, [member.id], [clip(day, begin - 60, end + 60)], 30)
            break
    # 2. Two people happy with a short service any time in the demo day's afternoon.
    shorts = sorted((s for s in catalog.services.values() if not s.is_add_on and s.staff_ids and s.duration_minutes <= 45),
                    key=lambda s: (-catalog.specs[s.id].popularity, s.id))
    for index, service in enumerate(shorts[:2]):
        preferred = [sorted(service.staff_ids)[0]] if index == 0 else []
        add(service.id, preferred, [clip(day, 13 * 60, 19 * 60)], 20 - 5 * index)
    # 3. The rest: another day, a morning or an evening, sometimes a favourite stylist.
    mains = [s for s in catalog.services.values() if not s.is_add_on and s.staff_ids]
    while len(entries) < count and mains:
        service = rng.choices(mains, weights=[catalog.specs[s.id].popularity for s in mains])[0]
        when = rng.choice(days[1:] or days)
        start = rng.choice((10 * 60, 11 * 60, 16 * 60, 17 * 60))
        preferred = [rng.choice(sorted(service.staff_ids))] if rng.random() < 0.5 else []
        before = len(entries)
        add(service.id, preferred, [clip(when, start, start + 3 * 60)], rng.randint(0, 15))
        if len(entries) == before:
            break
    return entries
