"""``/autonomous/decisions``: the record of what agents (and people) decided."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from google.api_core.exceptions import AlreadyExists

from salonflow.adapters.firestore.decision_outcomes import close_outcome
from salonflow.adapters.pubsub_events import EventType, SalonEvent
from salonflow.api.context import ApiDeps, Salon
from salonflow.api.http import ApiError, ApiResponse, Route, RouteContext, parse_model
from salonflow.api.listing import ListSpec, list_page
from salonflow.api.schemas import DecisionCreate, DecisionOutcomePatch
from salonflow.domain import (
    Approval,
    ApprovalActionDetails,
    AutonomousDecision,
    DecisionActionDetails,
    DecisionApproval,
    DecisionContext,
    RevenueImpact,
)
from salonflow.domain.enums import (
    ApprovalPriority,
    AutonomyLevel,
    DecisionType,
    OutcomeStatus,
    SalonRole,
)
from salonflow.domain.ids import deterministic_id, new_id
from salonflow.governance import audit
from salonflow.governance.autonomy import ConflictingDiscount, decide_autonomy, discount_percent_of
from salonflow.governance.lifecycles import approval_expires_at

DECISIONS = ListSpec(
    enum_filters={
        "decision_type": ("decision_type", DecisionType),
        "autonomy_level": ("autonomy_level", AutonomyLevel),
        "outcome_status": ("outcome.status", OutcomeStatus),
    },
    text_filters={"agent_name": "agent_name"},
)


def approval_for(decision: AutonomousDecision, approval_id: str, body: DecisionCreate, discount: float | None,
                 level: AutonomyLevel, why: str, now: datetime) -> Approval:
    """The approval a recorded decision waits for, in the shape the agents' own approvals have."""
    details = body.action_details
    return Approval(
        id=approval_id,
        salon_id=decision.salon_id,
        decision_id=decision.id,
        agent_name=decision.agent_name,
        action_type=decision.decision_type,
        action_summary=str(details.get("summary") or f"{decision.decision_type.value.replace('_', ' ')}: "
                                                     f"{decision.action_taken}")[:500],
        action_details=ApprovalActionDetails.model_validate({
            "gap_id": (decision.context.model_extra or {}).get("gap_id") or details.get("gap_id"),
            "customer_id": decision.context.customer_id,
            "customer_name": details.get("customer_name"), "staff_name": details.get("staff_name"),
            "time_slot": details.get("time_slot"), "potential_revenue": body.potential_revenue,
            "discount_percent": discount, "autonomy_level": level.value, "autonomy_reason": why,
        }),
        priority=ApprovalPriority.HIGH if level is AutonomyLevel.MANUAL_ONLY else ApprovalPriority.MEDIUM,
        expires_at=approval_expires_at(now, decision.expires_at),
        created_at=now,
        updated_at=now,
    )


def announce_approval_request(deps: ApiDeps, salon_id: str, approval: Approval, now: datetime) -> None:
    """The same `approval_requested` event the agents publish: its consumer notifies the approvers."""
    ports = deps.ports()
    if ports is None or getattr(ports, "events", None) is None:
        return
    ports.events.publish(SalonEvent.create(
        EventType.APPROVAL_REQUESTED, salon_id=salon_id, resource_id=approval.id, occurred_at=now,
        related={"decision_id": approval.decision_id, "approval_id": approval.id},
        data={"decision_type": approval.action_type.value, "priority": approval.priority.value,
              "expires_at": approval.expires_at.isoformat(), "summary": approval.action_summary}))


