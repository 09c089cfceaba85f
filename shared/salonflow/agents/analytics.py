"""analytics_agent: aggregate one salon-local day into `agent_states.counters` and a per-day analytics document.

Pure: it gets the day's decisions, outreach, approvals and gaps in the snapshot and computes what to write.
Revenue is reported two ways side by side: attributed (the actual revenue of successful decisions) and lift net of
the holdout — what the treated cases earned beyond what the holdout's success rate says would have happened
anyway (holdout cases are recorded as `holdout_no_action` decisions whose outcome is set when the thing happens
on its own, e.g. the gap gets booked without us).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, timedelta
from typing import Any

from salonflow.agents.gaps import working_intervals
from salonflow.agents.outcomes import SETTLED_AGENTS
from salonflow.agents.snapshot import DecisionRecord, Interval, SalonSnapshot
from salonflow.domain.enums import BookingStatus, GapStatus, OutreachStatus, Weekday

_DELIVERED = {OutreachStatus.DELIVERED, OutreachStatus.READ, OutreachStatus.RESPONDED}
_SENT = _DELIVERED | {OutreachStatus.SENT}


def agent_counters(decisions: Iterable[DecisionRecord], agent_name: str, day: date) -> dict[str, Any]:
    """The spec's `agent_states.counters` for one agent and day (holdout decisions are not actions)."""
    mine = [d for d in decisions if d.agent_name == agent_name and not d.holdout]
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "revenue": 0})
    for d in mine:
        by_type[d.decision_type]["count"] += 1
        by_type[d.decision_type]["revenue"] += d.revenue_actual if d.outcome_status == "success" else 0
    return {
        "date": day.isoformat(),
        "actions_taken": len(mine),
        "actions_successful": sum(1 for d in mine if d.outcome_status == "success"),
        "actions_failed": sum(1 for d in mine if d.outcome_status == "failed"),
        "revenue_generated": sum(d.revenue_actual for d in mine if d.outcome_status == "success"),
        "by_type": dict(by_type),
    }


# Below this many settled cases on either side, a success rate moves by 10 points with one case: the lift
# is reported as "not enough data" rather than as a number.
MIN_SETTLED_CASES = 30
Z_95 = 1.96
NOT_ENOUGH_DATA = "not enough data"


def rate_difference_interval(won_a: int, n_a: int, won_b: int, n_b: int) -> tuple[float, float]:
    """95 % interval of rate_a - rate_b (Newcombe's method from two Wilson intervals: sound for small counts
    and rates near 0 or 1, where the plain normal interval is not)."""
    lo_a, hi_a = wilson(won_a, n_a)
    lo_b, hi_b = wilson(won_b, n_b)
    p_a, p_b = won_a / n_a, won_b / n_b
    below = math.sqrt((p_a - lo_a) ** 2 + (hi_b - p_b) ** 2)
    above = math.sqrt((hi_a - p_a) ** 2 + (p_b - lo_b) ** 2)
    return round(p_a - p_b - below, 4), round(p_a - p_b + above, 4)


def wilson(won: int, n: int) -> tuple[float, float]:
    p = won / n
    centre = (p + Z_95**2 / (2 * n)) / (1 + Z_95**2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + Z_95**2 / (4 * n * n)) / (1 + Z_95**2 / n)
    return centre - half, centre + half


def case_result(d: DecisionRecord) -> tuple[str, int]:
    """How the decision's case ended, and what it earned, for the lift: a no-show, retention or upsell case by
    the bookings alone (intent to treat: whatever the decision itself did, treated and held out alike), a gap
    case by its decision's outcome (settled where the gap is filled or expires, for both sides)."""
    if d.agent_name in SETTLED_AGENTS:
        return (d.case_status or "pending"), (d.case_revenue if d.case_status == "success" else 0)
    return d.outcome_status, d.revenue_actual


def holdout_lift(decisions: Iterable[DecisionRecord]) -> dict[str, dict[str, Any]]:
    """Per agent: treated vs holdout success rates over settled cases, and revenue lift net of the holdout,
    with the sample sizes and a 95 % interval, or "not enough data" instead of a number when either side is thin.
    A case still pending (the appointment not over, the win-back window still open) counts on neither side."""
    cases: dict[str, dict[str, dict[str, tuple[str, int]]]] = defaultdict(
        lambda: {"treated": {}, "holdout": {}})
    for d in decisions:
        side = "holdout" if d.holdout else "treated"
        key = d.case_key or d.id
        status, revenue = case_result(d)
        best = cases[d.agent_name][side].get(key)
        if best is None or (status == "success" and best[0] != "success"):
            cases[d.agent_name][side][key] = (status, revenue)
    out: dict[str, dict[str, Any]] = {}
    for agent, sides in sorted(cases.items()):
        treated = [c for c in sides["treated"].values() if c[0] != "pending"]
        holdout = [c for c in sides["holdout"].values() if c[0] != "pending"]
        won = [c for c in treated if c[0] == "success"]
        held_won = sum(1 for c in holdout if c[0] == "success")
        treated_rate = len(won) / len(treated) if treated else 0.0
        holdout_rate = held_won / len(holdout) if holdout else 0.0
        attributed = sum(revenue for _, revenue in won)
        per_success = attributed / len(won) if won else 0.0
        enough = min(len(treated), len(holdout)) >= MIN_SETTLED_CASES
        figures: dict[str, Any] = {
            "treated_cases": len(treated),
            "treated_success_rate": round(treated_rate, 4),
            "holdout_cases": len(holdout),
            "holdout_success_rate": round(holdout_rate, 4),
            "pending_cases": len(sides["treated"]) + len(sides["holdout"]) - len(treated) - len(holdout),
            "attributed_revenue": attributed,
            "lift_revenue": None,
            "lift_rate_interval": None,
            "lift_revenue_interval": None,
            "verdict": NOT_ENOUGH_DATA,
        }
        if enough:
            low, high = rate_difference_interval(len(won), len(treated), held_won, len(holdout))
            figures.update(
                lift_revenue=round(attributed - holdout_rate * len(treated) * per_success, 2),
                lift_rate_interval=[low, high],
                lift_revenue_interval=[round(low * len(treated) * per_success, 2),
                                       round(high * len(treated) * per_success, 2)],
                verdict="lift" if low > 0 else ("no lift shown" if high >= 0 else "worse than no action"))
        out[agent] = figures
    return out


