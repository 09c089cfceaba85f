"""`salons/{salon_id}/waitlist/{entry_id}` — a customer waiting for a slot, written by the PWA and the agents.

Promotion order (documented for fairness): higher `priority` first, then earlier `created_at`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, FirestoreDocument, Timestamp
from salonflow.domain.enums import WaitlistStatus
from salonflow.domain.schedule import Interval


class WaitlistEntry(FirestoreDocument):
    salon_id: DocId
    customer_id: DocId
    service_id: DocId
    preferred_staff_ids: list[DocId] = Field(default_factory=list)  # empty = any staff who performs it
    preferred_windows: list[Interval] = Field(default_factory=list)  # empty = any time
    priority: int = Field(default=0, ge=0, le=100)  # higher is offered first
    status: WaitlistStatus = WaitlistStatus.WAITING
    offered_at: Timestamp | None = None
    promoted_booking_id: str | None = None
    notes: str | None = Field(default=None, max_length=2000)
    created_at: Timestamp
    updated_at: Timestamp
    expires_at: Timestamp

    @model_validator(mode="after")
    def _consistent(self) -> WaitlistEntry:
        if self.expires_at <= self.created_at:
            raise ValueError("expires_at must be after created_at")
        if self.status is WaitlistStatus.PROMOTED and not self.promoted_booking_id:
            raise ValueError("a promoted entry records promoted_booking_id")
        return self

    def fits(self, staff_id: str, start: datetime, end: datetime) -> bool:
        """Whether a slot with this staff member in [start, end) suits the entry's preferences."""
        if self.preferred_staff_ids and staff_id not in self.preferred_staff_ids:
            return False
        if not self.preferred_windows:
            return True
        return any(window.contains_interval(start, end) for window in self.preferred_windows)

    def promotion_key(self) -> tuple[int, datetime, str]:
        """Sort key for the fair promotion order: priority desc, then first come, then id."""
        return (-self.priority, self.created_at, self.id)
