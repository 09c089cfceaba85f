"""The simulated month every policy faces: the salon, its booked month, what each booking would become if
nobody did anything, who waits on the waitlist, and the customers' latent habits.

The salon comes from the demo generator (`salonflow_demo.seed.build_salon`), booked for the whole month at the
salon's size (`ahead_share=1`). What happens to each booking is drawn per visit with common random numbers:
about 3-4 % no-shows and 8 % late cancellations overall, concentrated in the customers the generator made
no-show prone or late cancellers (the published ~3 % + 8 %). A slot freed by a cancellation is rebooked without
any help with probability 0.27 (MGMA: ~27 % of cancelled slots rebooked), by a walk-in or a phone call at a
random moment before it starts, if it is still free then.

Waitlist entries are people who asked for a time that was full when they asked (every stylist who performs
their service is booked through their window), so a waitlist offer is only ever about a slot that opened later.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property

from salonflow.domain.bookings import Booking
from salonflow.domain.enums import BookingStatus, ConsentChannel, MessageCategory
from salonflow.domain.ids import deterministic_id
from salonflow.domain.salon import RateLimitOverrides
from salonflow.domain.schedule import Interval
from salonflow.domain.waitlist import WaitlistEntry
from salonflow_demo.seed import SalonDataset, build_salon, free_slots
from salonflow_demo.seed_schedule import local_instant

from salonflow_sim.behaviour import Fate, Relation
from salonflow_sim.draws import uniform

BASE_NO_SHOW, PRONE_NO_SHOW = 0.025, 0.25
BASE_LATE_CANCEL, PRONE_LATE_CANCEL = 0.06, 0.30
LATE_CANCEL_HOURS = (1.0, 20.0)  # how long before the start a late cancellation comes
ORGANIC_REBOOK = 0.27
ORGANIC_LAST_MINUTES = 15  # nobody walks in for a slot starting in less than this
MOVE_UP_DAYS = 7
DUE_FROM, LAPSED_AFTER = 0.8, 3.0
HORIZON_DAYS = 2  # the agents look two days ahead: the month is booked that far past its end


@dataclass(frozen=True)
class SalonSize:
    name: str
    seed: int
    staff: int
    services: int
    customers: int
    bookings_per_day: int
    waitlist_per_day: int
    # The contact budget (salon-wide actions per rolling hour / day) its owner would set: the spec's 20 / 100
    # cannot even remind a salon of 150 bookings a day, so larger salons raise it to about two messages per
    # booking (docs/schema.md, "rate_limits"). Every policy's messages are checked against it.
    hourly_budget: int = 20
    daily_budget: int = 100


SIZES: dict[str, SalonSize] = {
    "small": SalonSize("small", 11, 3, 10, 400, 30, 1),
    "reference": SalonSize("reference", 7, 10, 15, 2000, 150, 3, hourly_budget=60, daily_budget=300),
    "large": SalonSize("large", 23, 20, 15, 4000, 300, 6, hourly_budget=120, daily_budget=600),
}


@dataclass(frozen=True)
class MonthBooking:
    """A booking of the month as it was made, and what it would become if nobody did anything."""

    id: str
    customer_id: str
    staff_id: str
    service_id: str
    start: datetime
    end: datetime
    price_paise: int
    fate: Fate
    cancel_at: datetime | None  # for a late cancellation

    @property
    def visit_key(self) -> str:
        """Main service and add-on of one visit share their fate and the customer's answers."""
        return f"{self.customer_id}:{self.start.date().isoformat()}"


@dataclass(frozen=True)
class CustomerFacts:
    preferred_part: str  # morning / afternoon / evening
    willingness: float  # 0.5..1.5: how readily this person says yes to anything
    last_visit: date | None
    interval_days: float | None  # their usual days between visits, if they have a rhythm


