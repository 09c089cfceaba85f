"""Past bookings: each customer's visits over the history window, following their persona's rhythm.

Outcomes follow published salon figures (about 3 % no-shows and 8 % late cancellations overall, concentrated in
a few customers), so the no-show agent's per-customer rates and the churn scores have something real to learn.
Half of the lapsing regulars missed their last appointment and never rebooked: that, plus being more than three
usual intervals overdue, is what puts a customer `at_risk` in the agents' scoring.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from salonflow.domain.bookings import Booking
from salonflow.domain.customers import Customer
from salonflow.domain.enums import BookingSource, BookingStatus, ConfirmationStatus
from salonflow.domain.ids import deterministic_id
from salonflow.domain.money import discount_paise
from salonflow.domain.salon import Salon
from salonflow.domain.services import Service
from salonflow.domain.staff import Staff

from salonflow_demo.seed_catalog import ADD_ON_RATE, ServiceSpec
from salonflow_demo.seed_people import Profile
from salonflow_demo.seed_schedule import Span, first_free_start, free_spans, local_instant, occupy

PART_WINDOWS: dict[str, Span] = {"morning": (600, 720), "afternoon": (720, 1020), "evening": (1020, 1200)}
BASE_NO_SHOW, PRONE_NO_SHOW = 0.008, 0.25
BASE_LATE_CANCEL, PRONE_LATE_CANCEL = 0.05, 0.30
EARLY_CANCEL = 0.03
FESTIVE_DISCOUNT_SHARE, FESTIVE_DISCOUNT_PERCENT = 0.04, 10


@dataclass
class Calendar:
    """Free spans and booked time per (staff, salon-local date), shared by history and the upcoming days."""

    salon: Salon
    staff: Mapping[str, Staff]
    _spans: dict[tuple[str, date], list[Span]] = field(default_factory=dict)
    _busy: dict[tuple[str, date], list[Span]] = field(default_factory=dict)

    def spans(self, staff_id: str, day: date) -> list[Span]:
        key = (staff_id, day)
        if key not in self._spans:
            self._spans[key] = free_spans(self.staff[staff_id], self.salon, day)
        return self._spans[key]

    def busy(self, staff_id: str, day: date) -> list[Span]:
        return self._busy.setdefault((staff_id, day), [])

    def book(self, staff_id: str, day: date, start: int, end: int) -> None:
        occupy(self.busy(staff_id, day), start, end)


@dataclass(frozen=True)
class Habits:
    """What a customer usually books and with whom."""

    favourites: tuple[str, ...]
    preferred_staff: str | None
    interval_days: int | None


class Catalog:
    """The salon's services with the generator's knowledge of them (audience, popularity, add-on pairings)."""

    def __init__(self, services: Mapping[str, Service], specs: Mapping[str, ServiceSpec]) -> None:
        self.services = services
        self.specs = specs  # by service id
        self._mains: dict[str, tuple[list[Service], list[float]]] = {}
        for audience in ("women", "men"):
            mains = [s for s in services.values()
                     if not s.is_add_on and s.staff_ids and specs[s.id].audience in (audience, "any")
                     and specs[s.id].popularity > 0]
            self._mains[audience] = (mains, list(itertools.accumulate(specs[s.id].popularity for s in mains)))

    def mains_for(self, audience: str) -> list[Service]:
        return self._mains[audience][0]

    def popular_main(self, rng: random.Random, audience: str) -> Service | None:
        mains, cumulative = self._mains[audience]
        return pick(rng, mains, cumulative) if mains else None

    def add_on_for(self, main: Service, staff_id: str) -> Service | None:
        main_key = self.specs[main.id].key
        for service in self.services.values():
            spec = self.specs[service.id]
            if service.is_add_on and main_key in spec.add_on_after and staff_id in service.staff_ids:
                return service
        return None


T = TypeVar("T")


def pick(rng: random.Random, items: Sequence[T], cumulative: Sequence[float]) -> T:
    """A weighted draw from precomputed cumulative weights (cheaper than `random.choices` in hot loops)."""
    return items[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


_ONLINE_SOURCES = (BookingSource.PHONE, BookingSource.WHATSAPP, BookingSource.ONLINE)
_ONLINE_SOURCE_WEIGHTS = tuple(itertools.accumulate((40, 40, 20)))
_CONFIRMATIONS = (ConfirmationStatus.CONFIRMED, ConfirmationStatus.REQUESTED, ConfirmationStatus.NOT_REQUESTED)
_CONFIRMATION_WEIGHTS = tuple(itertools.accumulate((55, 25, 20)))


def booking_id(salon_id: str, staff_id: str, day: date, start_minute: int) -> str:
    """Deterministic: a staff member has one booking at a given start (none overlap)."""
    return deterministic_id("bkg", salon_id, staff_id, day.isoformat(), start_minute)


@dataclass(frozen=True)
class Slot:
    """A service placed in a staff member's day, before its outcome is decided."""

    service: Service
    staff_id: str
    day: date
    start: int


