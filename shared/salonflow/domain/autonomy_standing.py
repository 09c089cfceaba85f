"""`salons/{salon_id}/autonomy_standings/{decision_type}` — where an action type stands on the autonomy ladder.

Written by the server only (graduated autonomy, `governance.graduation`): the owner's verdicts on the type's
approval requests since its level last changed, the opt-outs that answered its messages, the owner's pin, and
the level with the sentence that explains it. The level itself is applied to the salon's `autonomy` map, which
is what the executor reads; this document is the record of why.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from salonflow.domain.base import DomainModel, FirestoreDocument, Timestamp
from salonflow.domain.enums import AutonomyLevel, DecisionType

# Bounded so the document stays small whatever the salon's volume (a verdict is ~60 bytes).
MAX_VERDICTS_KEPT = 500
MAX_OPT_OUTS_KEPT = 200


class RecordedVerdict(DomainModel):
    approval_id: str = Field(min_length=1)
    at: Timestamp
    approved: bool


class RecordedOptOut(DomainModel):
    key: str = Field(min_length=1)  # the outreach answered by the opt-out; one opt-out per message counts
    at: Timestamp


class AutonomyStanding(FirestoreDocument):
    salon_id: str = Field(min_length=1)
    decision_type: DecisionType
    level: AutonomyLevel
    since: Timestamp  # when the level last changed; only verdicts after it count
    reason: str = Field(min_length=1, max_length=500)
    evidence: dict[str, object] = Field(default_factory=dict)
    pinned: AutonomyLevel | None = None
    pinned_by: str | None = None
    pinned_at: Timestamp | None = None
    pin_reason: str | None = Field(default=None, max_length=500)
    verdicts: list[RecordedVerdict] = Field(default_factory=list, max_length=MAX_VERDICTS_KEPT)
    opt_outs: list[RecordedOptOut] = Field(default_factory=list, max_length=MAX_OPT_OUTS_KEPT)
    created_at: Timestamp
    updated_at: Timestamp

    @property
    def document_id(self) -> str:
        return self.decision_type.value

    @model_validator(mode="after")
    def _consistent(self) -> AutonomyStanding:
        if self.id != self.decision_type.value:
            raise ValueError("an autonomy standing is stored under its decision type")
        if (self.pinned is None) != (self.pinned_at is None):
            raise ValueError("a pin records pinned_at, and only a pin does")
        if self.updated_at < self.created_at:
            raise ValueError("updated_at cannot be before created_at")
        return self


# The decision types each agent proposes (what `GET /autonomous/agents/{name}` shows the standing of).
# Autonomy is earned per decision type, so two agents proposing the same type share its standing.
AGENT_DECISION_TYPES: dict[str, tuple[DecisionType, ...]] = {
    "gap_fill_agent": (DecisionType.GAP_FILL, DecisionType.WAITLIST_PROMOTION, DecisionType.DISCOUNT_OFFER),
    "no_show_prevention_agent": (DecisionType.NO_SHOW_PREVENTION,),
    "waitlist_agent": (DecisionType.WAITLIST_PROMOTION,),
    "retention_agent": (DecisionType.DISCOUNT_OFFER,),
    "upsell_agent": (DecisionType.GAP_FILL,),
    "analytics_agent": (DecisionType.DYNAMIC_PRICING,),
    "cleanup_agent": (),
}
