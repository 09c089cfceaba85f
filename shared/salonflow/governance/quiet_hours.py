"""Quiet hours: when a customer may be contacted, in the salon's own timezone.

Defaults: service messages 08:00-21:00, marketing (promotional) 10:00-20:00 local time.
A salon can move either window, but only inside its bounds: marketing inside
09:00-21:00 (TRAI's promotional window), service inside 08:00-21:00. A configured
window that pokes outside its bounds is clamped, not rejected, so a bad setting can
only make the salon quieter.

Outside the window a message is deferred to the next allowed instant, never dropped.
All arithmetic happens on the local wall clock via ``zoneinfo`` and is converted back
to UTC, so the answer is right across midnight and across DST changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from salonflow.governance.clock import require_aware
from salonflow.governance.types import MessageCategory

DEFAULT_TIMEZONE = "Asia/Kolkata"


@dataclass(frozen=True)
class Window:
    start: time
    end: time  # exclusive

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"window start {self.start} must be before end {self.end}")

    def contains(self, local: time) -> bool:
        return self.start <= local < self.end

    def clamp_to(self, bounds: Window) -> Window:
        start = max(self.start, bounds.start)
        end = min(self.end, bounds.end)
        if not start < end:
            # No overlap with the bounds at all: fall back to the bounds themselves.
            return bounds
        return Window(start, end)


DEFAULT_WINDOWS: dict[MessageCategory, Window] = {
    MessageCategory.SERVICE: Window(time(8, 0), time(21, 0)),
    MessageCategory.MARKETING: Window(time(10, 0), time(20, 0)),
}
BOUNDS: dict[MessageCategory, Window] = {
    MessageCategory.SERVICE: Window(time(8, 0), time(21, 0)),
    MessageCategory.MARKETING: Window(time(9, 0), time(21, 0)),
}


@dataclass(frozen=True)
class QuietHours:
    timezone: str = DEFAULT_TIMEZONE
    service: Window = DEFAULT_WINDOWS[MessageCategory.SERVICE]
    marketing: Window = DEFAULT_WINDOWS[MessageCategory.MARKETING]

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # fail early on a bad timezone name
        object.__setattr__(self, "service", self.service.clamp_to(BOUNDS[MessageCategory.SERVICE]))
        object.__setattr__(self, "marketing", self.marketing.clamp_to(BOUNDS[MessageCategory.MARKETING]))

    def window(self, category: MessageCategory) -> Window:
        return self.service if category is MessageCategory.SERVICE else self.marketing

    @classmethod
    def from_settings(cls, timezone: str | None, settings: Mapping[str, object] | None) -> QuietHours:
        """Build from the salon document's ``quiet_hours`` map (``domain.salon.QuietHours``).

        Shape (times "HH:MM", salon-local): ``{"service": {"allowed_from": "08:00",
        "allowed_until": "21:00"}, "promotional": {...}}``; missing parts keep the defaults.
        """
        settings = settings or {}
        return cls(
            timezone=timezone or DEFAULT_TIMEZONE,
            service=_window_from(settings.get("service"), DEFAULT_WINDOWS[MessageCategory.SERVICE]),
            marketing=_window_from(settings.get("promotional"), DEFAULT_WINDOWS[MessageCategory.MARKETING]),
        )


def next_allowed_time(now: datetime, category: MessageCategory, quiet_hours: QuietHours) -> datetime:
    """``now`` if a message of this category may go out now, else the next instant it may (UTC)."""
    require_aware(now)
    zone = ZoneInfo(quiet_hours.timezone)
    window = quiet_hours.window(category)
    local = now.astimezone(zone)
    if window.contains(local.time()):
        return now
    day = local.date() if local.time() < window.start else local.date() + timedelta(days=1)
    return _local_instant(day, window.start, zone)


def is_allowed_now(now: datetime, category: MessageCategory, quiet_hours: QuietHours) -> bool:
    return next_allowed_time(now, category, quiet_hours) == now


def _local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # Round-trip through UTC: if the wall time does not exist that day (spring forward)
    # this lands on the first real instant after it instead of a phantom one.
    naive = datetime.combine(day, at)
    candidate = naive.replace(tzinfo=zone)
    utc = candidate.astimezone(ZoneInfo("UTC"))
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        utc = (naive + timedelta(hours=1)).replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
    return utc


def _window_from(raw: object, default: Window) -> Window:
    if not isinstance(raw, Mapping):
        return default
    try:
        start = _as_time(raw.get("allowed_from"), default.start)
        end = _as_time(raw.get("allowed_until"), default.end)
        return Window(start, end)
    except ValueError:
        return default


def _as_time(value: object, default: time) -> time:
    if value is None:
        return default
    if isinstance(value, time):
        return value
    return time.fromisoformat(str(value))
