"""Ports: what the service layer needs from the outside world, and what it gets back.

The service layer depends only on these Protocols and result types; the adapters in
``salonflow.adapters`` (Twilio, Pub/Sub, Cloud Tasks, FCM) implement them. Results are
plain frozen dataclasses so the governance layer can decide from them without knowing
which vendor produced them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

# --------------------------------------------------------------------------- messaging


class OutcomeKind(enum.StrEnum):
    """What the caller must do next after an attempt to contact someone."""

    SENT = "sent"  # accepted by the provider; delivery arrives later through status callbacks
    SUPPRESSED = "suppressed"  # this recipient must not be contacted on this channel (record why)
    RETRY_AS_TEMPLATE = "retry_as_template"  # WhatsApp session window closed: resend as an approved template
    RETRY_LATER = "retry_later"  # throttled or transiently unreachable: nothing was sent, safe to retry
    UNKNOWN_RECONCILE = "unknown_reconcile"  # we cannot know if it was sent: reconcile, never resend blindly
    ALERT_PAUSE_SALON = "alert_pause_salon"  # carrier filtering: stop this salon's outreach and alert a human
    FAILED = "failed"  # permanent, not recipient-specific (bad sender, auth, config): fix config, no retry


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: str | None = None
    backoff_s: float | None = None

    @property
    def counts_for_breaker(self) -> bool:
        # Only infrastructure failures say anything about the provider's health; a
        # customer who opted out or a closed WhatsApp window must never open the breaker.
        return self.kind is OutcomeKind.UNKNOWN_RECONCILE

    @property
    def was_accepted(self) -> bool:
        return self.kind is OutcomeKind.SENT

    @classmethod
    def sent(cls) -> Outcome:
        return cls(OutcomeKind.SENT)

    @classmethod
    def suppressed(cls, reason: str) -> Outcome:
        return cls(OutcomeKind.SUPPRESSED, reason=reason)

    @classmethod
    def retry_later(cls, backoff_s: float, reason: str | None = None) -> Outcome:
        return cls(OutcomeKind.RETRY_LATER, reason=reason, backoff_s=backoff_s)


class MessageChannel(enum.StrEnum):
    WHATSAPP = "whatsapp"
    SMS = "sms"


class ContentMode(enum.StrEnum):
    TEMPLATE = "template"  # WhatsApp approved template (content_sid + content_variables)
    FREEFORM = "freeform"  # WhatsApp free text inside the 24-hour customer-service window
    SMS = "sms"


@dataclass(frozen=True)
class WhatsAppTemplate:
    """An approved WhatsApp template in Twilio's Content API (``HX`` + 32 hex)."""

    content_sid: str
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DltTemplate:
    """India TRAI DLT registration of an SMS template.

    Twilio's Messages API has no per-message DLT fields: the entity id, header and
    template ids are registered with Twilio's sender-ID team, and carriers match the
    body against the registered template text. We carry the ids so every SMS send is
    auditable against its registration, and the body must be the registered text with
    its variables filled in.
    """

    entity_id: str
    template_id: str
    header: str | None = None


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    channel: MessageChannel
    content_mode: ContentMode | None = None
    sid: str | None = None
    status: str | None = None  # provider status at send (queued / accepted / ...)
    error_code: int | None = None
    error_message: str | None = None
    http_status: int | None = None

    @property
    def counts_for_breaker(self) -> bool:
        return self.outcome.counts_for_breaker


@dataclass(frozen=True)
class MessageSnapshot:
    """The provider's current view of a message, used to reconcile an unknown send."""

    sid: str
    status: str
    to: str
    error_code: int | None
    date_created: datetime | None
    date_updated: datetime | None


@dataclass(frozen=True)
class CallResult:
    outcome: Outcome
    sid: str | None = None
    status: str | None = None
    error_code: int | None = None
    error_message: str | None = None

    @property
    def counts_for_breaker(self) -> bool:
        return self.outcome.counts_for_breaker


@runtime_checkable
class MessageSender(Protocol):
    def send_whatsapp(
        self,
        to: str,
        *,
        template: WhatsAppTemplate | None,
        body: str | None,
        last_inbound_at: datetime | None,
        now: datetime,
        status_callback: str,
    ) -> SendResult: ...

    def send_sms(
        self, to: str, body: str, *, dlt: DltTemplate | None, status_callback: str
    ) -> SendResult: ...

    def start_call(
        self,
        to: str,
        *,
        status_callback: str,
        twiml_url: str | None = None,
        twiml: str | None = None,
    ) -> CallResult: ...

    def fetch_message(self, sid: str) -> MessageSnapshot | None: ...

    def find_messages_to(self, to: str, *, since: datetime) -> list[MessageSnapshot]: ...


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class PublishResult:
    event_id: str
    message_id: str


@runtime_checkable
class EventPublisher(Protocol):
    def publish(self, event: Any) -> PublishResult:
        """Publish one event; call only after the change it describes has committed."""
        ...


# --------------------------------------------------------------------------- tasks


class EnqueueStatus(enum.StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"  # a task with the same deterministic name already exists: nothing new queued


@dataclass(frozen=True)
class EnqueueResult:
    status: EnqueueStatus
    task_name: str


@runtime_checkable
class TaskQueue(Protocol):
    def enqueue(
        self,
        queue: str,
        path: str,
        payload: Mapping[str, Any],
        *,
        dedupe_key: str,
        schedule_time: datetime | None = None,
    ) -> EnqueueResult: ...


# --------------------------------------------------------------------------- push


class PushOutcomeKind(enum.StrEnum):
    SENT = "sent"
    INVALID_TOKEN = "invalid_token"  # the device registration is dead: remove it, don't retry
    RETRY_LATER = "retry_later"  # quota / unavailable / internal: safe to retry
    FAILED = "failed"  # bad request or configuration: fix, don't retry


@dataclass(frozen=True)
class PushResult:
    kind: PushOutcomeKind
    message_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class PushNotification:
    title: str
    body: str
    data: Mapping[str, str] = field(default_factory=dict)
    urgent: bool = False  # urgent approvals: high priority so the owner's phone wakes up
    link: str | None = None  # where the PWA should open when the notification is tapped


@runtime_checkable
class PushNotifier(Protocol):
    def send_to_device(self, device_id: str, notification: PushNotification) -> PushResult: ...

    def send_to_topic(self, topic: str, notification: PushNotification) -> PushResult: ...
