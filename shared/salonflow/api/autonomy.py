"""Graduated autonomy in the API: where each of an agent's action types stands and why, and the owner's pin.

`GET /autonomous/agents/{name}` carries `autonomy`: one entry per decision type the agent proposes.
`PUT /autonomous/agents/{name}/autonomy/{decision_type}` pins a type at a level (`{"pinned": null}` lifts it);
owners only, like the salon's autonomy settings in firestore.rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from salonflow.adapters.firestore.autonomy_ladder import AutonomyLadder
from salonflow.api.context import Salon
from salonflow.api.http import ApiError, not_found
from salonflow.domain import AgentState, Approval
from salonflow.domain.autonomy_standing import AGENT_DECISION_TYPES
from salonflow.domain.enums import ApprovalStatus, AutonomyLevel, DecisionType
from salonflow.governance.autonomy import floor_for
from salonflow.governance.graduation import PROMOTE_STREAK, Pin, salon_level


class AutonomyPin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pinned: AutonomyLevel | None = Field(description="the level to hold the type at; null lifts the pin")
    reason: str | None = Field(default=None, max_length=500)


class AutonomyView(BaseModel):
    decision_type: DecisionType
    level: AutonomyLevel
    floor: AutonomyLevel
    reason: str
    since: datetime | None = None
    pinned: AutonomyLevel | None = None
    pinned_by: str | None = None
    pinned_at: datetime | None = None
    pin_reason: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class AgentView(AgentState):
    autonomy: list[AutonomyView] = Field(default_factory=list)


def decision_type_of(agent_name: str, raw: str) -> DecisionType:
    try:
        decision_type = DecisionType(raw)
    except ValueError:
        raise not_found("decision type") from None
    if decision_type not in AGENT_DECISION_TYPES.get(agent_name, ()):
        raise ApiError(422, "not_this_agents_type", f"{agent_name} does not propose {raw} decisions",
                       {"decision_types": [t.value for t in AGENT_DECISION_TYPES.get(agent_name, ())]})
    return decision_type


def autonomy_views(salon: Salon, agent_name: str) -> list[AutonomyView]:
    types = AGENT_DECISION_TYPES.get(agent_name, ())
    if not types:
        return []
    stored_salon = salon.repos.salon.get()
    settings = {k.value: v.value for k, v in stored_salon.autonomy.items()} if stored_salon else {}
    standings = AutonomyLadder(salon.deps.firestore(), salon.id).standings(types)
    views = []
    for decision_type in types:
        standing = standings[decision_type]
        level = salon_level(decision_type, settings)
        if standing is None or standing.level is not level:
            # Never judged yet, or the owner moved the level in the settings since: the settings speak.
            reason = (f"{decision_type.value} is {level.value} from the salon's settings; no verdicts since"
                      + ("" if level is not AutonomyLevel.SUPERVISED
                         else f" ({PROMOTE_STREAK} approvals in a row earn full_auto)"))
            views.append(AutonomyView(decision_type=decision_type, level=level, floor=floor_for(decision_type),
                                      reason=reason))
            continue
        views.append(AutonomyView(
            decision_type=decision_type, level=standing.level, floor=floor_for(decision_type),
            reason=standing.reason, since=standing.since, pinned=standing.pinned, pinned_by=standing.pinned_by,
            pinned_at=standing.pinned_at, pin_reason=standing.pin_reason, evidence=dict(standing.evidence)))
    return views


def pin_autonomy(salon: Salon, agent_name: str, raw_type: str, body: AutonomyPin, by: str, now: datetime) -> None:
    decision_type = decision_type_of(agent_name, raw_type)
    floor = floor_for(decision_type)
    if body.pinned is not None and not body.pinned.at_least(floor):
        raise ApiError(422, "below_floor",
                       f"{decision_type.value} cannot be pinned at {body.pinned.value}: the floor is {floor.value}",
                       {"floor": floor.value})
    if salon.repos.salon.get() is None:
        raise not_found("salon")
    AutonomyLadder(salon.deps.firestore(), salon.id).pin(decision_type, Pin(body.pinned, by, body.reason), now)


def record_verdict(salon: Salon, approval: Approval, now: datetime) -> None:
    """An approved or rejected approval is one verdict on its action type (idempotent per approval)."""
    if approval.status in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
        AutonomyLadder(salon.deps.firestore(), salon.id).record_verdict(
            approval.action_type, approval.id, approval.status is ApprovalStatus.APPROVED, now)
