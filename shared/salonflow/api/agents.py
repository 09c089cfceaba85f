"""``/autonomous/agents``: each agent's state per salon, and the owner's controls over it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from salonflow.adapters.firestore.governance_breaker import BreakerStore
from salonflow.adapters.firestore.governance_gate import Governor
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.api.autonomy import AgentView, AutonomyPin, autonomy_views, pin_autonomy
from salonflow.api.context import ApiDeps, Salon
from salonflow.api.http import ApiError, ApiResponse, Route, RouteContext, not_found, parse_model
from salonflow.api.schemas import AgentConfigPut, AgentStatusPatch, BreakerReset
from salonflow.domain import AGENT_NAMES, AgentState
from salonflow.domain.enums import AgentStatus, SalonRole
from salonflow.governance import audit
from salonflow.governance.gate import GovernanceSettings

# A person may pause or resume an agent; "error" and "circuit_breaker" are the system's to set.
SETTABLE_STATUSES = {AgentStatus.ACTIVE, AgentStatus.PAUSED}


def _known(name: str) -> str:
    if name not in AGENT_NAMES:
        raise not_found("agent")
    return name


def all_agent_states(salon: Salon, now: datetime) -> list[AgentState]:
    """Every agent of the salon, in the spec's order; one never run yet shows its initial state."""
    stored = salon.repos.agent_states.get_many(AGENT_NAMES)
    today = now.astimezone(salon.timezone()).date()
    return [stored.get(name) or AgentState.initial(salon.id, name, now, today) for name in AGENT_NAMES]


def publish_rate_limits(salon: Salon, agent_name: str, now: datetime) -> None:
    stored = salon.repos.salon.get()
    settings = GovernanceSettings.from_salon_document(stored.to_firestore() if stored is not None else None)
    Governor(salon.deps.firestore(), salon.id).publish_rate_limits(agent_name, settings, now)


def routes(deps: ApiDeps) -> list[Route]:
    def state_or_initial(salon: Salon, name: str, transaction: Any = None) -> AgentState:
        stored = salon.repos.agent_states.get(name, transaction=transaction)
        if stored is not None:
            return stored
        now = deps.clock()
        return AgentState.initial(salon.id, name, now, now.astimezone(salon.timezone()).date())

    def list_agents(ctx: RouteContext) -> ApiResponse:
        items = [state.model_dump(mode="json") for state in all_agent_states(Salon(deps, ctx), deps.clock())]
        return ApiResponse(200, {"items": items, "next_page_token": None})

    def agent_view(salon: Salon, name: str) -> dict[str, Any]:
        state = state_or_initial(salon, name)
        view = AgentView.model_validate({**state.model_dump(), "autonomy": autonomy_views(salon, name)})
        return view.model_dump(mode="json")

    def get_agent(ctx: RouteContext) -> ApiResponse:
        salon = Salon(deps, ctx)
        return ApiResponse(200, agent_view(salon, _known(ctx.params["name"])))

    def put_autonomy(ctx: RouteContext) -> ApiResponse:
        body = parse_model(AutonomyPin, ctx.request.json())
        salon = Salon(deps, ctx)
        name = _known(ctx.params["name"])
        pin_autonomy(salon, name, ctx.params["decision_type"], body, ctx.uid, deps.clock())
        return ApiResponse(200, agent_view(salon, name))

    def change(ctx: RouteContext, field: str, value: dict[str, Any] | str, event: str) -> ApiResponse:
        salon = Salon(deps, ctx)
        name = _known(ctx.params["name"])
        now = deps.clock()

        def apply(transaction: Any) -> None:
            state = state_or_initial(salon, name, transaction)
            before = state.model_dump(mode="json")[field]
            updated = AgentState.model_validate({**state.model_dump(), field: value, "updated_at": now})
            salon.repos.agent_states.upsert(updated, writer=transaction)
            after = updated.model_dump(mode="json")[field]
            if event == "manual_override":
                entry = audit.manual_override(salon.id, ctx.uid, f"Agent {name} set to {value}", "agent_state",
                                              name, now, before=before, after=after)
            else:
                entry = audit.config_changed(salon.id, ctx.uid, "agent_state", name, {field: before},
                                             {field: after}, now, user_agent=ctx.request.header("user-agent"))
            salon.audit.append(entry, transaction=transaction)

        run_transaction(deps.firestore(), apply)
        if field == "config":
            publish_rate_limits(salon, name, now)  # the new limits show at once, not after the next run
        return ApiResponse(200, state_or_initial(salon, name).model_dump(mode="json"))

    def patch_status(ctx: RouteContext) -> ApiResponse:
        body = parse_model(AgentStatusPatch, ctx.request.json())
        if body.status not in SETTABLE_STATUSES:
            raise ApiError(422, "invalid_status", "agents can only be set to active or paused by a person",
                           {"allowed": sorted(s.value for s in SETTABLE_STATUSES)})
        return change(ctx, "status", body.status.value, "manual_override")

    def put_config(ctx: RouteContext) -> ApiResponse:
        body = parse_model(AgentConfigPut, ctx.request.json())
        return change(ctx, "config", body.model_dump(), "config_changed")

    def reset_breaker(ctx: RouteContext) -> ApiResponse:
        body = parse_model(BreakerReset, ctx.request.json() if ctx.request.body else {})
        salon = Salon(deps, ctx)
        name = _known(ctx.params["name"])
        BreakerStore(deps.firestore(), salon.id).reset(name, ctx.uid, deps.clock(), body.reason)
        return ApiResponse(200, state_or_initial(salon, name).model_dump(mode="json"))

    return [
        Route("GET", "/autonomous/agents", list_agents, "List all agents", response_model=AgentState,
              list_response=True),
        Route("GET", "/autonomous/agents/{name}", get_agent, "Get agent state, with where its action types stand "
              "on the autonomy ladder and why", response_model=AgentView),
        Route("PUT", "/autonomous/agents/{name}/autonomy/{decision_type}", put_autonomy,
              "Pin (or unpin) an action type's autonomy level", min_role=SalonRole.OWNER,
              request_model=AutonomyPin, response_model=AgentView),
        Route("PATCH", "/autonomous/agents/{name}", patch_status, "Update agent status",
              min_role=SalonRole.MANAGER, request_model=AgentStatusPatch, response_model=AgentState),
        Route("PUT", "/autonomous/agents/{name}/config", put_config, "Update agent config",
              min_role=SalonRole.MANAGER, request_model=AgentConfigPut, response_model=AgentState),
        Route("POST", "/autonomous/agents/{name}/reset-circuit-breaker", reset_breaker, "Reset circuit breaker",
              min_role=SalonRole.MANAGER, request_model=BreakerReset, response_model=AgentState),
    ]