def routes(deps: ApiDeps) -> list[Route]:
    def list_decisions(ctx: RouteContext) -> ApiResponse:
        return list_page(Salon(deps, ctx).repos.decisions, ctx.request, DECISIONS)

    def get_decision(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        decision = salon.require(salon.repos.decisions, ctx.params["id"], "decision")
        return ApiResponse(200, decision.model_dump(mode="json"))

    def create_decision(ctx: RouteContext) -> ApiResponse:
        body = parse_model(DecisionCreate, ctx.request.json())
        salon = Salon(deps, ctx)
        now = deps.clock()
        if body.expires_at is not None and body.expires_at <= now:
            raise ApiError(422, "invalid_expiry", "expires_at must be in the future")
        settings = salon.repos.salon.get()
        levels = {k.value: v.value for k, v in settings.autonomy.items()} if settings is not None else {}
        try:
            discount = discount_percent_of(body.discount_percent, body.action_details)
        except ConflictingDiscount as exc:
            raise ApiError(422, "invalid_discount", str(exc)) from None
        autonomy = decide_autonomy(body.decision_type, levels, discount)
        # With an Idempotency-Key a retried POST names the same document, so it can never record twice.
        key = ctx.request.header("idempotency-key")
        decision_id = deterministic_id("dec", salon.id, "api", key) if key else new_id("dec")
        approval_id = deterministic_id("apr", salon.id, decision_id) if autonomy.approval_required else None
        decision = AutonomousDecision(
            id=decision_id,
            salon_id=salon.id,
            agent_name=body.agent_name,
            decision_type=body.decision_type,
            autonomy_level=AutonomyLevel(autonomy.level.value),
            context=DecisionContext.model_validate(body.context.model_dump(exclude_none=True)),
            action_taken=body.action_taken,
            action_details=DecisionActionDetails.model_validate(
                {**body.action_details, **({"discount_percent": discount} if discount is not None else {})}),
            revenue_impact=RevenueImpact(potential=body.potential_revenue),
            approval=DecisionApproval.pending(approval_id) if approval_id else DecisionApproval.not_required(),
            created_at=now,
            updated_at=now,
            expires_at=body.expires_at,
        )
        client = deps.firestore()
        batch = client.batch()
        salon.repos.decisions.create(decision, writer=batch)
        salon.audit.append(audit.decision_made(salon.id, ctx.uid, decision_id, body.decision_type.value,
                                               autonomy.level.value, body.action_taken, now, source="api"),
                           transaction=batch)
        approval = None
        if approval_id is not None:
            approval = approval_for(decision, approval_id, body, discount, autonomy.level, autonomy.reason, now)
            salon.repos.approvals.create(approval, batch)
            salon.audit.append(audit.approval_event(salon.id, audit.AuditEventType.APPROVAL_REQUESTED, ctx.uid,
                                                    approval_id, decision_id, now,
                                                    autonomy_level=autonomy.level.value), transaction=batch)
        try:
            batch.commit()
        except AlreadyExists:
            stored = salon.require(salon.repos.decisions, decision_id, "decision")
            same = (stored.agent_name, stored.decision_type, stored.action_taken) == (
                body.agent_name, body.decision_type, body.action_taken)
            if not same:
                raise ApiError(409, "idempotency_key_reused",
                               "this Idempotency-Key was used for a different decision") from None
            return ApiResponse(200, stored.model_dump(mode="json"))
        if approval is not None:
            announce_approval_request(deps, salon.id, approval, now)
        return ApiResponse(201, decision.model_dump(mode="json"))

    def patch_outcome(ctx: RouteContext) -> ApiResponse:
        body = parse_model(DecisionOutcomePatch, ctx.request.json())
        salon = Salon(deps, ctx)
        decision: AutonomousDecision = salon.require(salon.repos.decisions, ctx.params["id"], "decision")
        if body.status is OutcomeStatus.PENDING:
            raise ApiError(422, "invalid_transition", "an outcome can only move from pending to a final status")
        if decision.outcome.status is body.status:
            return ApiResponse(200, decision.model_dump(mode="json"))  # a repeated PATCH changes nothing
        if decision.outcome.status is not OutcomeStatus.PENDING:
            raise ApiError(409, "invalid_transition",
                           f"the outcome is already {decision.outcome.status.value} and cannot change")
        now = deps.clock()
        changes: dict[str, Any] = {
            "outcome.status": body.status.value,
            "outcome.result": body.result,
            "outcome.completed_at": now,
            "updated_at": now,
        }
        if body.booking_created_id is not None:
            changes["outcome.booking_created_id"] = body.booking_created_id
        if body.actual_revenue is not None:
            changes["revenue_impact.actual"] = body.actual_revenue
        # Only while still pending, in one transaction with its audit row: a PATCH racing another answer
        # (or a retried request) closes the outcome and logs its metric events once.
        closed = close_outcome(deps.firestore(), salon.id, decision.id, changes, now, also=lambda transaction:
                               salon.audit.append(audit.manual_override(
                                   salon.id, ctx.uid, f"Outcome set to {body.status.value}", "decision",
                                   decision.id, now, reason=body.result), transaction=transaction))
        updated = salon.repos.decisions.get(decision.id)
        if closed is None and (updated is None or updated.outcome.status is not body.status):
            raise ApiError(409, "invalid_transition", "the outcome was closed by someone else meanwhile")
        return ApiResponse(200, updated.model_dump(mode="json") if updated else None)

    def daily_stats(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        tz = salon.timezone()
        day = day_param(ctx, deps.clock().astimezone(tz).date())
        start = datetime.combine(day, time.min, tzinfo=tz)
        decisions = salon.repos.decisions.created_between(start, start + timedelta(days=1))
        by_type: dict[str, dict[str, Any]] = {}
        for decision in decisions:
            bucket = by_type.setdefault(decision.decision_type.value, {
                "count": 0, "outcomes": Counter(), "potential_revenue": 0, "actual_revenue": 0})
            bucket["count"] += 1
            bucket["outcomes"][decision.outcome.status.value] += 1
            bucket["potential_revenue"] += decision.revenue_impact.potential
            bucket["actual_revenue"] += decision.revenue_impact.actual
        finished = [d for d in decisions if d.outcome.status is not OutcomeStatus.PENDING]
        succeeded = sum(1 for d in finished if d.outcome.status is OutcomeStatus.SUCCESS)
        return ApiResponse(200, {
            "date": day.isoformat(),
            "timezone": str(tz),
            "total": len(decisions),
            "success_rate": round(succeeded / len(finished), 4) if finished else None,
            "revenue": {"potential": sum(d.revenue_impact.potential for d in decisions),
                        "actual": sum(d.revenue_impact.actual for d in decisions), "currency": "INR"},
            "by_type": {k: {**v, "outcomes": dict(v["outcomes"])} for k, v in sorted(by_type.items())},
        })

    return [
        Route("GET", "/autonomous/decisions/stats/daily", daily_stats, "Daily decision statistics",
              query_params=("date",)),
        Route("GET", "/autonomous/decisions", list_decisions, "List decisions with filters",
              response_model=AutonomousDecision, list_response=True, query_params=DECISIONS.query_params),
        Route("POST", "/autonomous/decisions", create_decision, "Create decision record",
              min_role=SalonRole.MANAGER, request_model=DecisionCreate, response_model=AutonomousDecision,
              header_params=("Idempotency-Key",)),
        Route("GET", "/autonomous/decisions/{id}", get_decision, "Get decision details",
              response_model=AutonomousDecision),
        Route("PATCH", "/autonomous/decisions/{id}", patch_outcome, "Update decision outcome",
              min_role=SalonRole.MANAGER, request_model=DecisionOutcomePatch, response_model=AutonomousDecision),
    ]


def day_param(ctx: RouteContext, default: date) -> date:
    raw = ctx.request.query_value("date")
    if raw is None:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise ApiError(400, "invalid_parameter", "date must be YYYY-MM-DD") from error
