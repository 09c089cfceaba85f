"""Time ranges shared by salon opening hours, staff hours, breaks, leave and waitlist preferences."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from salonflow.domain.base import DomainModel, LocalTime, Timestamp
from salonflow.domain.enums import Weekday


class TimeRange(DomainModel):
    """A wall-clock range within one day in the salon's timezone, stored {"start": "10:00", "end": "19:00"}."""

    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError("a time range ends after it starts (ranges do not cross midnight)")
        return self

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end

    def overlaps(self, other: TimeRange) -> bool:
        return self.start < other.end and other.start < self.end


def _no_overlaps(ranges: list[TimeRange]) -> list[TimeRange]:
    ordered = sorted(ranges, key=lambda r: r.start)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.overlaps(later):
            raise ValueError("time ranges on the same day must not overlap")
    return ordered


DayRanges = Annotated[list[TimeRange], AfterValidator(_no_overlaps)]
WeeklyHours = dict[Weekday, DayRanges]
"""Per weekday, sorted non-overlapping ranges. A missing weekday or an empty list means closed / off."""


def ranges_on(hours: WeeklyHours, day: date) -> list[TimeRange]:
    """The ranges that apply on a salon-local date."""
    return list(hours.get(Weekday.of(day), []))


class Interval(DomainModel):
    """An absolute interval between two instants (leave, preferred waitlist windows)."""

    start: Timestamp
    end: Timestamp

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError("an interval ends after it starts")
        return self

    def contains_interval(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


class Leave(Interval):
    reason: str | None = Field(default=None, max_length=200)
