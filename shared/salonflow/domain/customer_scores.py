"""`salons/{salon_id}/customer_scores/{customer_id}` — computed by the retention/analytics agents (server only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, DomainModel, FirestoreDocument, Number, Probability, Timestamp
from salonflow.domain.enums import CustomerSegment
from salonflow.domain.ids import customer_score_id
from salonflow.domain.money import Rupees


class Ltv(DomainModel):
    """Whole rupees (see domain/money.py)."""

    total: Rupees = 0
    last_12_months: Rupees = 0
    projected_annual: Rupees = 0
    average_per_visit: Rupees = 0


class VisitFrequency(DomainModel):
    total_visits: int = Field(default=0, ge=0)
    last_90_days: int = Field(default=0, ge=0)
    average_days_between: Annotated[Number, Field(ge=0)] | None = None
    last_visit: date | None = None
    next_predicted: date | None = None


class ChurnRisk(DomainModel):
    score: int = Field(default=0, ge=0, le=100)  # higher = more risk
    factors: list[str] = Field(default_factory=list)
    last_assessment: date | None = None


class Preferences(DomainModel):
    preferred_staff: list[str] = Field(default_factory=list)
    preferred_services: list[str] = Field(default_factory=list)
    preferred_time_slots: list[str] = Field(default_factory=list)  # e.g. "morning", "weekend"


class Engagement(DomainModel):
    whatsapp_opt_in: bool = False
    response_rate: Probability = 0.0
    last_response: date | None = None


class Scores(DomainModel):
    retention: int = Field(default=0, ge=0, le=100)
    upsell: int = Field(default=0, ge=0, le=100)
    referral: int = Field(default=0, ge=0, le=100)


class CustomerScore(FirestoreDocument):
    """Stored under the customer's id; `id` is the spec's `score_{customer_id}`."""

    salon_id: DocId
    customer_id: DocId
    segment: CustomerSegment = CustomerSegment.NEW
    ltv: Ltv = Field(default_factory=Ltv)
    visit_frequency: VisitFrequency = Field(default_factory=VisitFrequency)
    churn_risk: ChurnRisk = Field(default_factory=ChurnRisk)
    preferences: Preferences = Field(default_factory=Preferences)
    engagement: Engagement = Field(default_factory=Engagement)
    scores: Scores = Field(default_factory=Scores)
    created_at: Timestamp
    updated_at: Timestamp

    @property
    def document_id(self) -> str:
        return self.customer_id

    @classmethod
    def default_id_for(cls, doc_id: str, data: Any) -> str:
        return customer_score_id(doc_id)

    @model_validator(mode="after")
    def _id_matches(self) -> CustomerScore:
        if self.id != customer_score_id(self.customer_id):
            raise ValueError("customer score id must be score_{customer_id}")
        return self
