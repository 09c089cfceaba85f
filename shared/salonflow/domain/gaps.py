"""`salons/{salon_id}/gaps/{gap_id}` — a free interval in one staff member's day (server only)."""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, FirestoreDocument, Timestamp
from salonflow.domain.enums import GapPriority, GapStatus
from salonflow.domain.money import Rupees


class Gap(FirestoreDocument):
    salon_id: DocId
    staff_id: DocId
    staff_name: str
    date: date  # the salon-local date of start_time, stored "2024-01-15"
    start_time: Timestamp
    end_time: Timestamp
    duration_minutes: int = Field(gt=0)
    priority: GapPriority = GapPriority.MEDIUM
    status: GapStatus = GapStatus.OPEN
    potential_revenue: Rupees = 0
    services_fittable: list[str] = Field(default_factory=list)
    fill_attempts: int = Field(default=0, ge=0)
    last_attempt_at: Timestamp | None = None
    filled_by: str | None = None  # the booking id that filled the gap
    created_at: Timestamp
    updated_at: Timestamp

    @model_validator(mode="after")
    def _interval(self) -> Gap:
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        minutes = (self.end_time - self.start_time).total_seconds() / 60
        if abs(minutes - self.duration_minutes) >= 1:
            raise ValueError("duration_minutes must equal end_time - start_time")
        if self.status is GapStatus.FILLED and not self.filled_by:
            raise ValueError("a filled gap records filled_by")
        return self
