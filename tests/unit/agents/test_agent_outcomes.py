from datetime import UTC, datetime, timedelta

from salonflow.agents.outcomes import Case, settle
from salonflow.domain.bookings import Booking
from salonflow.domain.enums import BookingSource, BookingStatus

DECIDED = datetime(2026, 1, 14, 5, 0, tzinfo=UTC)


def booking(bid: str, *, status: BookingStatus = BookingStatus.BOOKED, created: datetime = DECIDED,
            service: str = "svc_cut", price: int = 70_000) -> Booking:
    start = created + timedelta(days=2)
    return Booking(id=bid, salon_id="s", customer_id="c", staff_id="st", service_id=service, start_time=start,
                   end_time=start + timedelta(hours=1), status=status, price_paise=price,
                   source=BookingSource.WHATSAPP, created_at=created, updated_at=created)


def test_a_kept_appointment_settles_a_no_show_case_as_a_success_worth_its_price() -> None:
    kept = settle(Case("no_show_prevention_agent", DECIDED, booking("b", status=BookingStatus.COMPLETED)), [],
                  DECIDED + timedelta(days=3))
    assert kept is not None and (kept.status, kept.revenue) == ("success", 700)
    missed = settle(Case("no_show_prevention_agent", DECIDED, booking("b", status=BookingStatus.NO_SHOW)), [],
                    DECIDED)
    assert missed is not None and missed.status == "failed"
    assert settle(Case("no_show_prevention_agent", DECIDED, booking("b")), [], DECIDED) is None  # not over yet


def test_a_win_back_succeeds_when_the_customer_books_within_30_days_and_expires_after() -> None:
    case = Case("retention_agent", DECIDED)
    back = settle(case, [booking("old", created=DECIDED - timedelta(days=40)),
                         booking("new", created=DECIDED + timedelta(days=12))], DECIDED + timedelta(days=13))
    assert back is not None and (back.status, back.booking_id) == ("success", "new")
    assert settle(case, [], DECIDED + timedelta(days=29)) is None  # the window is still open
    gone = settle(case, [booking("late", created=DECIDED + timedelta(days=31))], DECIDED + timedelta(days=31))
    assert gone is not None and gone.status == "expired"


def test_an_upsell_counts_only_the_suggested_add_on() -> None:
    case = Case("upsell_agent", DECIDED, service_id="svc_spa")
    other = [booking("cut", created=DECIDED + timedelta(days=1))]
    assert settle(case, other, DECIDED + timedelta(days=2)) is None
    took = settle(case, [*other, booking("spa", service="svc_spa", price=40_000,
                                         created=DECIDED + timedelta(days=1))], DECIDED + timedelta(days=2))
    assert took is not None and (took.status, took.revenue) == ("success", 400)
