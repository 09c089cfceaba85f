"""What every policy leaves behind for the checker and the table: the messages it sent and the STOPs it got."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from salonflow.domain.enums import MessageIntent

PROACTIVE_INTENTS = frozenset({
    MessageIntent.GAP_FILL_OFFER, MessageIntent.WAITLIST_OFFER, MessageIntent.DISCOUNT_OFFER,
    MessageIntent.UPSELL_OFFER, MessageIntent.WIN_BACK, MessageIntent.APPOINTMENT_REMINDER,
    MessageIntent.CONFIRMATION_REQUEST,
})
OFFER_INTENTS = frozenset({MessageIntent.GAP_FILL_OFFER, MessageIntent.WAITLIST_OFFER, MessageIntent.DISCOUNT_OFFER})
CALL = "voice_call"
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class SentMessage:
    """One message (or call) that reached a customer."""

    at: datetime
    customer_id: str
    intent: str  # a MessageIntent value, "offer_expired", or CALL
    category: str  # "service" | "marketing"
    channel: str = "whatsapp"  # "whatsapp" | "voice"

    @property
    def proactive(self) -> bool:
        """We started it (an offer, reminder, confirmation request, call), rather than answered the customer."""
        return self.intent in PROACTIVE_INTENTS or self.intent == CALL


@dataclass
class Ledger:
    messages: list[SentMessage] = field(default_factory=list)
    opt_outs: dict[str, datetime] = field(default_factory=dict)  # customer -> when they replied STOP
    disappointed: int = 0  # said yes and did not get the slot (taken, or the offer had expired)
    _proactive: dict[str, list[datetime]] = field(default_factory=dict, repr=False)

    def record(self, message: SentMessage) -> None:
        self.messages.append(message)
        if message.proactive:
            self._proactive.setdefault(message.customer_id, []).append(message.at)

    def proactive_this_week(self, customer_id: str, until: datetime) -> int:
        """Proactive messages the customer got in the 7 days up to `until`, inclusive."""
        return sum(1 for at in self._proactive.get(customer_id, []) if until - WEEK < at <= until)

    def proactive_count(self, customer_id: str) -> int:
        return len(self._proactive.get(customer_id, []))

    def offers(self) -> int:
        return sum(1 for m in self.messages if m.intent in OFFER_INTENTS)
