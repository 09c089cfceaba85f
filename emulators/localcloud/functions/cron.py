"""Unix cron expressions (the five-field form Cloud Scheduler accepts) evaluated in a time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_MONTH_NAMES = {name: i for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_DAY_NAMES = {name: i for i, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    day_of_month_restricted: bool
    day_of_week_restricted: bool
    timezone: ZoneInfo

    def matches(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone)
        if local.minute not in self.minutes or local.hour not in self.hours or local.month not in self.months:
            return False
        weekday = (local.weekday() + 1) % 7  # cron counts Sunday as 0
        dom_ok = local.day in self.days_of_month
        dow_ok = weekday in self.days_of_week
        # Classic cron: when both day fields are restricted, either one may match.
        if self.day_of_month_restricted and self.day_of_week_restricted:
            return dom_ok or dow_ok
        return dom_ok and dow_ok

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after ``moment`` (searches up to ~4 years)."""
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(4 * 366 * 24 * 60):
            if self.matches(candidate):
                return candidate
            candidate += timedelta(minutes=1)
        raise CronError("schedule never fires")


def parse_cron(expression: str, timezone: str = "UTC") -> CronSchedule:
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(f"expected 5 cron fields, got {len(fields)} in {expression!r}")
    parsed = [
        _parse_field(text, low, high, names)
        for text, (low, high), names in zip(
            fields, _FIELD_RANGES, ({}, {}, {}, _MONTH_NAMES, _DAY_NAMES), strict=True
        )
    ]
    days_of_week = frozenset(7 % 7 if d == 7 else d for d in parsed[4])
    return CronSchedule(
        minutes=parsed[0],
        hours=parsed[1],
        days_of_month=parsed[2],
        months=parsed[3],
        days_of_week=days_of_week,
        day_of_month_restricted=fields[2] != "*",
        day_of_week_restricted=fields[4] != "*",
        timezone=ZoneInfo(timezone),
    )


def _parse_field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = _number(step_text, names)
            if step <= 0:
                raise CronError(f"step must be positive in {text!r}")
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start_text, end_text = part.split("-", 1)
            start, end = _number(start_text, names), _number(end_text, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        upper = 7 if high == 6 else high  # day-of-week accepts 7 for Sunday
        if not (low <= start <= upper and low <= end <= upper and start <= end):
            raise CronError(f"value out of range in {text!r}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(text: str, names: dict[str, int]) -> int:
    lowered = text.strip().lower()
    if lowered in names:
        return names[lowered]
    if not lowered.isdigit():
        raise CronError(f"not a number: {text!r}")
    return int(lowered)
