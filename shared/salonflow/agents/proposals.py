"""What an agent proposes. The executor decides whether, when and how it happens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from salonflow.domain.enums import DecisionType, MessageCategory, MessageIntent, OutreachType


class AgentName(StrEnum):
    GAP_FILL = "gap_fill_agent"
    NO_SHOW_PREVENTION = "no_show_prevention_agent"
    WAITLIST = "waitlist_agent"
    RETENTION = "retention_agent"
    UPSELL = "upsell_agent"
    ANALYTICS = "analytics_agent"
    CLEANUP = "cleanup_agent"


class Action(StrEnum):
    """`autonomous_decisions.action_taken` values the agents propose."""

    SEND_GAP_OFFER = "send_gap_offer"
    SEND_WAITLIST_OFFER = "send_waitlist_offer"
    SEND_MOVE_UP_OFFER = "send_move_up_offer"
    SEND_REMINDER = "send_reminder"
    REQUEST_CONFIRMATION = "request_confirmation"
    VOICE_CONFIRMATION_CALL = "voice_confirmation_call"
    SEND_WIN_BACK = "send_win_back"
    SEND_UPSELL_OFFER = "send_upsell_offer"
    OFFER_SLOT_DISCOUNT = "offer_slot_discount"
    ADJUST_PRICE = "adjust_price"
    HOLDOUT_NO_ACTION = "holdout_no_action"  # an eligible case deliberately left alone (see agents/holdout.py)


@dataclass(frozen=True)
class Proposal:
    """One thing an agent wants done, explained.

    `reason` is one sentence an owner understands. `expected_value` is in rupees: probability x value.
    `case_key` names the eligible case for the holdout (the same case always falls on the same side).
    """

    agent_name: AgentName
    decision_type: DecisionType
    action: Action
    trigger_type: str  # "schedule_gap", "upcoming_booking", "customer", "waitlist_entry", "time_slot"
    trigger_id: str
    reason: str
    case_key: str
    expected_value: float = 0.0
    potential_revenue: int = 0  # rupees
    probability: float | None = None
    customer_id: str | None = None
    staff_id: str | None = None
    service_id: str | None = None
    booking_id: str | None = None
    gap_id: str | None = None
    time_slot: datetime | None = None
    slot_end: datetime | None = None
    # Outreach intent: None for proposals that only need an owner's decision (dynamic pricing).
    intent: MessageIntent | None = None
    outreach_type: OutreachType | None = None
    category: MessageCategory | None = None
    channel: str | None = None  # "whatsapp" by default; "voice" for confirmation calls
    discount_percent: int | None = None
    valid_until: datetime | None = None
    send_at: datetime | None = None  # not before (e.g. a reminder 24 h ahead)
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def contacts_customer(self) -> bool:
        return self.intent is not None and self.customer_id is not None
