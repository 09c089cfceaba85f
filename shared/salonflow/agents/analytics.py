"""analytics_agent: aggregate one salon-local day into `agent_states.counters` and a per-day analytics document.

Pure: it gets the day's decisions, outreach, approvals and gaps in the snapshot and computes what to write.
Revenue is reported two ways side by side: attributed (the actual revenue of successful decisions) and lift net of
the holdout — what the treated cases earned beyond what the holdout's success rate says would have happened
anyway (holdout cases are recorded as `holdout_no_action` decisions whose outcome is set when the thing happens
on its own, e.g. the gap gets booked without us).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, timedelta
from typing import Any

from salonflow.agents.gaps import working_intervals
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


def holdout_lift(decisions: Iterable[DecisionRecord]) -> dict[str, dict[str, float]]:
    """Per agent: treated vs holdout success rates over cases, and revenue lift net of the holdout."""
    cases: dict[str, dict[str, dict[str, DecisionRecord]]] = defaultdict(
        lambda: {"treated": {}, "holdout": {}})
    for d in decisions:
        side = "holdout" if d.holdout else "treated"
        key = d.case_key or d.id
        best = cases[d.agent_name][side].get(key)
        if best is None or (d.outcome_status == "success" and best.outcome_status != "success"):
            cases[d.agent_name][side][key] = d
    out: dict[str, dict[str, float]] = {}
    for agent, sides in sorted(cases.items()):
        treated = list(sides["treated"].values())
        holdout = list(sides["holdout"].values())
        won = [d for d in treated if d.outcome_status == "success"]
        treated_rate = len(won) / len(treated) if treated else 0.0
        holdout_rate = sum(1 for d in holdout if d.outcome_status == "success") / len(holdout) if holdout else 0.0
        attributed = sum(d.revenue_actual for d in won)
        per_success = attributed / len(won) if won else 0.0
        baseline = holdout_rate * len(treated) * per_success
        out[agent] = {
            "treated_cases": len(treated),
            "treated_success_rate": round(treated_rate, 4),
            "holdout_cases": len(holdout),
            "holdout_success_rate": round(holdout_rate, 4),
            "attributed_revenue": attributed,
            "lift_revenue": round(attributed - baseline, 2),
        }
    return out


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
            "lift_net_of_holdout": round(sum(a["lift_revenue"] for a in lift.values()), 2),
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
