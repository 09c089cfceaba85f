"""`salons/{salon_id}` — the salon's settings, written by the owner PWA (owners only for autonomy settings)."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from salonflow.domain.base import DomainModel, E164Phone, FirestoreDocument, LocalTime, Number, Timestamp
from salonflow.domain.enums import ApproverChannel, AutonomyLevel, DecisionType, SalonRole
from salonflow.domain.money import CURRENCY
from salonflow.domain.schedule import WeeklyHours

DEFAULT_TIMEZONE = "Asia/Kolkata"
DEFAULT_HOLDOUT_SHARE = 0.10
DEFAULT_MAX_DISCOUNT_PERCENT = 20

# The spec's approval table is a floor: a salon may be stricter, never looser.
AUTONOMY_FLOOR: dict[DecisionType, AutonomyLevel] = {
    DecisionType.GAP_FILL: AutonomyLevel.FULL_AUTO,
    DecisionType.NO_SHOW_PREVENTION: AutonomyLevel.FULL_AUTO,
    DecisionType.WAITLIST_PROMOTION: AutonomyLevel.FULL_AUTO,
    DecisionType.DISCOUNT_OFFER: AutonomyLevel.SUPERVISED,
    DecisionType.DYNAMIC_PRICING: AutonomyLevel.SUPERVISED,
}
# Discounts above this percent are manual_only whatever the salon chose.
MANUAL_ONLY_DISCOUNT_ABOVE_PERCENT = 20

DEFAULT_AUTONOMY: dict[DecisionType, AutonomyLevel] = {
    DecisionType.GAP_FILL: AutonomyLevel.SUPERVISED,
    DecisionType.NO_SHOW_PREVENTION: AutonomyLevel.FULL_AUTO,
    DecisionType.WAITLIST_PROMOTION: AutonomyLevel.FULL_AUTO,
    DecisionType.DISCOUNT_OFFER: AutonomyLevel.SUPERVISED,
    DecisionType.DYNAMIC_PRICING: AutonomyLevel.SUPERVISED,
}

# Promotional messages may only ever go out inside this window (TRAI: 09:00-21:00 local).
PROMOTIONAL_OUTER_START = time(9, 0)
PROMOTIONAL_OUTER_END = time(21, 0)


class SendWindow(DomainModel):
    """Messages of one category may be sent from `allowed_from` until `allowed_until` (salon-local);
    the rest of the day is quiet and sends are deferred to the next allowed time."""

    allowed_from: LocalTime
    allowed_until: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> SendWindow:
        if self.allowed_until <= self.allowed_from:
            raise ValueError("allowed_until must be after allowed_from")
        return self


class QuietHours(DomainModel):
    service: SendWindow = Field(
        default_factory=lambda: SendWindow(allowed_from=time(8, 0), allowed_until=time(21, 0))
    )
    promotional: SendWindow = Field(
        default_factory=lambda: SendWindow(allowed_from=time(10, 0), allowed_until=time(20, 0))
    )

    @model_validator(mode="after")
    def _promotional_inside_legal_window(self) -> QuietHours:
        window = self.promotional
        if window.allowed_from < PROMOTIONAL_OUTER_START or window.allowed_until > PROMOTIONAL_OUTER_END:
            raise ValueError("promotional messages can only be allowed inside 09:00-21:00")
        return self


class RateLimitOverrides(DomainModel):
    """Salon-wide overrides of the spec's DEFAULT_RATE_LIMITS: the budget every agent of the salon shares
    (`governance.rate_limits`). Per-customer caps may only be tightened. The upper bounds keep a day of
    reservations inside one budget document."""

    hourly_actions: int | None = Field(default=None, ge=0, le=1_000)
    daily_actions: int | None = Field(default=None, ge=0, le=5_000)
    per_customer_hourly: int | None = Field(default=None, ge=0, le=1)
    per_customer_daily: int | None = Field(default=None, ge=0, le=3)


class ApproverContact(DomainModel):
    name: str = Field(min_length=1, max_length=100)
    phone: E164Phone
    role: Literal[SalonRole.OWNER, SalonRole.MANAGER]
    channels: list[ApproverChannel] = Field(default_factory=lambda: [ApproverChannel.WHATSAPP])
    user_id: str | None = None  # Firebase Auth uid, for push notifications and `responded_by`
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class OfferSettings(DomainModel):
    allowed: bool = True
    max_discount_percent: int = Field(default=DEFAULT_MAX_DISCOUNT_PERCENT, ge=0, le=100)


_CONTENT_SID = r"^HX[0-9a-fA-F]{32}$"


class Salon(FirestoreDocument):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = DEFAULT_TIMEZONE
    currency: Literal["INR"] = CURRENCY
    opening_hours: WeeklyHours = Field(default_factory=dict)
    autonomy: dict[DecisionType, AutonomyLevel] = Field(default_factory=lambda: dict(DEFAULT_AUTONOMY))
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    rate_limits: RateLimitOverrides = Field(default_factory=RateLimitOverrides)
    approvers: list[ApproverContact] = Field(default_factory=list)
    whatsapp_templates: dict[str, str] = Field(default_factory=dict)  # intent -> Content SID (HX...)
    whatsapp_sender: E164Phone | None = None  # the salon's WhatsApp Business number
    sms_sender_id: str | None = Field(default=None, pattern=r"^[A-Z0-9]{6}$")  # DLT header
    holdout_share: Annotated[Number, Field(ge=0, le=0.5)] = DEFAULT_HOLDOUT_SHARE
    offers: OfferSettings = Field(default_factory=OfferSettings)
    outreach_paused_at: Timestamp | None = None  # set when carrier filtering (30007) pauses outreach
    outreach_paused_reason: str | None = None
    created_at: Timestamp
    updated_at: Timestamp

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA timezone {value!r}") from error
        return value

    @field_validator("whatsapp_templates")
    @classmethod
    def _content_sids(cls, value: dict[str, str]) -> dict[str, str]:
        for intent, sid in value.items():
            if not re.match(r"^[a-z][a-z0-9_]{0,63}$", intent):
                raise ValueError(f"template intent {intent!r} must be snake_case")
            if not re.match(_CONTENT_SID, sid):
                raise ValueError(f"template for {intent!r} must be a Content SID (HX + 32 hex)")
        return value

    @model_validator(mode="after")
    def _autonomy_not_below_floor(self) -> Salon:
        for decision_type, level in self.autonomy.items():
            floor = AUTONOMY_FLOOR[decision_type]
            if not level.at_least(floor):
                raise ValueError(
                    f"{decision_type.value} cannot be {level.value}: the floor is {floor.value}"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def autonomy_for(self, decision_type: DecisionType) -> AutonomyLevel:
        """The salon's level for a decision type, never looser than the spec's floor."""
        chosen = self.autonomy.get(decision_type, DEFAULT_AUTONOMY[decision_type])
        return AutonomyLevel.strictest(chosen, AUTONOMY_FLOOR[decision_type])

    def template_for(self, intent: str) -> str | None:
        return self.whatsapp_templates.get(intent)

