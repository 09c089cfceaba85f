"""How a no-show, retention or upsell case ended, from the bookings alone -- treated or held out alike.

The lift net of the holdout compares the treated cases' success rate with the holdout's, so both sides must
be judged by the same observable fact, not by whether we sent something:

  no-show prevention  the appointment was kept (completed) -> success, worth its price; a no-show or a
                      cancellation -> failed. Judged once the appointment is over.
  retention           the customer booked again within 30 days of the decision -> success, worth that booking;
                      no booking by then -> expired.
  upsell              the customer booked the suggested add-on within 14 days -> success, worth it; else expired.

Gap cases are settled where gaps are detected (`GapService`), the moment a gap is filled or expires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from salonflow.domain.bookings import Booking
from salonflow.domain.enums import BookingStatus
from salonflow.domain.money import rupees_from_paise

SETTLED_AGENTS = ("no_show_prevention_agent", "retention_agent", "upsell_agent")
WINDOWS = {"retention_agent": timedelta(days=30), "upsell_agent": timedelta(days=14)}
KEPT = {BookingStatus.COMPLETED}
MISSED = {BookingStatus.NO_SHOW, BookingStatus.CANCELLED}


@dataclass(frozen=True)
class CaseOutcome:
    status: str  # "success" | "failed" | "expired"
    result: str
    revenue: int = 0  # rupees
    booking_id: str | None = None


@dataclass(frozen=True)
class Case:
    agent_name: str
    decided_at: datetime
    booking: Booking | None = None  # no-show: the appointment the case is about
    service_id: str | None = None  # upsell: the add-on suggested


def settle(case: Case, customer_bookings: Iterable[Booking], now: datetime) -> CaseOutcome | None:
    """The case's outcome if it is known by `now`, else None (look again later)."""
    if case.agent_name == "no_show_prevention_agent":
        booking = case.booking
        if booking is None:
            return CaseOutcome("expired", "appointment_not_found")
        if booking.status in KEPT:
            return CaseOutcome("success", "appointment_kept", rupees_from_paise(booking.price_paise), booking.id)
        if booking.status in MISSED:
            return CaseOutcome("failed", f"appointment_{booking.status.value}", 0, booking.id)
        return None  # not over yet (or not marked): wait for the salon to close the appointment
    window = WINDOWS.get(case.agent_name)
    if window is None:
        return None
    until = case.decided_at + window
    later = sorted((b for b in customer_bookings
                    if case.decided_at <= b.created_at <= until and b.status is not BookingStatus.CANCELLED
                    and (case.service_id is None or b.service_id == case.service_id)),
                   key=lambda b: b.created_at)
    if later:
        first = later[0]
        return CaseOutcome("success", "booked_within_window", rupees_from_paise(first.price_paise), first.id)
    if now > until:
        return CaseOutcome("expired", "no_booking_within_window")
    return None