def habits_for(rng: random.Random, profile: Profile, catalog: Catalog) -> Habits:
    favourites: list[str] = []
    for _ in range(rng.choice((1, 2, 2))):
        chosen = catalog.popular_main(rng, profile.gender)
        if chosen is not None and chosen.id not in favourites:
            favourites.append(chosen.id)
    staff_ids = catalog.services[favourites[0]].staff_ids if favourites else []
    interval = {
        "regular": rng.randint(21, 42),
        "occasional": rng.randint(60, 120),
        "lapsing": rng.randint(21, 28),
    }.get(profile.persona)
    return Habits(tuple(favourites), rng.choice(staff_ids) if staff_ids else None, interval)


def visit_days_ago(rng: random.Random, profile: Profile, habits: Habits, history_days: int) -> list[int]:
    """Days before the demo day on which the customer came, oldest first."""
    interval = habits.interval_days
    if profile.single_visit_days_ago is not None:
        return [profile.single_visit_days_ago] if profile.single_visit_days_ago <= history_days else []
    if interval is None:
        return []
    if profile.persona == "lapsing":
        # More than three usual intervals since the last visit, with at least four visits before that.
        latest = min(round(interval * rng.uniform(3.2, 4.2)), max(history_days - 3 * interval - 6, 1))
        start = max(latest, round(interval * 3.2))
    else:
        start = rng.randint(1, interval)
    # A fifth of the regulars only started coming during the window.
    started_recently = profile.persona != "lapsing" and rng.random() < 0.2
    horizon = rng.randint(min(2 * interval, history_days), history_days) if started_recently else history_days
    days: list[int] = []
    ago = start
    while ago <= horizon:
        days.append(ago)
        ago += interval + rng.randint(-3, 3)
    return sorted(days, reverse=True)


@dataclass
class HistoryResult:
    bookings: list[Booking]
    habits: dict[str, Habits]


def build_history(
    rng: random.Random,
    *,
    salon: Salon,
    calendar: Calendar,
    catalog: Catalog,
    customers: Sequence[Customer],
    profiles: Mapping[str, Profile],
    day: date,
    as_of: datetime,
    history_days: int,
) -> HistoryResult:
    bookings: list[Booking] = []
    habits: dict[str, Habits] = {}
    window_start = day - timedelta(days=history_days)
    for customer in customers:
        profile = profiles[customer.id]
        customer_habits = habits_for(rng, profile, catalog)
        habits[customer.id] = customer_habits
        visits: list[list[Slot]] = []
        for ago in visit_days_ago(rng, profile, customer_habits, history_days):
            visit = _place_visit(rng, salon, calendar, catalog, customer, profile, customer_habits,
                                 day - timedelta(days=ago), day, window_start)
            if visit:
                visits.append(visit)
        bookings.extend(_with_outcomes(rng, salon, customer, profile, visits, as_of))
    return HistoryResult(bookings, habits)


def _place_visit(
    rng: random.Random, salon: Salon, calendar: Calendar, catalog: Catalog, customer: Customer, profile: Profile,
    habits: Habits, wanted: date, day: date, window_start: date,
) -> list[Slot] | None:
    """One visit (a main service, sometimes an add-on right after); its outcome is decided later."""
    if habits.favourites and rng.random() < 0.8:
        main: Service | None = catalog.services[rng.choice(habits.favourites)]
    else:
        main = catalog.popular_main(rng, profile.gender)
    if main is None:
        return None
    performers = sorted(main.staff_ids)
    rng.shuffle(performers)
    if habits.preferred_staff in performers and rng.random() < 0.75:
        performers.remove(habits.preferred_staff)
        performers.insert(0, habits.preferred_staff)
    window = PART_WINDOWS[profile.preferred_part] if rng.random() < 0.7 else None
    created_floor = customer.created_at
    for shift in (0, 1, 2, 3):
        visit_day = wanted + timedelta(days=shift)
        if visit_day >= day or visit_day < window_start:
            continue
        if local_instant(visit_day, 1440, salon.zone) <= created_floor:
            continue
        for staff_id in performers:
            add_on = catalog.add_on_for(main, staff_id)
            add_on = add_on if add_on and rng.random() < ADD_ON_RATE.get(catalog.specs[add_on.id].key, 0) else None
            length = main.duration_minutes + (add_on.duration_minutes if add_on else 0)
            spans = calendar.spans(staff_id, visit_day)
            start = first_free_start(rng, spans, calendar.busy(staff_id, visit_day), length, window)
            if start is None:
                continue
            if local_instant(visit_day, start, salon.zone) <= created_floor:
                continue
            calendar.book(staff_id, visit_day, start, start + length)
            result = [Slot(main, staff_id, visit_day, start)]
            if add_on:
                result.append(Slot(add_on, staff_id, visit_day, start + main.duration_minutes))
            return result
    return None