@dataclass(frozen=True)
class World:
    seed: int
    size: SalonSize
    dataset: SalonDataset
    days: tuple[date, ...]
    bookings: tuple[MonthBooking, ...]  # starting from the first day until the horizon after the last
    waitlist: tuple[WaitlistEntry, ...]
    facts: dict[str, CustomerFacts] = field(repr=False)

    @property
    def salon_id(self) -> str:
        return self.dataset.salon.id

    @property
    def start(self) -> datetime:
        return self.dataset.as_of

    @property
    def end(self) -> datetime:
        return local_instant(self.days[-1] + timedelta(days=1), 0, self.dataset.zone)

    def in_month(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @cached_property
    def by_id(self) -> dict[str, MonthBooking]:
        return {b.id: b for b in self.bookings}

    @cached_property
    def walk_in_customers(self) -> tuple[str, ...]:
        """Customers with nothing booked this month who take a freed slot without being asked."""
        booked = {b.customer_id for b in self.bookings} | {w.customer_id for w in self.waitlist}
        return tuple(c.id for c in self.dataset.customers if c.id not in booked)

    def organic_arrival(self, booking_id: str, freed_at: datetime, start: datetime) -> datetime | None:
        """When someone books this freed slot without any help, if anyone does (the same for every policy)."""
        last = start - timedelta(minutes=ORGANIC_LAST_MINUTES)
        if last <= freed_at or uniform(self.seed, "organic", booking_id) >= ORGANIC_REBOOK:
            return None
        return freed_at + (last - freed_at) * uniform(self.seed, "organic_at", booking_id)

    def walk_in_for(self, booking_id: str) -> str:
        pool = self.walk_in_customers or tuple(c.id for c in self.dataset.customers)
        return pool[int(uniform(self.seed, "walk_in", booking_id) * len(pool))]

    def can_message(self, customer_id: str, category: MessageCategory) -> bool:
        """Consent on record at the start of the month (opt-outs during it are each policy's own)."""
        customer = self.dataset.customers_by_id.get(customer_id)
        return customer is not None and customer.can_contact(ConsentChannel.WHATSAPP, category)

    def in_usual_part(self, customer_id: str, moment: datetime) -> bool:
        hour = moment.astimezone(self.dataset.zone).hour
        part = "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"
        facts = self.facts.get(customer_id)
        return facts is not None and facts.preferred_part == part

    def relation(self, customer_id: str, service_id: str, staff_id: str, slot: Interval,
                 later_bookings: list[tuple[datetime, str]], served_from_waitlist: bool) -> Relation:
        """What this slot is to the customer. `later_bookings`: (start, service) of their active bookings."""
        if not served_from_waitlist and any(
                w.customer_id == customer_id and w.service_id == service_id and w.expires_at > slot.start
                and w.fits(staff_id, slot.start, slot.end) for w in self.waitlist):
            return Relation.WAITLISTED_FITS
        if any(slot.start < start <= slot.start + timedelta(days=MOVE_UP_DAYS) and service == service_id
               for start, service in later_bookings):
            return Relation.MOVE_UP
        facts = self.facts.get(customer_id)
        if (facts is not None and facts.last_visit is not None and facts.interval_days
                and not any(start > slot.start for start, _ in later_bookings)):
            ratio = (slot.start.astimezone(self.dataset.zone).date() - facts.last_visit).days / facts.interval_days
            if DUE_FROM <= ratio <= LAPSED_AFTER:
                return Relation.DUE
        return Relation.NOT_DUE


def build_world(size: SalonSize, days: int, first_day: date, seed: int | None = None) -> World:
    """The month for a salon of `size` from `first_day`, deterministic for the seed (default: the size's)."""
    seed = size.seed if seed is None else seed
    dataset = build_salon(seed, salon_id=f"salon_sim_{size.name}", day=first_day, staff=size.staff,
                          services=size.services, customers=size.customers, bookings_per_day=size.bookings_per_day,
                          ahead_days=days - 1 + HORIZON_DAYS, ahead_share=1.0, waitlist=0)
    budget = RateLimitOverrides(hourly_actions=size.hourly_budget, daily_actions=size.daily_budget)
    dataset = replace(dataset, salon=dataset.salon.model_copy(update={"rate_limits": budget}))
    month_days = tuple(first_day + timedelta(days=n) for n in range(days))
    bookings = tuple(_month_booking(seed, dataset, b) for b in dataset.bookings if b.start_time >= dataset.as_of)
    waitlist = _waitlist(seed, dataset, month_days, size.waitlist_per_day)
    return World(seed, size, dataset, month_days, tuple(sorted(bookings, key=lambda b: (b.start, b.id))),
                 waitlist, _facts(seed, dataset))


def _month_booking(seed: int, dataset: SalonDataset, booking: Booking) -> MonthBooking:
    profile = dataset.profiles[booking.customer_id]
    visit = f"{booking.customer_id}:{booking.start_time.date().isoformat()}"
    no_show = PRONE_NO_SHOW if profile.no_show_prone else BASE_NO_SHOW
    late = PRONE_LATE_CANCEL if profile.late_canceller else BASE_LATE_CANCEL
    u = uniform(seed, "fate", visit)
    fate = Fate.NO_SHOW if u < no_show else Fate.LATE_CANCEL if u < no_show + late else Fate.SHOW
    cancel_at = None
    if fate is Fate.LATE_CANCEL:
        low, high = LATE_CANCEL_HOURS
        hours = low + (high - low) * uniform(seed, "cancel_at", visit)
        cancel_at = max(booking.start_time - timedelta(hours=hours), dataset.as_of + timedelta(minutes=1))
    return MonthBooking(booking.id, booking.customer_id, booking.staff_id, booking.service_id, booking.start_time,
                        booking.end_time, booking.price_paise, fate, cancel_at)


def _facts(seed: int, dataset: SalonDataset) -> dict[str, CustomerFacts]:
    zone = dataset.zone
    facts: dict[str, CustomerFacts] = {}
    for customer in dataset.customers:
        visits = sorted({b.start_time.astimezone(zone).date() for b in dataset.bookings_by_customer.get(customer.id, [])
                         if b.status is BookingStatus.COMPLETED and b.start_time < dataset.as_of})
        gaps = [(later - earlier).days for earlier, later in itertools.pairwise(visits)]
        facts[customer.id] = CustomerFacts(
            preferred_part=dataset.profiles[customer.id].preferred_part,
            willingness=0.5 + uniform(seed, "willingness", customer.id),
            last_visit=visits[-1] if visits else None,
            interval_days=float(statistics.median(gaps)) if len(gaps) >= 2 else None,
        )
    return facts


WAITLIST_WINDOW_HOURS = 3
WAITLIST_TRIES = 25


def _waitlist(seed: int, dataset: SalonDataset, days: tuple[date, ...], per_day: int) -> tuple[WaitlistEntry, ...]:
    """`per_day` entries a day, each for a 3-hour window that was full for every stylist who could serve them."""
    zone = dataset.zone
    booked_on: dict[date, set[str]] = {}
    for b in dataset.bookings:
        booked_on.setdefault(b.start_time.astimezone(zone).date(), set()).add(b.customer_id)
    usual: dict[str, str] = {}
    for customer_id, history in dataset.bookings_by_customer.items():
        mains = Counter(b.service_id for b in history if not dataset.services_by_id[b.service_id].is_add_on)
        if mains:
            usual[customer_id] = sorted(mains.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    candidates = sorted(c.id for c in dataset.customers if c.id in usual
                        and c.can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE))
    entries: list[WaitlistEntry] = []
    taken: set[str] = set()
    free_time: dict[tuple[str, date], list[Interval]] = {}
    for day in days:
        made = 0
        for attempt in range(WAITLIST_TRIES * per_day):
            if made >= per_day or not candidates:
                break
            key = (day.isoformat(), attempt)
            customer_id = candidates[int(uniform(seed, "wl_customer", *key) * len(candidates))]
            if customer_id in taken or customer_id in booked_on.get(day, set()):
                continue
            service = dataset.services_by_id[usual[customer_id]]
            performers = sorted(s for s in service.staff_ids if s in dataset.staff_by_id)
            if not performers:
                continue
            wants_one = uniform(seed, "wl_staff", *key) < 0.5
            staff_ids = [performers[int(uniform(seed, "wl_who", *key) * len(performers))]] if wants_one else performers
            first_hour = 10 + int(uniform(seed, "wl_hour", *key) * 8)
            window = Interval(start=local_instant(day, first_hour * 60, zone),
                              end=local_instant(day, (first_hour + WAITLIST_WINDOW_HOURS) * 60, zone))
            if _room_in(dataset, staff_ids, day, window, service.duration_minutes, free_time):
                continue  # they would simply have booked it
            created = dataset.as_of - timedelta(hours=12 + 60 * uniform(seed, "wl_created", *key))
            created = max(created, dataset.customers_by_id[customer_id].created_at + timedelta(minutes=1))
            entries.append(WaitlistEntry(
                id=deterministic_id("wl", dataset.salon.id, customer_id, day.isoformat()),
                salon_id=dataset.salon.id, customer_id=customer_id, service_id=service.id,
                preferred_staff_ids=staff_ids if wants_one else [], preferred_windows=[window], priority=0,
                created_at=created, updated_at=created, expires_at=window.end))
            taken.add(customer_id)
            made += 1
    return tuple(entries)


def _room_in(dataset: SalonDataset, staff_ids: list[str], day: date, window: Interval, minutes: int,
             free_time: dict[tuple[str, date], list[Interval]]) -> bool:
    need = timedelta(minutes=minutes)
    for staff_id in staff_ids:
        if (staff_id, day) not in free_time:
            free_time[staff_id, day] = free_slots(dataset, staff_id, day)
        for free in free_time[staff_id, day]:
            start, end = max(free.start, window.start), min(free.end, window.end)
            if end - start >= need:
                return True
    return False
