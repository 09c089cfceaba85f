"""Wall-clock arithmetic for the seed: free time of a staff member on a day, and filling it with bookings.

Times of day are minutes after local midnight (`Span = (start, end)`, end exclusive); instants are made from them
with the salon's zone at the very end, so the packing logic stays simple integer work and is fast at bench sizes.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from salonflow.domain.salon import Salon
from salonflow.domain.schedule import ranges_on
from salonflow.domain.staff import Staff

Span = tuple[int, int]
GRID = 15  # the front desk books on the quarter hour


def minute_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of `minute` minutes after local midnight of `day` (wall-clock arithmetic)."""
    wall = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)
    return wall.astimezone(UTC)


def local_minute(moment: datetime, day: date, zone: ZoneInfo) -> int:
    """Minutes after local midnight of `day` (negative before it, beyond 1440 after it)."""
    local = moment.astimezone(zone)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    out: list[Span] = []
    for s1, e1 in a:
        for s2, e2 in b:
            start, end = max(s1, s2), min(e1, e2)
            if start < end:
                out.append((start, end))
    return sorted(out)


def subtract(spans: Sequence[Span], cuts: Iterable[Span]) -> list[Span]:
    result = list(spans)
    for cut_start, cut_end in cuts:
        next_result: list[Span] = []
        for start, end in result:
            if cut_end <= start or end <= cut_start:
                next_result.append((start, end))
                continue
            if start < cut_start:
                next_result.append((start, cut_start))
            if cut_end < end:
                next_result.append((cut_end, end))
        result = next_result
    return sorted(result)


def free_spans(staff: Staff, salon: Salon, day: date) -> list[Span]:
    """When `staff` can take clients on `day`: shifts ∩ opening hours - breaks - leave (the agents' definition)."""
    if not staff.active:
        return []
    zone = salon.zone
    shifts = [(minute_of(r.start), minute_of(r.end)) for r in staff.shifts_on(day)]
    opening = [(minute_of(r.start), minute_of(r.end)) for r in ranges_on(salon.opening_hours, day)]
    breaks = [(minute_of(r.start), minute_of(r.end)) for r in staff.breaks_on(day)]
    leave = [(local_minute(item.start, day, zone), local_minute(item.end, day, zone)) for item in staff.leave]
    return subtract(intersect(shifts, opening), [*breaks, *leave])


def fits(busy: Sequence[Span], start: int, end: int) -> bool:
    """`busy` is sorted and non-overlapping; True when [start, end) touches none of it."""
    index = bisect.bisect_left(busy, (end, end))
    return index == 0 or busy[index - 1][1] <= start


