"""`salons/{salon_id}/services/{service_id}` — what the salon sells, written by the owner PWA."""

from __future__ import annotations

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, FirestoreDocument, Timestamp
from salonflow.domain.money import Paise


class Service(FirestoreDocument):
    salon_id: DocId
    name: str = Field(min_length=1, max_length=100)
    category: str = Field(min_length=1, max_length=50)  # e.g. hair, skin, nails, spa, makeup, grooming
    duration_minutes: int = Field(gt=0, le=12 * 60)
    price_paise: Paise
    cost_paise: Paise = 0  # products and commission; margin = price - cost
    staff_ids: list[DocId] = Field(default_factory=list)
    is_add_on: bool = False  # can be appended to another booking (upsell)
    active: bool = True
    created_at: Timestamp
    updated_at: Timestamp

    @model_validator(mode="after")
    def _cost_within_price(self) -> Service:
        if self.cost_paise > self.price_paise:
            raise ValueError("cost_paise cannot exceed price_paise")
        return self

    @property
    def margin_paise(self) -> int:
        return self.price_paise - self.cost_paise
