"""Request bodies of the API. Unknown fields are rejected; server-owned fields are simply absent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from salonflow.domain.enums import (
    AgentStatus,
    ApprovalAction,
    DecisionType,
    MessageIntent,
    OutcomeStatus,
    OutreachStatus,
    OutreachType,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionContextIn(Strict):
    trigger_id: str | None = None
    trigger_type: str | None = None
    customer_id: str | None = None
    staff_id: str | None = None
    service_id: str | None = None
    time_slot: datetime | None = None


class DecisionCreate(Strict):
    """A decision recorded by a person or an external system (agents record their own)."""

    agent_name: str = Field(min_length=1, max_length=100)
    decision_type: DecisionType
    context: DecisionContextIn = Field(default_factory=DecisionContextIn)
    action_taken: str = Field(min_length=1, max_length=200)
    action_details: dict[str, Any] = Field(default_factory=dict)
    potential_revenue: int = Field(default=0, ge=0, description="whole rupees")
    discount_percent: float | None = Field(default=None, ge=0, le=100)
    expires_at: datetime | None = None


class DecisionOutcomePatch(Strict):
    """Record how a decision ended. Only a pending outcome can change, and only forward."""

    status: OutcomeStatus
    result: str | None = Field(default=None, max_length=1000)
    booking_created_id: str | None = None
    actual_revenue: int | None = Field(default=None, ge=0, description="whole rupees")


class AgentStatusPatch(Strict):
    status: AgentStatus
    reason: str | None = Field(default=None, max_length=500)


class AgentConfigPut(Strict):
    max_hourly_actions: int = Field(ge=0, le=1000)
    max_daily_actions: int = Field(ge=0, le=10000)
    cooldown_minutes: int = Field(ge=0, le=1440)
    custom: dict[str, Any] = Field(default_factory=dict)


class BreakerReset(Strict):
    reason: str | None = Field(default=None, max_length=500)


class ApprovalActionRequest(Strict):
    action: ApprovalAction
    notes: str | None = Field(default=None, max_length=2000)


class OutreachStatusPatch(Strict):
    """A status reported by someone other than Twilio (e.g. staff phoned the customer)."""

    status: OutreachStatus
    note: str | None = Field(default=None, max_length=500)


class OutreachCreate(Strict):
    """A message a manager asks for by hand. It goes through the same governance as an agent's (consent,
    quiet hours, per-customer limits, approval for discounts) and is rendered from the salon's template for
    its intent; free text is not accepted because WhatsApp allows it only inside the 24-hour window."""

    request_id: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$",
                            description="client-chosen; repeating a request with the same id sends nothing twice")
    customer_id: str = Field(min_length=1, max_length=200)
    outreach_type: OutreachType
    intent: MessageIntent
    booking_id: str | None = None
    gap_id: str | None = None
    service_id: str | None = None
    staff_id: str | None = None
    time_slot: datetime | None = None
    discount_percent: int | None = Field(default=None, ge=1, le=100)
    note: str | None = Field(default=None, max_length=500, description="why: kept on the decision and audit log")