def first_free_start(
    rng: random.Random, spans: Sequence[Span], busy: Sequence[Span], length: int, window: Span | None,
) -> int | None:
    """A random grid start where `length` minutes fit inside a free span, preferring `window` if given."""
    def starts(limit: Span | None) -> list[int]:
        found: list[int] = []
        for span_start, span_end in spans:
            first = -(-span_start // GRID) * GRID
            for start in range(first, span_end - length + 1, GRID):
                if limit is not None and not (limit[0] <= start < limit[1]):
                    continue
                if fits(busy, start, start + length):
                    found.append(start)
        return found

    options = starts(window) if window is not None else []
    if not options:
        options = starts(None)
    return rng.choice(options) if options else None


def occupy(busy: list[Span], start: int, end: int) -> None:
    bisect.insort(busy, (start, end))


@dataclass(frozen=True)
class MenuItem:
    service_id: str
    duration: int
    weight: float
    add_ons: tuple[tuple[str, int, float], ...] = ()  # (add-on service id, duration, probability)


@dataclass(frozen=True)
class Placement:
    start: int
    service_id: str
    duration: int
    add_on_of: int | None = None  # index of the main placement this add-on follows

    @property
    def end(self) -> int:
        return self.start + self.duration


def _pack(rng: random.Random, spans: Sequence[Span], menu: Sequence[MenuItem], idle_share: float) -> list[Placement]:
    """Walk the day from opening: each step is either idle time (a gap) or the next client."""
    placements: list[Placement] = []
    mean_service = sum(m.duration * m.weight for m in menu) / sum(m.weight for m in menu)
    # Idle steps are 15-60 minutes (mean 37.5); choose their probability so idle time ≈ idle_share of the day.
    idle_probability = idle_share * mean_service / (idle_share * mean_service + (1 - idle_share) * 37.5)
    for span_start, span_end in spans:
        cursor = -(-span_start // GRID) * GRID
        while cursor < span_end:
            room = span_end - cursor
            if rng.random() < idle_probability:
                cursor += min(rng.choice((15, 30, 45, 60)), room)
                continue
            fitting = [m for m in menu if m.duration <= room]
            if not fitting:
                break
            item = rng.choices(fitting, weights=[m.weight for m in fitting])[0]
            main_index = len(placements)
            placements.append(Placement(cursor, item.service_id, item.duration))
            cursor += item.duration
            for add_on_id, add_on_duration, probability in item.add_ons:
                if add_on_duration <= span_end - cursor and rng.random() < probability:
                    placements.append(Placement(cursor, add_on_id, add_on_duration, add_on_of=main_index))
                    cursor += add_on_duration
                    break
    return placements


def _busy_minutes(placements: Sequence[Placement]) -> int:
    return sum(p.duration for p in placements)


def fill_by_occupancy(
    rng: random.Random, spans: Sequence[Span], menu: Sequence[MenuItem], low: float, high: float,
) -> list[Placement]:
    """Bookings covering between `low` and `high` of the free time (the closest of a few tries otherwise)."""
    total = sum(end - start for start, end in spans)
    if total == 0 or not menu:
        return []
    target = rng.uniform(low, high)
    best: list[Placement] = []
    best_miss = float("inf")
    for _ in range(16):
        placements = _pack(rng, spans, menu, 1 - target)
        share = _busy_minutes(placements) / total
        miss = 0.0 if low <= share <= high else min(abs(share - low), abs(share - high))
        if miss < best_miss:
            best, best_miss = placements, miss
        if miss == 0.0:
            break
    return _nudge(rng, spans, menu, best, total, low, high)


def _nudge(
    rng: random.Random, spans: Sequence[Span], menu: Sequence[MenuItem], placements: list[Placement], total: int,
    low: float, high: float,
) -> list[Placement]:
    """Add clients into leftover room while under `low`; release clients (with their add-ons) while over `high`."""
    result = list(placements)
    while _busy_minutes(result) / total < low:
        busy = sorted((p.start, p.end) for p in result)
        options = [(m, start) for m in menu
                   if (start := first_free_start(rng, spans, busy, m.duration, None)) is not None]
        if not options:
            break
        item, start = rng.choices(options, weights=[m.weight for m, _ in options])[0]
        result.append(Placement(start, item.service_id, item.duration))
    while _busy_minutes(result) / total > high:
        result = _trim(rng, result, len(result) - 1)
    return result


def fill_by_count(rng: random.Random, spans: Sequence[Span], menu: Sequence[MenuItem], count: int) -> list[Placement]:
    """Exactly `count` bookings when they fit: pack the day densely, then release random clients."""
    if count <= 0 or not menu:
        return []
    best: list[Placement] = []
    weightings = (
        list(menu),
        # Short services first: a busy barber's day, when the day must hold many clients.
        [MenuItem(m.service_id, m.duration, m.weight / m.duration**2, m.add_ons) for m in menu],
    )
    for attempt in range(8):
        placements = _pack(rng, spans, weightings[min(attempt // 2, 1)], 0.02)
        if len(placements) >= count:
            return _trim(rng, placements, count)
        if len(placements) > len(best):
            best = placements
    return best


def _trim(rng: random.Random, placements: list[Placement], count: int) -> list[Placement]:
    kept = dict(enumerate(placements))
    while len(kept) > count:
        add_ons = [i for i, p in kept.items() if p.add_on_of is not None]
        if len(kept) - count == 1 and add_ons:
            del kept[rng.choice(add_ons)]
            continue
        mains = [i for i, p in kept.items() if p.add_on_of is None]
        if len(kept) - count == 1:
            mains = [i for i in mains if not any(kept[j].add_on_of == i for j in add_ons)] or mains
        victim = rng.choice(mains)
        for i in [i for i, p in kept.items() if p.add_on_of == victim]:
            del kept[i]
        del kept[victim]
    # Re-index add-on links after removals.
    order = sorted(kept)
    new_index = {old: new for new, old in enumerate(order)}
    result: list[Placement] = []
    for i in order:
        link = kept[i].add_on_of
        result.append(Placement(kept[i].start, kept[i].service_id, kept[i].duration,
                                None if link is None else new_index[link]))
    return result


def split_count(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainder), summing exactly to `total`."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    raw = [total * w / whole for w in weights]
    shares = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (-(raw[i] - shares[i]), i))[: total - sum(shares)]:
        shares[i] += 1
    return shares