def lift_total(lift: dict[str, dict[str, Any]]) -> float | None:
    """The salon's lift: the sum over agents with enough data, or None when none has."""
    known = [a["lift_revenue"] for a in lift.values() if a["lift_revenue"] is not None]
    return round(sum(known), 2) if known else None


def occupancy_by_hour(snapshot: SalonSnapshot, day: date) -> dict[tuple[Weekday, int], float]:
    """Share of staff working minutes that were booked, per local hour of one day."""
    salon = snapshot.salon
    zone = salon.zone
    available: dict[int, float] = defaultdict(float)
    booked: dict[int, float] = defaultdict(float)
    taken_statuses = {BookingStatus.BOOKED, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW}
    for staff in snapshot.staff.values():
        for work in working_intervals(staff, salon, day):
            # Step in UTC from the local hour boundary (IST hours start at :30 UTC; DST days keep real hours).
            start = work.start.astimezone(zone).replace(minute=0, second=0, microsecond=0).astimezone(UTC)
            while start < work.end:
                hour = Interval(start, start + timedelta(hours=1))
                overlap = Interval(max(hour.start, work.start), min(hour.end, work.end))
                if overlap.start < overlap.end:
                    local_hour = start.astimezone(zone).hour
                    available[local_hour] += overlap.minutes
                    for b in snapshot.bookings:
                        if b.staff_id == staff.id and b.status in taken_statuses and b.interval.overlaps(overlap):
                            part = Interval(max(b.start, overlap.start), min(b.end, overlap.end))
                            booked[local_hour] += part.minutes
                start = start + timedelta(hours=1)
    weekday = Weekday.of(day)
    return {(weekday, h): round(min(booked[h] / minutes, 1.0), 3) for h, minutes in available.items() if minutes}


def daily_analytics(snapshot: SalonSnapshot, day: date) -> dict[str, Any]:
    """The per-day analytics document (`analytics_daily/{YYYY-MM-DD}`)."""
    decisions = list(snapshot.decisions)
    treated = [d for d in decisions if not d.holdout]
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for d in treated:
        row = by_type[d.decision_type]
        row["count"] += 1
        row[d.outcome_status] += 1
        row["revenue"] += d.revenue_actual if d.outcome_status == "success" else 0
    settled = [d for d in treated if d.outcome_status != "pending"]
    outreach = list(snapshot.outreach)
    sent = [o for o in outreach if o.status in _SENT]
    delivered = [o for o in outreach if o.status in _DELIVERED]
    responded = [o for o in outreach if o.status is OutreachStatus.RESPONDED]
    approvals = list(snapshot.approvals)
    response_seconds = [(a.responded_at - a.created_at).total_seconds() for a in approvals if a.responded_at]
    gaps = list(snapshot.gaps)
    filled = sum(g.status is GapStatus.FILLED for g in gaps)
    closed = sum(g.status in (GapStatus.FILLED, GapStatus.EXPIRED) for g in gaps)
    lift = holdout_lift(decisions)
    return {
        "date": day.isoformat(),
        "salon_id": snapshot.salon.id,
        "decisions": {
            "total": len(treated),
            "holdout": len(decisions) - len(treated),
            "by_type": {k: dict(v) for k, v in sorted(by_type.items())},
            "success_rate": round(sum(d.outcome_status == "success" for d in settled) / len(settled), 4)
            if settled else None,
        },
        "revenue": {
            "currency": "INR",
            "attributed": sum(d.revenue_actual for d in treated if d.outcome_status == "success"),
            "by_type": {k: v["revenue"] for k, v in sorted(by_type.items())},
            "lift_net_of_holdout": lift_total(lift),
            "lift_agents_without_enough_data": sorted(a for a, f in lift.items() if f["lift_revenue"] is None),
            "by_agent": lift,
        },
        "outreach": {
            "total": len(outreach),
            "sent": len(sent),
            "delivered": len(delivered),
            "responded": len(responded),
            "failed": sum(o.status is OutreachStatus.FAILED for o in outreach),
            "delivery_rate": round(len(delivered) / len(sent), 4) if sent else None,
            "response_rate": round(len(responded) / len(delivered), 4) if delivered else None,
        },
        "approvals": {
            "total": len(approvals),
            **{s: sum(a.status == s for a in approvals) for s in ("pending", "approved", "rejected", "expired")},
            "median_response_seconds": statistics.median(response_seconds) if response_seconds else None,
        },
        "gaps": {
            "total": len(gaps),
            "filled": filled,
            "expired": sum(g.status is GapStatus.EXPIRED for g in gaps),
            "fill_rate": round(filled / closed, 4) if closed else None,
        },
        "occupancy_by_hour": {str(h): v for (_, h), v in sorted(occupancy_by_hour(snapshot, day).items(),
                                                                 key=lambda kv: kv[0][1])},
    }
