"""`salons/{salon_id}/staff/{staff_id}` — a stylist or therapist, written by the owner PWA."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, E164Phone, FirestoreDocument, Timestamp
from salonflow.domain.schedule import Leave, TimeRange, WeeklyHours, ranges_on


class Staff(FirestoreDocument):
    salon_id: DocId
    name: str = Field(min_length=1, max_length=100)
    phone: E164Phone | None = None
    working_hours: WeeklyHours = Field(default_factory=dict)
    breaks: WeeklyHours = Field(default_factory=dict)
    leave: list[Leave] = Field(default_factory=list)
    service_ids: list[DocId] = Field(default_factory=list)
    active: bool = True
    created_at: Timestamp
    updated_at: Timestamp

    @model_validator(mode="after")
    def _breaks_inside_working_hours(self) -> Staff:
        for weekday, breaks in self.breaks.items():
            shifts = self.working_hours.get(weekday, [])
            for pause in breaks:
                if not any(shift.start <= pause.start and pause.end <= shift.end for shift in shifts):
                    raise ValueError(f"a break on {weekday.value} lies outside that day's working hours")
        return self

    def shifts_on(self, day: date) -> list[TimeRange]:
        """Working ranges on a salon-local date (before breaks and leave are removed)."""
        return ranges_on(self.working_hours, day)

    def breaks_on(self, day: date) -> list[TimeRange]:
        return ranges_on(self.breaks, day)

    def on_leave(self, start: datetime, end: datetime) -> bool:
        """True when any leave overlaps the instant range [start, end)."""
        return any(leave.overlaps(start, end) for leave in self.leave)

    def performs(self, service_id: str) -> bool:
        return service_id in self.service_ids
