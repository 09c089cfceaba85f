"""`salons/{salon_id}/bookings/{booking_id}` — an appointment, written by the PWA and by the agents."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, FirestoreDocument, Timestamp
from salonflow.domain.enums import BookingSource, BookingStatus, ConfirmationStatus
from salonflow.domain.money import Paise

# A cancellation closer than this to the start counts as late (no-show risk factor).
LATE_CANCELLATION_WINDOW = timedelta(hours=24)


class Booking(FirestoreDocument):
    salon_id: DocId
    customer_id: DocId
    staff_id: DocId
    service_id: DocId
    start_time: Timestamp
    end_time: Timestamp
    status: BookingStatus = BookingStatus.BOOKED
    price_paise: Paise  # what the customer pays, after any discount
    discount_paise: Paise = 0  # discount given on the list price (for net-revenue analytics)
    source: BookingSource
    confirmation_status: ConfirmationStatus = ConfirmationStatus.NOT_REQUESTED
    late_cancellation: bool = False
    cancelled_at: Timestamp | None = None
    decision_id: str | None = None  # the agent decision that produced this booking (attribution)
    outreach_id: str | None = None
    notes: str | None = Field(default=None, max_length=2000)
    created_at: Timestamp
    updated_at: Timestamp

    @model_validator(mode="after")
    def _consistent(self) -> Booking:
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        if self.status is BookingStatus.CANCELLED and self.cancelled_at is None:
            raise ValueError("a cancelled booking records cancelled_at")
        if self.status is not BookingStatus.CANCELLED and (self.cancelled_at or self.late_cancellation):
            raise ValueError("only a cancelled booking has cancelled_at or late_cancellation")
        if self.updated_at < self.created_at:
            raise ValueError("updated_at cannot be before created_at")
        return self

    @property
    def duration_minutes(self) -> int:
        return int((self.end_time - self.start_time).total_seconds() // 60)

    @property
    def is_active(self) -> bool:
        return self.status.is_active

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start_time < end and start < self.end_time

    def cancelled(self, now: datetime) -> Booking:
        """A copy cancelled at `now`, flagged late when inside LATE_CANCELLATION_WINDOW of the start."""
        return self.with_changes(
            status=BookingStatus.CANCELLED,
            cancelled_at=now,
            late_cancellation=self.start_time - now < LATE_CANCELLATION_WINDOW,
            updated_at=now,
        )
