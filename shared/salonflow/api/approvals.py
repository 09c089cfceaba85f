"""``/autonomous/approvals``: owners and managers approve or reject what agents propose.

Responding here writes the same fields the PWA may write directly (see firestore.rules); the
approval trigger then audits the answer and executes or cancels the decision exactly once,
whichever path was used.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.api.autonomy import record_verdict
from salonflow.api.context import ApiDeps, Salon
from salonflow.api.http import ApiError, ApiResponse, Route, RouteContext, not_found, parse_model
from salonflow.api.listing import NEWEST_FIRST, ListSpec, counts_by, list_page, parse_instant
from salonflow.api.schemas import ApprovalActionRequest
from salonflow.domain import Approval
from salonflow.domain.enums import ApprovalPriority, ApprovalStatus, DecisionType, SalonRole
from salonflow.governance.lifecycles import InvalidTransition, respond_to_approval

MEDIAN_SAMPLE = 1000

APPROVALS = ListSpec(
    enum_filters={
        "status": ("status", ApprovalStatus),
        "priority": ("priority", ApprovalPriority),
        "action_type": ("action_type", DecisionType),
    },
    text_filters={"agent_name": "agent_name", "decision_id": "decision_id"},
)


def routes(deps: ApiDeps) -> list[Route]:
    def list_approvals(ctx: RouteContext) -> ApiResponse:
        return list_page(Salon(deps, ctx).repos.approvals, ctx.request, APPROVALS)

    def pending(ctx: RouteContext) -> ApiResponse:
        return list_page(Salon(deps, ctx).repos.approvals, ctx.request, APPROVALS,
                         fixed=[("status", "==", ApprovalStatus.PENDING)])

    def get_approval(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        return ApiResponse(200, salon.require(salon.repos.approvals, ctx.params["id"], "approval")
                           .model_dump(mode="json"))

    def act(ctx: RouteContext) -> ApiResponse:
        body = parse_model(ApprovalActionRequest, ctx.request.json())
        salon = Salon(deps, ctx)
        repo = salon.repos.approvals
        now = deps.clock()

        def respond(transaction: Any) -> Approval:
            approval = repo.get(ctx.params["id"], transaction=transaction)
            if approval is None:
                raise not_found("approval")
            try:
                outcome = respond_to_approval(approval.status, approval.expires_at, body.action.value,
                                              ctx.uid, now, body.notes)
            except InvalidTransition as error:
                raise ApiError(409, "invalid_transition",
                               f"the approval is already {approval.status.value}") from error
            if not outcome.changed:
                return approval
            changes: dict[str, Any] = {"status": outcome.status, "updated_at": now}
            if outcome.response:
                changes["response"] = outcome.response
            # Only the fields the PWA itself may write: the approval trigger then mirrors the answer on the
            # decision, audits it and executes or cancels the decision once, whichever client answered.
            repo.update(approval.id, changes, writer=transaction)
            return approval

        run_transaction(deps.firestore(), respond)
        updated = repo.get(ctx.params["id"])
        if updated is not None and updated.status is ApprovalStatus.EXPIRED:
            raise ApiError(409, "approval_expired", "the approval expired before this response arrived")
        if updated is not None:
            # The approval trigger records it too; a verdict is keyed by its approval, so it counts once, and
            # the caller's next GET of the agent already shows it.
            record_verdict(salon, updated, now)
        return ApiResponse(200, updated.model_dump(mode="json") if updated else None)

    def summary(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        filters: list[tuple[str, str, Any]] = []
        from_raw, to_raw = ctx.request.query_value("from"), ctx.request.query_value("to")
        if from_raw:
            filters.append(("created_at", ">=", parse_instant(from_raw, "from")))
        if to_raw:
            filters.append(("created_at", "<=", parse_instant(to_raw, "to", end_of_day=True)))
        repo = salon.repos.approvals
        by_status = counts_by(repo, filters, "status", list(ApprovalStatus))
        # A median cannot be aggregated: it is taken over the latest answers, and says how many.
        answered = [a for a in repo.query(filters, order_by=[("created_at", "DESCENDING")],
                                          limit=MEDIAN_SAMPLE) if a.response.responded_at is not None]
        response_seconds = [(a.response.responded_at - a.created_at).total_seconds()
                            for a in answered if a.response.responded_at is not None]
        return ApiResponse(200, {
            "total": repo.count(filters, order_by=NEWEST_FIRST),
            "by_status": by_status,
            "by_action_type": counts_by(repo, filters, "action_type", list(DecisionType)),
            "pending": by_status.get(ApprovalStatus.PENDING.value, 0),
            "median_response_seconds": median(response_seconds) if response_seconds else None,
            "median_response_sample": len(response_seconds),
        })

    return [
        Route("GET", "/autonomous/approvals/pending", pending, "Get pending approvals",
              response_model=Approval, list_response=True, query_params=APPROVALS.query_params),
        Route("GET", "/autonomous/approvals/stats/summary", summary, "Approval statistics",
              query_params=("from", "to")),
        Route("GET", "/autonomous/approvals", list_approvals, "List approvals",
              response_model=Approval, list_response=True, query_params=APPROVALS.query_params),
        Route("GET", "/autonomous/approvals/{id}", get_approval, "Get approval details", response_model=Approval),
        Route("POST", "/autonomous/approvals/{id}/action", act, "Approve/reject request",
              min_role=SalonRole.MANAGER, request_model=ApprovalActionRequest, response_model=Approval),
    ]