def _with_outcomes(
    rng: random.Random, salon: Salon, customer: Customer, profile: Profile, visits: list[list[Slot]],
    as_of: datetime,
) -> list[Booking]:
    """Decide each visit's outcome, creation time, source, confirmation and price."""
    outcomes: list[str] = []
    for _ in visits:
        draw = rng.random()
        no_show = PRONE_NO_SHOW if profile.no_show_prone else BASE_NO_SHOW
        late = PRONE_LATE_CANCEL if profile.late_canceller else BASE_LATE_CANCEL
        if draw < no_show:
            outcomes.append("no_show")
        elif draw < no_show + late:
            outcomes.append("late_cancel")
        elif draw < no_show + late + EARLY_CANCEL:
            outcomes.append("early_cancel")
        else:
            outcomes.append("completed")
    if visits and profile.no_show_prone and "no_show" not in outcomes:
        outcomes[rng.randrange(len(visits))] = "no_show"
    if visits and profile.late_canceller and "late_cancel" not in outcomes:
        outcomes[rng.randrange(len(visits))] = "late_cancel"
    if profile.persona == "lapsing":
        # A steady rhythm until they stopped; half of them missed that last appointment and never rebooked.
        outcomes = ["completed"] * len(visits)
        if len(visits) >= 3 and rng.random() < 0.5:
            outcomes[-1] = "no_show"
    result: list[Booking] = []
    for visit, outcome in zip(visits, outcomes, strict=True):
        result.extend(_finish_visit(rng, salon, customer, visit, outcome, as_of))
    return result


def _finish_visit(rng: random.Random, salon: Salon, customer: Customer, visit: list[Slot], outcome: str,
                  as_of: datetime) -> list[Booking]:
    zone = salon.zone
    first_start = local_instant(visit[0].day, visit[0].start, zone)
    walk_in = outcome == "completed" and rng.random() < 0.25
    if walk_in:
        source = BookingSource.WALK_IN
        created = first_start - timedelta(minutes=rng.randint(5, 30))
    else:
        source = pick(rng, _ONLINE_SOURCES, _ONLINE_SOURCE_WEIGHTS)
        created = first_start - timedelta(hours=rng.uniform(2, 12 * 24))
    cancelled_at = None
    if outcome == "late_cancel":
        cancelled_at = first_start - timedelta(hours=rng.uniform(1, 20))
    elif outcome == "early_cancel":
        cancelled_at = first_start - timedelta(hours=rng.uniform(26, 5 * 24))
    if cancelled_at is not None and created >= cancelled_at:
        created = cancelled_at - timedelta(hours=rng.uniform(6, 72))
    created = max(created, customer.created_at)
    if cancelled_at is not None:
        cancelled_at = max(cancelled_at, created + timedelta(minutes=5))
    discounted = not walk_in and outcome == "completed" and rng.random() < FESTIVE_DISCOUNT_SHARE
    if outcome == "completed":
        confirmation = ConfirmationStatus.NOT_REQUESTED if walk_in else pick(rng, _CONFIRMATIONS, _CONFIRMATION_WEIGHTS)
    elif outcome == "no_show":
        confirmation = rng.choice((ConfirmationStatus.REQUESTED, ConfirmationStatus.NOT_REQUESTED))
    else:
        confirmation = rng.choice((ConfirmationStatus.NOT_REQUESTED, ConfirmationStatus.DECLINED))
    finished: list[Booking] = []
    for slot in visit:
        start = local_instant(slot.day, slot.start, zone)
        end = local_instant(slot.day, slot.start + slot.service.duration_minutes, zone)
        price = slot.service.price_paise
        discount = discount_paise(price, FESTIVE_DISCOUNT_PERCENT) if discounted else 0
        if outcome == "completed":
            status, updated = BookingStatus.COMPLETED, min(end + timedelta(minutes=rng.randint(0, 10)), as_of)
        elif outcome == "no_show":
            status, updated = BookingStatus.NO_SHOW, min(start + timedelta(minutes=30), as_of)
        else:
            assert cancelled_at is not None
            status, updated = BookingStatus.CANCELLED, cancelled_at
        finished.append(Booking(
            id=booking_id(salon.id, slot.staff_id, slot.day, slot.start),
            salon_id=salon.id,
            customer_id=customer.id,
            staff_id=slot.staff_id,
            service_id=slot.service.id,
            start_time=start,
            end_time=end,
            status=status,
            price_paise=price - discount,
            discount_paise=discount,
            source=source,
            confirmation_status=confirmation,
            late_cancellation=outcome == "late_cancel",
            cancelled_at=cancelled_at,
            created_at=created,
            updated_at=updated,
        ))
    return finished
