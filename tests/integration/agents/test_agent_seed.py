"""Seeding a small IST salon through the real repositories, and recording doubles for the side-effect ports."""

from __future__ import annotations

import itertools
import threading
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.domain.bookings import Booking
from salonflow.domain.customer_scores import CustomerScore, Preferences, VisitFrequency
from salonflow.domain.customers import ConsentRecord, Customer
from salonflow.domain.enums import (
    BookingSource,
    BookingStatus,
    ConsentChannel,
    ConsentSource,
    CustomerSegment,
    MessageCategory,
    Weekday,
)
from salonflow.domain.ids import customer_score_id
from salonflow.domain.salon import Salon
from salonflow.domain.schedule import TimeRange
from salonflow.domain.services import Service
from salonflow.domain.staff import Staff
from salonflow.ports import (
    CallResult,
    MessageChannel,
    MessageSnapshot,
    Outcome,
    PublishResult,
    SendResult,
)
from salonflow.services.ports import ServicePorts

IST = ZoneInfo("Asia/Kolkata")
DAY = date(2026, 1, 14)
SALON = "salon_test"
SEEDED_AT = datetime(2025, 6, 1, tzinfo=IST)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=IST)


class RecordingSender:
    """MessageSender double: accepts everything and remembers it (thread-safe)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def send_whatsapp(self, to: str, *, template: Any, body: str | None, last_inbound_at: datetime | None,
                      now: datetime, status_callback: str) -> SendResult:
        with self._lock:
            sid = f"SM{next(self._ids):032d}"
            self.messages.append({"to": to, "template": template, "body": body, "sid": sid})
        return SendResult(outcome=Outcome.sent(), channel=MessageChannel.WHATSAPP, sid=sid, status="queued")

    def send_sms(self, to: str, body: str, *, dlt: Any, status_callback: str) -> SendResult:
        raise AssertionError("no SMS expected")

    def start_call(self, to: str, *, status_callback: str, twiml_url: str | None = None,
                   twiml: str | None = None) -> CallResult:
        with self._lock:
            sid = f"CA{next(self._ids):032d}"
            self.calls.append({"to": to, "twiml_url": twiml_url, "sid": sid})
        return CallResult(outcome=Outcome.sent(), sid=sid, status="queued")

    def fetch_message(self, sid: str) -> MessageSnapshot | None:
        return None

    def find_messages_to(self, to: str, *, since: datetime) -> list[MessageSnapshot]:
        return []

    def to(self, phone: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["to"] == phone]


class RecordingPublisher:
    def __init__(self) -> None:
        self.events: list[Any] = []
        self._lock = threading.Lock()

    def publish(self, event: Any) -> PublishResult:
        with self._lock:
            self.events.append(event)
        return PublishResult(event_id=event.event_id, message_id=str(len(self.events)))

    def types(self) -> list[str]:
        return [e.event_type.value for e in self.events]


def ports() -> tuple[ServicePorts, RecordingSender, RecordingPublisher]:
    sender, publisher = RecordingSender(), RecordingPublisher()
    return ServicePorts(messages=sender, events=publisher), sender, publisher


def full_week(start: str, end: str) -> dict[Weekday, list[TimeRange]]:
    return {d: [TimeRange(start=time.fromisoformat(start), end=time.fromisoformat(end))] for d in Weekday}


def seed_salon(client: Any, *, gap_fill: str = "full_auto", holdout: float = 0.0, **extra: Any) -> SalonRepositories:
    repos = SalonRepositories(client, SALON)
    repos.salon.save(Salon(
        id=SALON, name="Glow Studio", opening_hours=full_week("10:00", "20:00"),
        autonomy={"gap_fill": gap_fill, "no_show_prevention": "full_auto", "waitlist_promotion": "full_auto",
                  "discount_offer": "supervised", "dynamic_pricing": "supervised"},
        holdout_share=holdout, created_at=SEEDED_AT, updated_at=SEEDED_AT, **extra))
    repos.services.save(Service(id="svc_cut", salon_id=SALON, name="Haircut", category="hair", duration_minutes=60,
                                price_paise=50_000, staff_ids=["staff_rahul"], created_at=SEEDED_AT,
                                updated_at=SEEDED_AT))
    repos.staff.save(Staff(id="staff_rahul", salon_id=SALON, name="Rahul Kumar",
                           working_hours=full_week("10:00", "19:00"), service_ids=["svc_cut"],
                           created_at=SEEDED_AT, updated_at=SEEDED_AT))
    return repos


def consent(*channels: ConsentChannel, marketing: bool = False) -> dict[Any, Any]:
    record = ConsentRecord(granted=True, granted_at=SEEDED_AT, source=ConsentSource.IN_SALON, updated_at=SEEDED_AT)
    cats = [MessageCategory.SERVICE, *([MessageCategory.MARKETING] if marketing else [])]
    return {ch: {c: record for c in cats} for ch in channels}


def seed_customer(repos: SalonRepositories, cid: str, name: str, phone: str, *, due: bool = True,
                  channels: tuple[ConsentChannel, ...] = (ConsentChannel.WHATSAPP,)) -> None:
    repos.customers.save(Customer(id=cid, salon_id=SALON, name=name, phone=phone, consent=consent(*channels),
                                  created_at=SEEDED_AT, updated_at=SEEDED_AT))
    if due:
        last = DAY - timedelta(days=30)
        repos.customer_scores.upsert(CustomerScore(
            id=customer_score_id(cid), salon_id=SALON, customer_id=cid, segment=CustomerSegment.REGULAR,
            visit_frequency=VisitFrequency(total_visits=6, last_90_days=3, average_days_between=30.0,
                                           last_visit=last, next_predicted=last + timedelta(days=30)),
            preferences=Preferences(preferred_staff=["staff_rahul"], preferred_services=["svc_cut"]),
            created_at=SEEDED_AT, updated_at=SEEDED_AT))


def book(repos: SalonRepositories, bid: str, start: datetime, cid: str = "cust_walkin",
         status: BookingStatus = BookingStatus.BOOKED, **extra: Any) -> Booking:
    booking = Booking(id=bid, salon_id=SALON, customer_id=cid, staff_id="staff_rahul", service_id="svc_cut",
                      start_time=start, end_time=start + timedelta(hours=1), status=status, price_paise=50_000,
                      source=BookingSource.PHONE, created_at=start - timedelta(days=5),
                      updated_at=start - timedelta(days=5), **extra)
    repos.bookings.save(booking)
    return booking


def full_day(repos: SalonRepositories) -> None:
    """Rahul booked 10:00-19:00 back to back."""
    for hour in range(10, 19):
        book(repos, f"bkg_{hour}", at(hour))
