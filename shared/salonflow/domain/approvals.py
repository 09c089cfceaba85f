"""`salons/{salon_id}/approvals/{approval_id}` — a request for an owner's decision.

Written by the server; the owner PWA may only set `status` (approved/rejected) and `response` on a pending,
unexpired approval (enforced by firestore.rules and re-checked by the function).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, DomainModel, FirestoreDocument, OpenModel, Timestamp
from salonflow.domain.enums import ApprovalAction, ApprovalPriority, ApprovalStatus, DecisionType
from salonflow.domain.money import Rupees

DEFAULT_APPROVAL_TTL = timedelta(minutes=15)


class ApprovalActionDetails(OpenModel):
    """The spec's gap-fill keys are typed (`time_slot` is display text such as "2:00 PM - 3:00 PM");
    other action types add their own keys (e.g. `discount_percent`)."""

    gap_id: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    staff_name: str | None = None
    time_slot: str | None = None
    potential_revenue: Rupees | None = None


class NotificationsSent(DomainModel):
    whatsapp: bool = False
    push: bool = False
    email: bool = False


class ApprovalResponse(DomainModel):
    action: ApprovalAction | None = None
    responded_by: str | None = None
    responded_at: Timestamp | None = None
    notes: str | None = Field(default=None, max_length=2000)


_DECIDED = {ApprovalStatus.APPROVED: ApprovalAction.APPROVE, ApprovalStatus.REJECTED: ApprovalAction.REJECT}


class Approval(FirestoreDocument):
    salon_id: DocId
    decision_id: DocId
    agent_name: str = Field(min_length=1)
    action_type: DecisionType
    action_summary: str = Field(min_length=1, max_length=500)
    action_details: ApprovalActionDetails = Field(default_factory=ApprovalActionDetails)
    priority: ApprovalPriority = ApprovalPriority.MEDIUM
    status: ApprovalStatus = ApprovalStatus.PENDING
    expires_at: Timestamp
    notifications_sent: NotificationsSent = Field(default_factory=NotificationsSent)
    response: ApprovalResponse = Field(default_factory=ApprovalResponse)
    created_at: Timestamp
    updated_at: Timestamp

    @model_validator(mode="after")
    def _consistent(self) -> Approval:
        if self.expires_at <= self.created_at:
            raise ValueError("expires_at must be after created_at")
        if self.updated_at < self.created_at:
            raise ValueError("updated_at cannot be before created_at")
        expected = _DECIDED.get(self.status)
        if expected is not None:
            if self.response.action is not expected or self.response.responded_at is None:
                raise ValueError(f"an {self.status.value} approval records response.action and responded_at")
            if not self.response.responded_by:
                raise ValueError(f"an {self.status.value} approval records response.responded_by")
        elif self.status is ApprovalStatus.PENDING and self.response.action is not None:
            raise ValueError("a pending approval has no response yet")
        return self

    def is_open(self, now: Timestamp) -> bool:
        """Pending and not yet past `expires_at`: the only state an approver may act on."""
        return self.status is ApprovalStatus.PENDING and now < self.expires_at
