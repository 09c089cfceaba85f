"""`salons/{salon_id}/outreach/{outreach_id}` — one message to one customer (server only).

The id is deterministic (`ids.outreach_id(salon, customer, intent, slot)`) so a replayed decision can never
create a second message. Fields after the spec's (`decision_id`, `intent`, `category`, ...) are our additions
for governance and the Twilio adapter; they are optional.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from salonflow.domain.base import (
    DocId,
    DomainModel,
    E164Phone,
    FirestoreDocument,
    OpenModel,
    Percent,
    Timestamp,
)
from salonflow.domain.enums import (
    Channel,
    MessageCategory,
    OutreachResponseAction,
    OutreachStatus,
    OutreachType,
)

# Forward-only order of the delivery lifecycle; failed/expired are terminal and outside this ladder.
OUTREACH_PROGRESS: tuple[OutreachStatus, ...] = (
    OutreachStatus.PENDING,
    OutreachStatus.SENT,
    OutreachStatus.DELIVERED,
    OutreachStatus.READ,
    OutreachStatus.RESPONDED,
)
TERMINAL_OUTREACH_STATUSES = frozenset({OutreachStatus.FAILED, OutreachStatus.EXPIRED, OutreachStatus.RESPONDED})


class OfferDetails(OpenModel):
    discount_percent: Percent | None = None
    valid_until: Timestamp | None = None


class OutreachResponse(DomainModel):
    received: bool = False
    action: OutreachResponseAction | None = None
    responded_at: Timestamp | None = None
    booking_id: str | None = None


class OutreachDelivery(DomainModel):
    message_id: str | None = None  # Twilio Message SID, stored at send
    sent_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    read_at: Timestamp | None = None
    error: str | None = None
    # Our additions:
    error_code: int | None = None  # Twilio error code, e.g. 63016
    provider_status: str | None = None  # last Twilio status applied (queued, sent, delivered, ...)
    send_started_at: Timestamp | None = None  # set before calling Twilio; a stuck send is reconciled from here


class Outreach(FirestoreDocument):
    salon_id: DocId
    customer_id: DocId
    customer_name: str
    customer_phone: E164Phone
    outreach_type: OutreachType
    channel: Channel
    status: OutreachStatus = OutreachStatus.PENDING
    message: str
    trigger_id: str | None = None
    trigger_type: str | None = None
    offer_details: OfferDetails | None = None
    expires_at: Timestamp | None = None
    attempts: int = Field(default=0, ge=0)
    last_attempt_at: Timestamp | None = None
    response: OutreachResponse = Field(default_factory=OutreachResponse)
    delivery: OutreachDelivery = Field(default_factory=OutreachDelivery)
    created_at: Timestamp
    updated_at: Timestamp
    # Our additions (optional, documented in docs/schema.md):
    decision_id: str | None = None
    agent_name: str | None = None  # the agent that sent it: the `agent_name` label of its delivery metric
    intent: str | None = None  # a MessageIntent value; selects the WhatsApp template
    category: MessageCategory | None = None  # consent/quiet-hours category the message was sent under
    content_sid: str | None = None
    content_variables: dict[str, str] = Field(default_factory=dict)
    scheduled_for: Timestamp | None = None  # deferred by quiet hours until this instant
    suppression_reason: str | None = None  # why it was not sent (no consent, limit, ...)

    @model_validator(mode="after")
    def _consistent(self) -> Outreach:
        if self.updated_at < self.created_at:
            raise ValueError("updated_at cannot be before created_at")
        if self.status is OutreachStatus.RESPONDED and not self.response.received:
            raise ValueError("a responded outreach has response.received = true")
        return self
