"""A deterministic, believable Indian salon for `make demo`, the end-to-end tests and the benchmarks.

`build_salon(seed, salon_id=..., day=...)` is pure: the same arguments always give the same documents, as
validated domain models (no dicts, no I/O, no clock: "now" is the start of `day` in the salon's timezone).
`write_salon(client, dataset)` stores them through the salon-scoped repositories in batches.
The helpers in `salonflow_demo.seed_picks` (re-exported here) find the bookings and customers a scripted demo
day needs: a booking to cancel, the likely no-show, a lapsing regular, a waitlisted customer with a free slot.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud.firestore_v1.batch import WriteBatch
from google.cloud.firestore_v1.client import Client
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.agents.scores import compute_customer_score
from salonflow.agents.snapshot import AgentSettings, BookingView, CustomerView
from salonflow.domain.agent_state import AGENT_NAMES, AgentState
from salonflow.domain.bookings import Booking
from salonflow.domain.customer_scores import CustomerScore
from salonflow.domain.customers import Customer
from salonflow.domain.enums import ApproverChannel, BookingStatus, MessageIntent, SalonRole, Weekday
from salonflow.domain.ids import deterministic_id
from salonflow.domain.salon import DEFAULT_AUTONOMY, ApproverContact, OfferSettings, QuietHours, Salon
from salonflow.domain.schedule import Leave, TimeRange
from salonflow.domain.services import Service
from salonflow.domain.staff import Staff
from salonflow.domain.waitlist import WaitlistEntry

from salonflow_demo.seed_catalog import (
    CATALOG,
    LEAVE_REASONS,
    LOCALITIES,
    MEN_FIRST,
    PARTIAL_LEAVE_REASONS,
    ROSTER,
    SALON_NAMES,
    SURNAMES,
    WOMEN_FIRST,
    Role,
    ServiceSpec,
    full_name,
)
from salonflow_demo.seed_day import (
    AHEAD_OCCUPANCY,
    TARGET_OCCUPANCY,
    Clientele,
    CustomerPicker,
    book_upcoming_day,
    build_waitlist,
    plant_likely_no_show,
)
from salonflow_demo.seed_history import Calendar, Catalog, build_history
from salonflow_demo.seed_people import Profile, build_customers, unique_phone
from salonflow_demo.seed_picks import (
    WaitlistMatch,
    booking_to_cancel,
    free_slots,
    lapsing_regular,
    lapsing_regulars,
    likely_no_show,
    waitlist_entries_for_slot,
    waitlist_match,
)
from salonflow_demo.seed_schedule import local_instant

__all__ = [
    "BATCH_LIMIT",
    "SalonDataset",
    "WaitlistMatch",
    "booking_to_cancel",
    "build_salon",
    "free_slots",
    "lapsing_regular",
    "lapsing_regulars",
    "likely_no_show",
    "waitlist_entries_for_slot",
    "waitlist_match",
    "write_salon",
]

BATCH_LIMIT = 500  # Firestore's maximum writes per batch
OPENING: dict[Weekday, list[tuple[time, time]]] = {
    Weekday.MONDAY: [(time(11), time(17))],  # the short day; most of the team is off
    **{d: [(time(10), time(20))] for d in Weekday if d is not Weekday.MONDAY},
}
SHIFTS = (
    ((time(10), time(19)), (time(13, 30), time(14, 15))),  # early shift, lunch
    ((time(11), time(20)), (time(14, 30), time(15, 15))),  # late shift, lunch
)
MONDAY_SHIFT = ((time(11), time(17)), (time(13, 30), time(14)))
_WOMENS_ROLES = frozenset({"beautician", "nail_technician", "makeup_artist"})
_TUE_TO_THU = (Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY)


@dataclass(frozen=True)
class SalonDataset:
    """One salon's documents as of the start of `day`, plus the generator's intent per customer."""

    seed: int
    day: date
    as_of: datetime  # the start of `day` in the salon's timezone: every document was written before it
    salon: Salon
    staff: tuple[Staff, ...]
    services: tuple[Service, ...]
    customers: tuple[Customer, ...]
    bookings: tuple[Booking, ...]
    waitlist: tuple[WaitlistEntry, ...]
    customer_scores: tuple[CustomerScore, ...]
    agent_states: tuple[AgentState, ...]
    profiles: Mapping[str, Profile] = field(repr=False)

    @property
    def zone(self) -> ZoneInfo:
        return self.salon.zone

    @cached_property
    def staff_by_id(self) -> dict[str, Staff]:
        return {s.id: s for s in self.staff}

    @cached_property
    def services_by_id(self) -> dict[str, Service]:
        return {s.id: s for s in self.services}

    @cached_property
    def customers_by_id(self) -> dict[str, Customer]:
        return {c.id: c for c in self.customers}

    @cached_property
    def scores_by_customer(self) -> dict[str, CustomerScore]:
        return {s.customer_id: s for s in self.customer_scores}

    @cached_property
    def bookings_by_customer(self) -> dict[str, list[Booking]]:
        grouped: dict[str, list[Booking]] = {}
        for booking in sorted(self.bookings, key=lambda b: (b.start_time, b.id)):
            grouped.setdefault(booking.customer_id, []).append(booking)
        return grouped

    def bookings_on(self, day: date) -> list[Booking]:
        """Bookings starting on a salon-local date, by start time."""
        start, end = local_instant(day, 0, self.zone), local_instant(day + timedelta(days=1), 0, self.zone)
        return sorted((b for b in self.bookings if start <= b.start_time < end), key=lambda b: (b.start_time, b.id))

    @property
    def history(self) -> list[Booking]:
        """Bookings before the demo day."""
        return [b for b in self.bookings if b.start_time < self.as_of]

    def counts(self) -> dict[str, int]:
        """Documents per collection, as `write_salon` reports them."""
        return {
            "salon": 1,
            "staff": len(self.staff),
            "services": len(self.services),
            "customers": len(self.customers),
            "bookings": len(self.bookings),
            "waitlist": len(self.waitlist),
            "customer_scores": len(self.customer_scores),
            "agent_states": len(self.agent_states),
        }


def build_salon(
    seed: int,
    *,
    salon_id: str,
    day: date,
    staff: int = 6,
    services: int = 15,
    customers: int = 400,
    bookings_per_day: int | None = None,
    history_days: int = 180,
    timezone: str = "Asia/Kolkata",
    ahead_days: int = 2,
    whatsapp_sender: str | None = None,
    agent_states: bool = True,
    waitlist: int | None = None,
    ahead_share: float = 0.7,
) -> SalonDataset:
    """A whole salon, deterministic for `seed`.

    `day` is the demo day: filled to 70-85 % of each working staff member's time, or with `bookings_per_day`
    bookings in all. The `ahead_days` after it are filled less (45-65 %, or `ahead_share` of `bookings_per_day`), as
    the agents look two days ahead for gaps; a simulated month books every day fully (`ahead_share=1`).
    History covers the `history_days` before `day`.
    """
    if staff < 1 or not 1 <= services <= len(CATALOG) or customers < 1 or history_days < 0 or ahead_days < 0:
        raise ValueError(f"need staff >= 1, 1 <= services <= {len(CATALOG)}, customers >= 1, non-negative days")
    zone = ZoneInfo(timezone)
    as_of = local_instant(day, 0, zone)
    taken_phones: set[str] = set()
    salon = _salon(random.Random(f"{seed}:salon"), salon_id, seed, timezone, as_of, taken_phones, whatsapp_sender)

    team_rng = random.Random(f"{seed}:team")
    staff_ids = [deterministic_id("staff", salon_id, seed, i) for i in range(staff)]
    specs = CATALOG[:services]
    service_ids = {spec.key: deterministic_id("svc", salon_id, seed, spec.key) for spec in specs}
    roles = [ROSTER[i % len(ROSTER)] for i in range(staff)]
    performers = _performers(specs, staff_ids, roles)
    service_models = [_service(spec, service_ids[spec.key], performers[spec.key], salon_id, as_of) for spec in specs]
    staff_models = _staff(team_rng, salon, staff_ids, roles, service_models, day, as_of, history_days, ahead_days,
                          taken_phones)

    people_rng = random.Random(f"{seed}:people")
    customer_models, profiles = build_customers(people_rng, salon_id=salon_id, seed=seed, count=customers, as_of=as_of,
                                                history_days=history_days, taken_phones=taken_phones)

    calendar = Calendar(salon, {s.id: s for s in staff_models})
    catalog = Catalog({s.id: s for s in service_models}, {service_ids[spec.key]: spec for spec in specs})
    history = build_history(random.Random(f"{seed}:history"), salon=salon, calendar=calendar, catalog=catalog,
                            customers=customer_models, profiles=profiles, day=day, as_of=as_of,
                            history_days=history_days)
    last_visit: dict[str, date] = {}
    past_no_shows: Counter[str] = Counter()
    for booking in history.bookings:
        if booking.status is BookingStatus.COMPLETED:
            local_day = booking.start_time.astimezone(zone).date()
            last_visit[booking.customer_id] = max(last_visit.get(booking.customer_id, local_day), local_day)
        elif booking.status is BookingStatus.NO_SHOW:
            past_no_shows[booking.customer_id] += 1

    clientele = Clientele({c.id: c for c in customer_models}, profiles, history.habits, last_visit)
    upcoming_rng = random.Random(f"{seed}:upcoming")
    picker = CustomerPicker(upcoming_rng, clientele, day)
    upcoming: list[Booking] = []
    for offset in range(ahead_days + 1):
        booked_day = day + timedelta(days=offset)
        count = bookings_per_day if offset == 0 or bookings_per_day is None else round(ahead_share * bookings_per_day)
        day_bookings = book_upcoming_day(
            upcoming_rng, salon=salon, staff=staff_models, calendar=calendar, catalog=catalog, picker=picker,
            clientele=clientele, day=booked_day, as_of=as_of,
            occupancy=TARGET_OCCUPANCY if offset == 0 else AHEAD_OCCUPANCY, count=count,
            confirmed_share=0.55 if offset == 0 else 0.25,
        )
        if offset == 0:
            day_bookings = plant_likely_no_show(upcoming_rng, day_bookings, clientele, past_no_shows, picker, salon,
                                                day, as_of, catalog)
        upcoming.extend(day_bookings)

    waitlist_count = waitlist if waitlist is not None else max(3, min(10, customers // 60))
    entries = build_waitlist(
        random.Random(f"{seed}:waitlist"), salon=salon, staff=staff_models, calendar=calendar, catalog=catalog,
        picker=picker, clientele=clientele, days=[day + timedelta(days=n) for n in range(ahead_days + 1)],
        as_of=as_of, count=waitlist_count,
    )
    scores = _scores(salon, customer_models, history.bookings, as_of)
    states = tuple(
        AgentState.initial(salon_id, name, now=as_of, today=day).with_changes(next_scheduled=as_of)
        for name in AGENT_NAMES
    ) if agent_states else ()
    return SalonDataset(
        seed=seed, day=day, as_of=as_of, salon=salon, staff=tuple(staff_models), services=tuple(service_models),
        customers=tuple(customer_models), bookings=tuple(history.bookings + upcoming), waitlist=tuple(entries),
        customer_scores=scores, agent_states=states, profiles=profiles,
    )


def _content_sid(*parts: object) -> str:
    return "HX" + hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:32]


def _person(rng: random.Random) -> str:
    gender = "women" if rng.random() < 0.5 else "men"
    return full_name(rng.choice(WOMEN_FIRST if gender == "women" else MEN_FIRST), rng.choice(SURNAMES), gender)


def _salon(
    rng: random.Random, salon_id: str, seed: int, timezone: str, as_of: datetime, taken_phones: set[str],
    whatsapp_sender: str | None,
) -> Salon:
    name = f"{rng.choice(SALON_NAMES)}, {rng.choice(LOCALITIES)}"
    if whatsapp_sender:
        taken_phones.add(whatsapp_sender)
    sender = whatsapp_sender or unique_phone(rng, taken_phones)
    owner, manager = _person(rng), _person(rng)
    created = as_of - timedelta(days=900)
    return Salon(
        id=salon_id,
        name=name,
        timezone=timezone,
        opening_hours={day: [TimeRange(start=s, end=e) for s, e in ranges] for day, ranges in OPENING.items()},
        autonomy=dict(DEFAULT_AUTONOMY),
        quiet_hours=QuietHours(),
        approvers=[
            ApproverContact(name=owner, phone=unique_phone(rng, taken_phones), role=SalonRole.OWNER,
                            channels=[ApproverChannel.WHATSAPP, ApproverChannel.PUSH],
                            user_id=f"uid_owner_{salon_id}"),
            ApproverContact(name=manager, phone=unique_phone(rng, taken_phones), role=SalonRole.MANAGER,
                            channels=[ApproverChannel.WHATSAPP], user_id=f"uid_manager_{salon_id}"),
        ],
        whatsapp_templates={intent.value: _content_sid(salon_id, seed, intent.value) for intent in MessageIntent},
        whatsapp_sender=sender,
        sms_sender_id="".join(ch for ch in name.upper() if ch.isalpha())[:6].ljust(6, "X"),
        holdout_share=0.10,
        offers=OfferSettings(allowed=True, max_discount_percent=20),
        created_at=created,
        updated_at=as_of - timedelta(days=3),
    )


def _performers(specs: tuple[ServiceSpec, ...], staff_ids: list[str], roles: list[Role]) -> dict[str, list[str]]:
    """Who performs each service: by role; a small team's senior stylist covers what nobody else does."""
    result: dict[str, list[str]] = {}
    for spec in specs:
        result[spec.key] = [sid for sid, role in zip(staff_ids, roles, strict=True) if role in spec.roles] or [staff_ids[0]]
    return result


