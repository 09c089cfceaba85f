"""`salons/{salon_id}/autonomous_decisions/{decision_id}` — one decision an agent made, written by the server."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, DomainModel, FirestoreDocument, OpenModel, Timestamp
from salonflow.domain.enums import (
    AutonomyLevel,
    CustomerSegment,
    DecisionApprovalStatus,
    DecisionType,
    OutcomeStatus,
)
from salonflow.domain.money import CURRENCY, Rupees


class DecisionContext(OpenModel):
    """What triggered the decision. The spec's keys are typed; agents may add more (e.g. `booking_id`)."""

    trigger_id: str | None = None
    trigger_type: str | None = None
    customer_id: str | None = None
    staff_id: str | None = None
    service_id: str | None = None
    time_slot: Timestamp | None = None


class DecisionActionDetails(OpenModel):
    """Details of the action; the spec's gap-fill keys are typed, other decision types add their own."""

    gap_duration_minutes: int | None = Field(default=None, ge=0)
    potential_revenue: Rupees | None = None
    customer_segment: CustomerSegment | None = None


class RevenueImpact(DomainModel):
    """Whole rupees (see domain/money.py)."""

    potential: Rupees = 0
    actual: Rupees = 0
    currency: Literal["INR"] = CURRENCY


class DecisionApproval(DomainModel):
    required: bool
    status: DecisionApprovalStatus
    approval_id: str | None = None
    approved_by: str | None = None
    approved_at: Timestamp | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DecisionApproval:
        if not self.required and self.status is not DecisionApprovalStatus.NOT_REQUIRED:
            raise ValueError("an approval that is not required has status not_required")
        if self.required and self.status is DecisionApprovalStatus.NOT_REQUIRED:
            raise ValueError("a required approval cannot have status not_required")
        return self

    @classmethod
    def not_required(cls) -> DecisionApproval:
        return cls(required=False, status=DecisionApprovalStatus.NOT_REQUIRED)

    @classmethod
    def pending(cls, approval_id: str) -> DecisionApproval:
        return cls(required=True, status=DecisionApprovalStatus.PENDING, approval_id=approval_id)


class DecisionOutcome(DomainModel):
    status: OutcomeStatus = OutcomeStatus.PENDING
    result: str | None = None
    completed_at: Timestamp | None = None
    booking_created_id: str | None = None


class CaseOutcome(DomainModel):
    """How the case a no-show, retention or upsell decision is about ended, judged from the bookings alone
    (``agents.outcomes``), whatever the decision itself did. The lift net of the holdout compares treated and
    held-out cases by this (intent to treat): a reminder that was deferred past the appointment, or a
    "confirmed" reply before a no-show, must not make the treated side look better or worse than it was."""

    status: OutcomeStatus
    result: str = Field(min_length=1)
    revenue: int = Field(default=0, ge=0)  # rupees
    booking_id: str | None = None
    settled_at: Timestamp


class AutonomousDecision(FirestoreDocument):
    salon_id: DocId
    agent_name: str = Field(min_length=1)
    decision_type: DecisionType
    autonomy_level: AutonomyLevel
    context: DecisionContext = Field(default_factory=DecisionContext)
    action_taken: str = Field(min_length=1)
    action_details: DecisionActionDetails = Field(default_factory=DecisionActionDetails)
    revenue_impact: RevenueImpact = Field(default_factory=RevenueImpact)
    approval: DecisionApproval
    outcome: DecisionOutcome = Field(default_factory=DecisionOutcome)
    case_outcome: CaseOutcome | None = None
    created_at: Timestamp
    updated_at: Timestamp
    expires_at: Timestamp | None = None

    @model_validator(mode="after")
    def _times_in_order(self) -> AutonomousDecision:
        if self.updated_at < self.created_at:
            raise ValueError("updated_at cannot be before created_at")
        if self.expires_at is not None and self.expires_at < self.created_at:
            raise ValueError("expires_at cannot be before created_at")
        return self
