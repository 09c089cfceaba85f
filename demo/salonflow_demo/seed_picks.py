"""Finding the cases a scripted demo day needs in a seeded salon (pure functions of the dataset).

- `booking_to_cancel`: the next booking after a moment whose customer takes WhatsApp service messages;
- `likely_no_show`: the unconfirmed booking of the day the no-show agent rates riskiest (its own risk function);
- `lapsing_regulars` / `lapsing_regular`: regulars long past their usual interval, reachable for marketing;
- `waitlist_match`: a waiting customer whose wished window holds a slot that is free right now;
- `waitlist_entries_for_slot`: who on the waitlist would take a given slot (e.g. one a cancellation frees).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from salonflow.agents.no_show import no_show_risk
from salonflow.agents.snapshot import BookingView, CustomerView
from salonflow.domain.bookings import Booking
from salonflow.domain.customers import Customer
from salonflow.domain.enums import (
    ACTIVE_BOOKING_STATUSES,
    BookingStatus,
    ConfirmationStatus,
    ConsentChannel,
    CustomerSegment,
    MessageCategory,
    WaitlistStatus,
)
from salonflow.domain.schedule import Interval
from salonflow.domain.waitlist import WaitlistEntry

from salonflow_demo.seed_schedule import GRID, free_spans, local_instant, local_minute, subtract

if TYPE_CHECKING:
    from salonflow_demo.seed import SalonDataset

LAPSED_AFTER_INTERVALS = 2.0


@dataclass(frozen=True)
class WaitlistMatch:
    entry: WaitlistEntry
    staff_id: str
    start: datetime
    end: datetime


def free_slots(dataset: SalonDataset, staff_id: str, day: date) -> list[Interval]:
    """A staff member's free time on a salon-local date: working time minus breaks, leave and active bookings."""
    zone = dataset.zone
    spans = free_spans(dataset.staff_by_id[staff_id], dataset.salon, day)
    busy = [
        (local_minute(b.start_time, day, zone), local_minute(b.end_time, day, zone))
        for b in dataset.bookings_on(day) if b.staff_id == staff_id and b.status in ACTIVE_BOOKING_STATUSES
    ]
    return [Interval(start=local_instant(day, s, zone), end=local_instant(day, e, zone)) for s, e in subtract(spans, busy)]


def _is_add_on(dataset: SalonDataset, booking: Booking) -> bool:
    return dataset.services_by_id[booking.service_id].is_add_on


def _has_add_on(dataset: SalonDataset, booking: Booking, day_bookings: list[Booking]) -> bool:
    return any(b.staff_id == booking.staff_id and b.start_time == booking.end_time and _is_add_on(dataset, b)
               and b.customer_id == booking.customer_id for b in day_bookings)


def booking_to_cancel(
    dataset: SalonDataset, at: datetime, *, min_lead: timedelta = timedelta(minutes=60), exclude: Collection[str] = (),
) -> Booking | None:
    """The next active main booking of the demo day starting at least `min_lead` after `at` whose customer has
    WhatsApp consent for service messages (so the cancellation can be confirmed and the slot offered on)."""
    day_bookings = dataset.bookings_on(dataset.day)
    for booking in day_bookings:
        if (booking.status in ACTIVE_BOOKING_STATUSES and booking.start_time >= at + min_lead
                and booking.id not in exclude and not _is_add_on(dataset, booking)
                and not _has_add_on(dataset, booking, day_bookings)
                and dataset.customers_by_id[booking.customer_id].can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE)):
            return booking
    return None


def customer_view(dataset: SalonDataset, customer: Customer) -> CustomerView:
    """The agents' view of a customer, with lifetime counts from the seeded history."""
    past = [b for b in dataset.bookings_by_customer.get(customer.id, []) if b.start_time < dataset.as_of]
    consent = frozenset((channel.value, category) for channel, per_category in customer.consent.items()
                        for category, record in per_category.items() if record.granted)
    return CustomerView(
        id=customer.id, name=customer.name, phone=customer.phone, language=customer.language, consent=consent,
        last_inbound_at=customer.last_inbound_message_at,
        completed_visits=sum(b.status is BookingStatus.COMPLETED for b in past),
        no_shows=sum(b.status is BookingStatus.NO_SHOW for b in past),
        late_cancellations=sum(b.status is BookingStatus.CANCELLED and b.late_cancellation for b in past),
    )


