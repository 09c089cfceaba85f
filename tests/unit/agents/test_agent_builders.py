"""Hand-built salon snapshots for the agent unit tests (no I/O): a small IST salon with a fixed clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from salonflow.agents.snapshot import (
    AgentSettings,
    BookingView,
    CustomerView,
    GapView,
    Interval,
    OutreachView,
    SalonSnapshot,
    SalonView,
    ScoreView,
    ServiceView,
    Span,
    StaffView,
    WaitlistView,
)
from salonflow.domain.enums import BookingStatus, Channel, MessageCategory, OutreachStatus, Weekday

IST = ZoneInfo("Asia/Kolkata")
DAY = date(2026, 1, 14)  # a Wednesday
ALL_DAYS = tuple(Weekday)
ALL_CONSENT = frozenset({(Channel.WHATSAPP, MessageCategory.SERVICE), (Channel.WHATSAPP, MessageCategory.MARKETING),
                         ("voice", MessageCategory.SERVICE)})


def at(hour: int, minute: int = 0, day: date = DAY, zone: ZoneInfo = IST) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def span(a: str, b: str) -> Span:
    return Span(time.fromisoformat(a), time.fromisoformat(b))


def salon(zone: str = "Asia/Kolkata", opening: tuple[str, str] = ("10:00", "20:00"), **settings: object) -> SalonView:
    return SalonView(
        id="salon_1", name="Glow Studio", timezone=zone,
        opening_hours={d: (span(*opening),) for d in ALL_DAYS},
        # No holdout unless a test asks for one: the draw would otherwise decide which gaps a test sees.
        settings=AgentSettings(**{"holdout_share": 0.0, **settings}),  # type: ignore[arg-type]
    )


def staff(staff_id: str = "staff_rahul", name: str = "Rahul Kumar", hours: tuple[str, str] = ("10:00", "19:00"),
          breaks: tuple[tuple[str, str], ...] = (("13:00", "14:00"),), leave: tuple[Interval, ...] = (),
          services: tuple[str, ...] = ("svc_cut", "svc_color", "svc_trim", "svc_massage")) -> StaffView:
    return StaffView(
        id=staff_id, name=name,
        working_hours={d: (span(*hours),) for d in ALL_DAYS},
        breaks={d: tuple(span(*b) for b in breaks) for d in ALL_DAYS},
        leave=leave, service_ids=frozenset(services),
    )


SERVICES = {
    "svc_cut": ServiceView("svc_cut", "Haircut", 60, 50_000),
    "svc_color": ServiceView("svc_color", "Hair colour", 120, 250_000),
    "svc_trim": ServiceView("svc_trim", "Beard trim", 30, 20_000),
    "svc_massage": ServiceView("svc_massage", "Head massage", 15, 30_000, is_addon=True),
}


def customer(cid: str, name: str = "Priya Sharma", consent: frozenset = ALL_CONSENT, **kw: object) -> CustomerView:
    return CustomerView(id=cid, name=name, phone="+919876543210", consent=consent, **kw)  # type: ignore[arg-type]


def booking(bid: str, start: datetime, minutes: int = 60, staff_id: str = "staff_rahul", cid: str = "cust_x",
            service: str = "svc_cut", status: BookingStatus = BookingStatus.BOOKED, price: int = 50_000,
            created: datetime | None = None, **kw: object) -> BookingView:
    return BookingView(bid, cid, staff_id, service, start, start + timedelta(minutes=minutes), status, price,
                       created or start - timedelta(days=3), **kw)  # type: ignore[arg-type]


def gap(gid: str, start: datetime, end: datetime, staff_id: str = "staff_rahul",
        fittable: tuple[str, ...] = ("svc_color", "svc_cut", "svc_trim"), **kw: object) -> GapView:
    return GapView(gid, staff_id, start, end, services_fittable=fittable, **kw)  # type: ignore[arg-type]


def score(cid: str, **kw: object) -> ScoreView:
    return ScoreView(customer_id=cid, **kw)  # type: ignore[arg-type]


def waiting(wid: str, cid: str, created: datetime, service: str = "svc_cut", **kw: object) -> WaitlistView:
    return WaitlistView(wid, cid, service, created, **kw)  # type: ignore[arg-type]


def outreach(oid: str, cid: str, created: datetime, trigger: str | None = None,
             status: OutreachStatus = OutreachStatus.SENT, **kw: object) -> OutreachView:
    return OutreachView(oid, cid, kw.pop("outreach_type", "gap_fill"), status, created,  # type: ignore[arg-type]
                        trigger_id=trigger, **kw)  # type: ignore[arg-type]


def snapshot(**kw: object) -> SalonSnapshot:
    values: dict[str, object] = {"salon": salon(), "staff": {"staff_rahul": staff()}, "services": SERVICES}
    values.update(kw)
    return SalonSnapshot(**values)  # type: ignore[arg-type]
