"""``/autonomous/outreach``: every message an agent sent or meant to send, and how it went."""

from __future__ import annotations

from collections import Counter
from typing import Any

from salonflow.adapters.firestore.governance_outreach import outreach_view
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.api.context import ApiDeps, Salon
from salonflow.api.http import ApiResponse, Route, RouteContext, not_found, parse_model
from salonflow.api.listing import NEWEST_FIRST, ListSpec, collect_filters, counts_by, list_page, stats_params
from salonflow.api.manual import manual_proposal
from salonflow.api.schemas import OutreachCreate, OutreachStatusPatch
from salonflow.domain import Outreach
from salonflow.domain.enums import Channel, OutreachStatus, OutreachType, SalonRole
from salonflow.governance import audit
from salonflow.governance.outreach_lifecycle import apply_status

OUTREACH = ListSpec(
    enum_filters={
        "status": ("status", OutreachStatus),
        "outreach_type": ("outreach_type", OutreachType),
        "channel": ("channel", Channel),
    },
    text_filters={"customer_id": "customer_id", "trigger_id": "trigger_id"},
)
REACHED = {OutreachStatus.DELIVERED, OutreachStatus.READ, OutreachStatus.RESPONDED}
ATTEMPTED = REACHED | {OutreachStatus.SENT, OutreachStatus.FAILED}
SUPPRESSED_READ_LIMIT = 5000


def routes(deps: ApiDeps) -> list[Route]:
    def list_outreach(ctx: RouteContext) -> ApiResponse:
        return list_page(Salon(deps, ctx).repos.outreach, ctx.request, OUTREACH)

    def get_outreach(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        return ApiResponse(200, salon.require(salon.repos.outreach, ctx.params["id"], "outreach")
                           .model_dump(mode="json"))

    def patch_status(ctx: RouteContext) -> ApiResponse:
        body = parse_model(OutreachStatusPatch, ctx.request.json())
        salon = Salon(deps, ctx)
        ref = salon.repos.outreach.ref(ctx.params["id"])
        now = deps.clock()

        def change(transaction: Any) -> None:
            snapshot = ref.get(transaction=transaction)
            if not snapshot.exists:
                raise not_found("outreach")
            # The same monotonic merge as Twilio's callbacks: a manual report never moves status backwards.
            update = apply_status(outreach_view(snapshot.to_dict() or {}), body.status, now, error=body.note)
            if not update.changes:
                return
            changes = dict(update.changes)
            if changes.get("status") == OutreachStatus.RESPONDED.value:
                changes.update({"response.received": True, "response.responded_at": now})
            transaction.update(ref, changes)
            salon.audit.append(audit.manual_override(salon.id, ctx.uid, f"Outreach marked {body.status.value}",
                                                     "outreach", ref.id, now, reason=body.note),
                               transaction=transaction)

        run_transaction(deps.firestore(), change)
        return ApiResponse(200, salon.require(salon.repos.outreach, ref.id, "outreach").model_dump(mode="json"))

    def create(ctx: RouteContext) -> ApiResponse:
        body = parse_model(OutreachCreate, ctx.request.json())
        salon = Salon(deps, ctx)
        if salon.repos.customers.get(body.customer_id) is None:
            raise not_found("customer")
        proposal = manual_proposal(body, ctx.uid)
        from salonflow.services.executor import Executor

        execution = Executor(deps.firestore(), salon.id, deps.ports()).execute_one(
            proposal, deps.clock(), holdout_eligible=False)
        status = 201 if execution.result.value in ("sent", "approval_requested", "deferred") else 200
        return ApiResponse(status, {"decision_id": execution.decision_id, "result": execution.result.value,
                                    "detail": execution.detail, "outreach_id": execution.outreach_id,
                                    "deferred_until": execution.until})

    def summary(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        filters, _ = collect_filters(ctx.request, OUTREACH)
        repo = salon.repos.outreach
        by_status = counts_by(repo, filters, "status", list(OutreachStatus))
        attempted = sum(by_status.get(s.value, 0) for s in ATTEMPTED)
        reached = sum(by_status.get(s.value, 0) for s in REACHED)
        # Suppression reasons are open-ended (consent, limits, quiet hours…), so they are read, not aggregated:
        # from the newest outreach, and the answer says whether that covered all of it.
        recent: list[Outreach] = repo.query(filters, order_by=list(NEWEST_FIRST), limit=SUPPRESSED_READ_LIMIT)
        suppressed = [o for o in recent if o.suppression_reason]
        return ApiResponse(200, {
            "total": repo.count(filters, order_by=NEWEST_FIRST),
            "by_status": by_status,
            "by_type": counts_by(repo, filters, "outreach_type", list(OutreachType)),
            "by_channel": counts_by(repo, filters, "channel", list(Channel)),
            "suppressed": dict(Counter(o.suppression_reason for o in suppressed if o.suppression_reason)),
            "suppressed_complete": len(recent) < SUPPRESSED_READ_LIMIT,
            "delivery_rate": round(reached / attempted, 4) if attempted else None,
            "response_rate": round(by_status.get(OutreachStatus.RESPONDED.value, 0) / reached, 4)
            if reached else None,
        })

    return [
        Route("GET", "/autonomous/outreach/stats/summary", summary, "Outreach statistics",
              query_params=stats_params(OUTREACH)),
        Route("POST", "/autonomous/outreach", create, "Create outreach (through governance)",
              min_role=SalonRole.MANAGER, request_model=OutreachCreate),
        Route("GET", "/autonomous/outreach", list_outreach, "List outreach",
              response_model=Outreach, list_response=True, query_params=OUTREACH.query_params),
        Route("GET", "/autonomous/outreach/{id}", get_outreach, "Get outreach details", response_model=Outreach),
        Route("PATCH", "/autonomous/outreach/{id}", patch_status, "Update outreach status",
              min_role=SalonRole.MANAGER, request_model=OutreachStatusPatch, response_model=Outreach),
    ]