def likely_no_show(dataset: SalonDataset, *, after: datetime | None = None, reachable: bool = True) -> Booking | None:
    """The unconfirmed booking of the demo day (starting after `after`) whose customer has missed appointments
    before, riskiest first by the no-show agent's own score; with `reachable`, only customers who take WhatsApp
    service messages (so the agent can ask them to confirm)."""
    ranked: list[tuple[int, datetime, str, Booking]] = []
    for booking in dataset.bookings_on(dataset.day):
        if booking.status is not BookingStatus.BOOKED or booking.confirmation_status is ConfirmationStatus.CONFIRMED:
            continue
        if (after is not None and booking.start_time <= after) or _is_add_on(dataset, booking):
            continue
        customer = dataset.customers_by_id[booking.customer_id]
        if reachable and not customer.can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE):
            continue
        view = customer_view(dataset, customer)
        if not view.no_shows:
            continue
        risk = no_show_risk(_booking_view(booking), view, booking.start_time.astimezone(dataset.zone).hour)
        ranked.append((-risk.score, booking.start_time, booking.id, booking))
    return min(ranked)[3] if ranked else None


def _booking_view(b: Booking) -> BookingView:
    return BookingView(id=b.id, customer_id=b.customer_id, staff_id=b.staff_id, service_id=b.service_id,
                       start=b.start_time, end=b.end_time, status=b.status, price_paise=b.price_paise,
                       created_at=b.created_at, confirmation_status=b.confirmation_status, cancelled_at=b.cancelled_at)


def lapsing_regulars(dataset: SalonDataset) -> list[Customer]:
    """Customers with three or more visits whose last visit is over twice their usual interval ago, with no
    upcoming booking and WhatsApp marketing consent; `at_risk` ones (what the retention agent acts on) first."""
    zone = dataset.zone
    found: list[tuple[int, int, str, Customer]] = []
    for customer in dataset.customers:
        if not customer.can_contact(ConsentChannel.WHATSAPP, MessageCategory.MARKETING):
            continue
        bookings = dataset.bookings_by_customer.get(customer.id, [])
        if any(b.status in ACTIVE_BOOKING_STATUSES and b.start_time >= dataset.as_of for b in bookings):
            continue
        days = sorted({b.start_time.astimezone(zone).date() for b in bookings if b.status is BookingStatus.COMPLETED})
        if len(days) < 3:
            continue
        usual = statistics.median((later - earlier).days for earlier, later in itertools.pairwise(days))
        if (dataset.day - days[-1]).days < LAPSED_AFTER_INTERVALS * usual:
            continue
        score = dataset.scores_by_customer.get(customer.id)
        at_risk = score is not None and score.segment is CustomerSegment.AT_RISK
        found.append((0 if at_risk else 1, -(score.churn_risk.score if score else 0), customer.id, customer))
    return [item[3] for item in sorted(found)]


def lapsing_regular(dataset: SalonDataset) -> Customer | None:
    regulars = lapsing_regulars(dataset)
    return regulars[0] if regulars else None


def waitlist_entries_for_slot(dataset: SalonDataset, staff_id: str, start: datetime, end: datetime) -> list[WaitlistEntry]:
    """Waiting entries (promotion order) whose service this staff member performs and fits in [start, end),
    starting at `start`, inside their wished windows."""
    fitting: list[WaitlistEntry] = []
    for entry in sorted(dataset.waitlist, key=lambda e: e.promotion_key()):
        service = dataset.services_by_id.get(entry.service_id)
        if entry.status is not WaitlistStatus.WAITING or service is None or staff_id not in service.staff_ids:
            continue
        slot_end = start + timedelta(minutes=service.duration_minutes)
        if slot_end <= end and entry.fits(staff_id, start, slot_end) and entry.expires_at > start:
            fitting.append(entry)
    return fitting


def waitlist_match(
    dataset: SalonDataset, *, at: datetime | None = None, min_lead: timedelta = timedelta(minutes=45),
) -> WaitlistMatch | None:
    """The first waiting customer (promotion order) with a free slot inside a wished window, starting at least
    `min_lead` after `at` (default: the start of the demo day) on the quarter-hour grid."""
    earliest = (at or dataset.as_of) + min_lead
    zone = dataset.zone
    for entry in sorted(dataset.waitlist, key=lambda e: e.promotion_key()):
        service = dataset.services_by_id.get(entry.service_id)
        if entry.status is not WaitlistStatus.WAITING or service is None:
            continue
        length = timedelta(minutes=service.duration_minutes)
        staff_ids = entry.preferred_staff_ids or sorted(service.staff_ids)
        days = sorted({w.start.astimezone(zone).date() for w in entry.preferred_windows}) or [dataset.day]
        for day in days:
            for staff_id in staff_ids:
                if staff_id not in service.staff_ids or staff_id not in dataset.staff_by_id:
                    continue
                for free in free_slots(dataset, staff_id, day):
                    minute = max(local_minute(max(free.start, earliest), day, zone), 0)
                    minute = -(-minute // GRID) * GRID
                    while True:
                        start = local_instant(day, minute, zone)
                        if start + length > free.end:
                            break
                        if entry.fits(staff_id, start, start + length) and entry.expires_at > start:
                            return WaitlistMatch(entry, staff_id, start, start + length)
                        minute += GRID
    return None
