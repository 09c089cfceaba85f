"""``/autonomous/analytics``: the owner dashboard and the honest revenue picture.

Reads the per-day documents the analytics agent writes (``analytics_daily``) and the live
``event_counters`` the salon-events consumer keeps, never the raw collections, so a dashboard load
costs a handful of reads whatever the salon's size.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from salonflow.api.agents import all_agent_states
from salonflow.api.context import ApiDeps, Salon
from salonflow.api.decisions import day_param
from salonflow.api.http import ApiError, ApiResponse, Route, RouteContext

ANALYTICS_DAILY = "analytics_daily"
EVENT_COUNTERS = "event_counters"
MAX_RANGE_DAYS = 92


def _day_doc(salon: Salon, collection: str, day: date) -> dict[str, Any]:
    snapshot = salon.repos.salon.ref.collection(collection).document(day.isoformat()).get()
    return (snapshot.to_dict() or {}) if snapshot.exists else {}


def routes(deps: ApiDeps) -> list[Route]:
    def dashboard(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        tz = salon.timezone()
        day = day_param(ctx, deps.clock().astimezone(tz).date())
        daily = _day_doc(salon, ANALYTICS_DAILY, day)
        live = _day_doc(salon, EVENT_COUNTERS, day)
        states = all_agent_states(salon, deps.clock())
        return ApiResponse(200, {
            "date": day.isoformat(),
            "timezone": str(tz),
            "as_of": daily.get("updated_at"),
            "decisions": daily.get("decisions", {}),
            "revenue": {k: v for k, v in daily.get("revenue", {}).items() if k != "by_agent"},
            "outreach": daily.get("outreach", {}),
            "approvals": daily.get("approvals", {}),
            "gaps": daily.get("gaps", {}),
            "live_events": live.get("events", {}),
            "agents": [{"agent_name": state.agent_name, "status": state.status.value,
                        "circuit_breaker": state.circuit_breaker.state.value,
                        "last_execution": state.last_execution, "counters": state.counters.model_dump(mode="json")}
                       for state in states],
        })

    def revenue_impact(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        tz = salon.timezone()
        today = deps.clock().astimezone(tz).date()
        start = _date(ctx, "from", today - timedelta(days=29))
        end = _date(ctx, "to", today)
        if end < start or (end - start).days >= MAX_RANGE_DAYS:
            raise ApiError(400, "invalid_range", f"from..to must be a range of at most {MAX_RANGE_DAYS} days")
        refs = [salon.repos.salon.ref.collection(ANALYTICS_DAILY).document((start + timedelta(days=n)).isoformat())
                for n in range((end - start).days + 1)]
        attributed = lift = 0.0
        lift_known = False  # a day whose agents all lacked data has no lift figure, not a zero one
        by_agent: dict[str, dict[str, float]] = defaultdict(lambda: {"attributed": 0.0, "lift": 0.0})
        days = []
        for snapshot in deps.firestore().get_all(refs):
            if not snapshot.exists:
                continue
            revenue = (snapshot.to_dict() or {}).get("revenue", {})
            day_attributed = float(revenue.get("attributed", 0))
            raw_lift = revenue.get("lift_net_of_holdout")
            day_lift = None if raw_lift is None else float(raw_lift)
            attributed += day_attributed
            if day_lift is not None:
                lift += day_lift
                lift_known = True
            for agent, figures in (revenue.get("by_agent") or {}).items():
                by_agent[agent]["attributed"] += float(figures.get("attributed_revenue") or 0)
                by_agent[agent]["lift"] += float(figures.get("lift_revenue") or 0)
            days.append({"date": snapshot.id, "attributed": day_attributed, "lift_net_of_holdout": day_lift})
        return ApiResponse(200, {
            "from": start.isoformat(), "to": end.isoformat(), "currency": "INR",
            # Attributed counts every booking an agent's message led to; lift subtracts what the
            # holdout shows would have happened anyway. Reported side by side, never merged.
            "attributed": round(attributed, 2), "lift_net_of_holdout": round(lift, 2) if lift_known else None,
            "lift_verdict": None if lift_known else "not enough data",
            "by_agent": {k: {m: round(v, 2) for m, v in f.items()} for k, f in sorted(by_agent.items())},
            "days": sorted(days, key=lambda d: d["date"]),
        })

    return [
        Route("GET", "/autonomous/analytics/dashboard", dashboard, "Dashboard data", query_params=("date",)),
        Route("GET", "/autonomous/analytics/revenue-impact", revenue_impact, "Revenue impact analysis",
              query_params=("from", "to")),
    ]


def _date(ctx: RouteContext, name: str, default: date) -> date:
    raw = ctx.request.query_value(name)
    if raw is None:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise ApiError(400, "invalid_parameter", f"{name} must be YYYY-MM-DD") from error
