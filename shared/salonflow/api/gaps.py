"""``/autonomous/gaps``: empty time in a stylist's day that agents try to fill."""

from __future__ import annotations

from collections import Counter

from salonflow.api.context import ApiDeps, Salon
from salonflow.api.decisions import day_param
from salonflow.api.http import ApiResponse, Route, RouteContext
from salonflow.api.listing import ListSpec, list_page
from salonflow.domain import Gap
from salonflow.domain.enums import GapPriority, GapStatus

GAPS = ListSpec(
    enum_filters={"status": ("status", GapStatus), "priority": ("priority", GapPriority)},
    text_filters={"staff_id": "staff_id", "date": "date"},
    time_field="start_time",
    direction="ASCENDING",
)
URGENT = [GapPriority.HIGH, GapPriority.CRITICAL]


def routes(deps: ApiDeps) -> list[Route]:
    def list_gaps(ctx: RouteContext) -> ApiResponse:
        return list_page(Salon(deps, ctx).repos.gaps, ctx.request, GAPS)

    def open_gaps(ctx: RouteContext) -> ApiResponse:
        return list_page(Salon(deps, ctx).repos.gaps, ctx.request, GAPS, fixed=[("status", "==", GapStatus.OPEN)])

    def high_priority(ctx: RouteContext) -> ApiResponse:
        return list_page(Salon(deps, ctx).repos.gaps, ctx.request, GAPS,
                         fixed=[("status", "==", GapStatus.OPEN), ("priority", "in", URGENT)])

    def get_gap(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        return ApiResponse(200, salon.require(salon.repos.gaps, ctx.params["id"], "gap").model_dump(mode="json"))

    def daily_stats(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        tz = salon.timezone()
        day = day_param(ctx, deps.clock().astimezone(tz).date())
        gaps = salon.repos.gaps.query([("date", "==", day)])
        by_status = Counter(gap.status.value for gap in gaps)
        closed = by_status[GapStatus.FILLED.value] + by_status[GapStatus.EXPIRED.value]
        return ApiResponse(200, {
            "date": day.isoformat(),
            "total": len(gaps),
            "by_status": dict(by_status),
            "by_priority": dict(Counter(gap.priority.value for gap in gaps)),
            "open_minutes": sum(g.duration_minutes for g in gaps if g.status is GapStatus.OPEN),
            "fill_rate": round(by_status[GapStatus.FILLED.value] / closed, 4) if closed else None,
            "potential_revenue": sum(g.potential_revenue for g in gaps),
            "filled_revenue": sum(g.potential_revenue for g in gaps if g.status is GapStatus.FILLED),
            "fill_attempts": sum(g.fill_attempts for g in gaps),
        })

    return [
        Route("GET", "/autonomous/gaps/open", open_gaps, "Get open gaps",
              response_model=Gap, list_response=True, query_params=GAPS.query_params),
        Route("GET", "/autonomous/gaps/high-priority", high_priority, "Get high priority gaps",
              response_model=Gap, list_response=True, query_params=GAPS.query_params),
        Route("GET", "/autonomous/gaps/stats/daily", daily_stats, "Gap statistics", query_params=("date",)),
        Route("GET", "/autonomous/gaps", list_gaps, "List gaps",
              response_model=Gap, list_response=True, query_params=GAPS.query_params),
        Route("GET", "/autonomous/gaps/{id}", get_gap, "Get gap details", response_model=Gap),
    ]
