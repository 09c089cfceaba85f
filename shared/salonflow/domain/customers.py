"""`salons/{salon_id}/customers/{customer_id}` — a client, written by the owner PWA and by the server
(consent changes from opt-out keywords, `last_inbound_message_at` from incoming messages).

Consent is a matrix: channel (whatsapp/sms/voice/push/email) x category (service/marketing). A message may be
sent only when the record for its channel and category is granted. A missing record means no consent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, DomainModel, E164Phone, FirestoreDocument, Timestamp
from salonflow.domain.enums import ConsentChannel, ConsentSource, MessageCategory

WHATSAPP_SESSION_WINDOW = timedelta(hours=24)


class ConsentRecord(DomainModel):
    granted: bool
    granted_at: Timestamp | None = None
    revoked_at: Timestamp | None = None
    source: ConsentSource
    updated_at: Timestamp

    @model_validator(mode="after")
    def _has_timestamp(self) -> ConsentRecord:
        if self.granted and self.granted_at is None:
            raise ValueError("a granted consent records granted_at")
        if not self.granted and self.revoked_at is None and self.granted_at is not None:
            raise ValueError("a revoked consent records revoked_at")
        return self


ConsentMatrix = dict[ConsentChannel, dict[MessageCategory, ConsentRecord]]


class Customer(FirestoreDocument):
    salon_id: DocId
    name: str = Field(min_length=1, max_length=100)
    phone: E164Phone
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    language: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")  # ISO 639-1: en, hi, mr, ta...
    consent: ConsentMatrix = Field(default_factory=dict)
    last_inbound_message_at: Timestamp | None = None  # opens the WhatsApp 24-hour session window
    tags: list[str] = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=2000)
    created_at: Timestamp
    updated_at: Timestamp

    def consent_for(self, channel: ConsentChannel | str, category: MessageCategory | str) -> ConsentRecord | None:
        return self.consent.get(ConsentChannel(channel), {}).get(MessageCategory(category))

    def can_contact(self, channel: ConsentChannel | str, category: MessageCategory | str) -> bool:
        """Opt-in for this channel and category is on record and not revoked."""
        record = self.consent_for(channel, category)
        return record is not None and record.granted

    def in_whatsapp_session(self, now: datetime) -> bool:
        """Free-form WhatsApp text is allowed only within 24 hours of the customer's last message."""
        last = self.last_inbound_message_at
        return last is not None and last <= now < last + WHATSAPP_SESSION_WINDOW

    def with_consent(
        self,
        channels: list[ConsentChannel],
        category: MessageCategory,
        granted: bool,
        source: ConsentSource,
        now: datetime,
    ) -> Customer:
        """A copy with consent granted or revoked for `category` on each channel; other records are kept."""
        consent = {ch: dict(per_category) for ch, per_category in self.consent.items()}
        for channel in channels:
            previous = consent.get(channel, {}).get(category)
            record = ConsentRecord(
                granted=granted,
                granted_at=now if granted else (previous.granted_at if previous else None),
                revoked_at=None if granted else now,
                source=source,
                updated_at=now,
            )
            consent.setdefault(channel, {})[category] = record
        return self.with_changes(consent=consent, updated_at=now)