def _service(spec: ServiceSpec, service_id: str, staff_ids: list[str], salon_id: str, as_of: datetime) -> Service:
    price = spec.price_rupees * 100
    return Service(
        id=service_id, salon_id=salon_id, name=spec.name, category=spec.category,
        duration_minutes=spec.duration_minutes, price_paise=price, cost_paise=round(price * spec.cost_share),
        staff_ids=staff_ids, is_add_on=spec.add_on, created_at=as_of - timedelta(days=800),
        updated_at=as_of - timedelta(days=40),
    )


def _staff(
    rng: random.Random, salon: Salon, staff_ids: list[str], roles: list[Role], services: list[Service], day: date,
    as_of: datetime, history_days: int, ahead_days: int, taken_phones: set[str],
) -> list[Staff]:
    """Six-day weeks in two shifts with a lunch break. Weekly offs avoid the demo day so the whole team is in;
    one person leaves early on the demo day, one is on leave the day after, one took a week off in the past."""
    women, men = list(WOMEN_FIRST), list(MEN_FIRST)
    rng.shuffle(women)
    rng.shuffle(men)
    surnames = list(SURNAMES)
    rng.shuffle(surnames)
    members: list[Staff] = []
    for index, (staff_id, role) in enumerate(zip(staff_ids, roles, strict=True)):
        (shift, lunch) = SHIFTS[(index // 2) % 2]
        works_monday = index % 2 == 1
        off_choices = [d for d in _TUE_TO_THU if d is not Weekday.of(day)]
        weekly_off = rng.choice(off_choices) if works_monday else Weekday.MONDAY
        hours: dict[Weekday, list[TimeRange]] = {}
        breaks: dict[Weekday, list[TimeRange]] = {}
        for weekday in Weekday:
            if weekday is weekly_off:
                continue
            (work, pause) = MONDAY_SHIFT if weekday is Weekday.MONDAY else (shift, lunch)
            hours[weekday] = [TimeRange(start=work[0], end=work[1])]
            breaks[weekday] = [TimeRange(start=pause[0], end=pause[1])]
        # Barbers in Indian salons are men; beauty and nail work is mostly done by women.
        gender = "men" if role == "barber" else "women" if role in _WOMENS_ROLES or rng.random() < 0.5 else "men"
        pool = men if gender == "men" else women
        first = pool.pop() if pool else rng.choice(MEN_FIRST if gender == "men" else WOMEN_FIRST)
        members.append(Staff(
            id=staff_id, salon_id=salon.id, name=full_name(first, surnames[index % len(surnames)], gender),
            phone=unique_phone(rng, taken_phones), working_hours=hours, breaks=breaks,
            service_ids=[s.id for s in services if staff_id in s.staff_ids],
            created_at=as_of - timedelta(days=rng.randint(200, 800)), updated_at=as_of - timedelta(days=rng.randint(5, 60)),
        ))
    return _with_leave(rng, members, salon.zone, day, history_days, ahead_days)


def _with_leave(
    rng: random.Random, members: list[Staff], zone: ZoneInfo, day: date, history_days: int, ahead_days: int,
) -> list[Staff]:
    leave: dict[int, list[Leave]] = {}
    order = list(range(len(members)))
    rng.shuffle(order)
    if history_days >= 40:
        first = day - timedelta(days=rng.randint(30, history_days - 10))
        leave.setdefault(order[0], []).append(Leave(
            start=local_instant(first, 0, zone), end=local_instant(first + timedelta(days=rng.randint(4, 6)), 0, zone),
            reason=rng.choice(LEAVE_REASONS)))
    if ahead_days >= 1 and len(members) >= 2:
        tomorrow = day + timedelta(days=1)
        leave.setdefault(order[1], []).append(Leave(
            start=local_instant(tomorrow, 0, zone), end=local_instant(tomorrow + timedelta(days=1), 0, zone),
            reason=rng.choice(LEAVE_REASONS)))
    working_today = [i for i in order[2:] if members[i].shifts_on(day)]
    if len(members) >= 3 and working_today:
        who = working_today[0]
        shift_end = max(r.end for r in members[who].shifts_on(day))
        leave_start = min(time(16), shift_end)
        if leave_start > time(12):
            leave.setdefault(who, []).append(Leave(
                start=local_instant(day, leave_start.hour * 60 + leave_start.minute, zone),
                end=local_instant(day, shift_end.hour * 60 + shift_end.minute, zone),
                reason=rng.choice(PARTIAL_LEAVE_REASONS)))
    return [m.with_changes(leave=leave.get(i, [])) if i in leave else m for i, m in enumerate(members)]


def _scores(salon: Salon, customers: list[Customer], history: list[Booking], as_of: datetime) -> tuple[CustomerScore, ...]:
    """Scores as the agents compute them, for every customer with a past booking."""
    settings = AgentSettings(holdout_share=float(salon.holdout_share), offers_allowed=salon.offers.allowed,
                             max_discount_percent=salon.offers.max_discount_percent)
    by_customer: dict[str, list[BookingView]] = {}
    for b in history:
        by_customer.setdefault(b.customer_id, []).append(BookingView(
            id=b.id, customer_id=b.customer_id, staff_id=b.staff_id, service_id=b.service_id, start=b.start_time,
            end=b.end_time, status=b.status, price_paise=b.price_paise, created_at=b.created_at,
            confirmation_status=b.confirmation_status, cancelled_at=b.cancelled_at))
    scores: list[CustomerScore] = []
    for customer in customers:
        views = by_customer.get(customer.id)
        if not views:
            continue
        consent = frozenset((channel.value, category) for channel, per_category in customer.consent.items()
                            for category, record in per_category.items() if record.granted)
        view = CustomerView(id=customer.id, name=customer.name, phone=customer.phone, language=customer.language,
                            consent=consent)
        scores.append(compute_customer_score(salon.id, view, views, (), as_of, salon.zone, settings,
                                             created_at=customer.created_at))
    return tuple(scores)


class _Batcher:
    """Stages writes and commits every BATCH_LIMIT of them."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._batch: WriteBatch = client.batch()
        self._staged = 0

    def stage(self, write: Callable[[WriteBatch], None]) -> None:
        write(self._batch)
        self._staged += 1
        if self._staged == BATCH_LIMIT:
            self.flush()

    def flush(self) -> None:
        if self._staged:
            self._batch.commit()
            self._batch, self._staged = self._client.batch(), 0


def write_salon(client: Client, dataset: SalonDataset) -> dict[str, int]:
    """Store every document (replacing what is there, so seeding twice gives the same data); counts per collection."""
    repos = SalonRepositories(client, dataset.salon.id)
    batcher = _Batcher(client)
    counts: Counter[str] = Counter()

    def put(collection: str, save: Callable[[Any, WriteBatch], None], model: Any) -> None:
        batcher.stage(lambda batch: save(model, batch))
        counts[collection] += 1

    put("salon", repos.salon.save, dataset.salon)
    for member in dataset.staff:
        put("staff", repos.staff.save, member)
    for service in dataset.services:
        put("services", repos.services.save, service)
    for customer in dataset.customers:
        put("customers", repos.customers.save, customer)
    for booking in dataset.bookings:
        put("bookings", repos.bookings.save, booking)
    for entry in dataset.waitlist:
        put("waitlist", repos.waitlist.save, entry)
    for score in dataset.customer_scores:
        put("customer_scores", repos.customer_scores.save, score)
    for state in dataset.agent_states:
        put("agent_states", repos.agent_states.save, state)
    batcher.flush()
    return {name: counts.get(name, 0) for name in dataset.counts()}

