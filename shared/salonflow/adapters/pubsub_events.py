"""Salon events on Pub/Sub topic ``salon-events``.

Publish an event only after the change it describes has committed (a rolled-back
transaction must never announce anything). Delivery is at least once and unordered:
consumers dedupe on ``event_id`` and order by ``occurred_at``.

Message attributes (for subscription filters, e.g. ``attributes.event_type = "APPROVAL_REQUESTED"``):

| attribute    | value                                   |
|--------------|-----------------------------------------|
| `salon_id`   | the salon the event belongs to          |
| `event_type` | one of the 11 event types below         |

Message data: UTF-8 JSON of :class:`SalonEvent`:

| field            | type                | meaning                                                            |
|------------------|---------------------|--------------------------------------------------------------------|
| `schema_version` | int (1)             | bumped on incompatible payload changes                             |
| `event_id`       | string `evt_` + 32 hex | deterministic hash of (event_type, salon_id, resource id, change key): republishing the same change gives the same id |
| `event_type`     | string              | see below                                                          |
| `salon_id`       | string              | same as the attribute                                              |
| `occurred_at`    | RFC 3339 timestamp  | when the change committed (UTC offset included)                    |
| `resource_type`  | string              | `decision`, `gap`, `outreach` or `approval`                        |
| `resource_id`    | string              | id of that document under `salons/{salon_id}/...`                  |
| `related`        | object of strings   | other ids involved: `decision_id`, `gap_id`, `outreach_id`, `approval_id`, `customer_id`, `booking_id`, `staff_id` |
| `data`           | object              | event-specific details (below); JSON-safe values only              |

| event_type          | resource  | typical `data`                                                    |
|---------------------|-----------|-------------------------------------------------------------------|
| AUTONOMOUS_DECISION | decision  | decision_type, agent_name, autonomy_level, action_taken, approval_required, potential_revenue |
| GAP_DETECTED        | gap       | staff_id, start_time, end_time, duration_minutes, priority, potential_revenue |
| GAP_FILLED          | gap       | booking_id, filled_by, actual_revenue                             |
| GAP_EXPIRED         | gap       | fill_attempts                                                     |
| OUTREACH_SENT       | outreach  | channel, outreach_type, message_sid                               |
| OUTREACH_DELIVERED  | outreach  | channel, message_sid, status (delivered / read)                   |
| OUTREACH_RESPONDED  | outreach  | action (accepted / declined / opted_out / other), booking_id      |
| APPROVAL_REQUESTED  | approval  | decision_type, priority, expires_at, summary                      |
| APPROVAL_APPROVED   | approval  | responded_by, responded_at, notes                                 |
| APPROVAL_REJECTED   | approval  | responded_by, responded_at, notes                                 |
| APPROVAL_EXPIRED    | approval  | expires_at                                                        |

The Pub/Sub client is imported and built on first publish: most function invocations
never publish, and importing google.cloud.pubsub costs cold-start time.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from salonflow.ports import PublishResult

if TYPE_CHECKING:
    from google.cloud.pubsub_v1 import PublisherClient

TOPIC_ID = "salon-events"
SCHEMA_VERSION = 1


class EventType(enum.StrEnum):
    AUTONOMOUS_DECISION = "AUTONOMOUS_DECISION"
    GAP_DETECTED = "GAP_DETECTED"
    GAP_FILLED = "GAP_FILLED"
    GAP_EXPIRED = "GAP_EXPIRED"
    OUTREACH_SENT = "OUTREACH_SENT"
    OUTREACH_DELIVERED = "OUTREACH_DELIVERED"
    OUTREACH_RESPONDED = "OUTREACH_RESPONDED"
    APPROVAL_REQUESTED = "APPROVAL_REQUESTED"
    APPROVAL_APPROVED = "APPROVAL_APPROVED"
    APPROVAL_REJECTED = "APPROVAL_REJECTED"
    APPROVAL_EXPIRED = "APPROVAL_EXPIRED"


RESOURCE_TYPE: dict[EventType, str] = {
    EventType.AUTONOMOUS_DECISION: "decision",
    EventType.GAP_DETECTED: "gap",
    EventType.GAP_FILLED: "gap",
    EventType.GAP_EXPIRED: "gap",
    EventType.OUTREACH_SENT: "outreach",
    EventType.OUTREACH_DELIVERED: "outreach",
    EventType.OUTREACH_RESPONDED: "outreach",
    EventType.APPROVAL_REQUESTED: "approval",
    EventType.APPROVAL_APPROVED: "approval",
    EventType.APPROVAL_REJECTED: "approval",
    EventType.APPROVAL_EXPIRED: "approval",
}


def event_id_for(event_type: EventType, salon_id: str, resource_id: str, change_key: str = "") -> str:
    """Same change, same id. Most events happen once per resource, so the change key is
    empty by default; pass one (e.g. the inbound MessageSid) when a resource can see the
    same kind of event more than once."""
    digest = hashlib.sha256(
        "\x1f".join([event_type.value, salon_id, resource_id, change_key]).encode("utf-8")
    )
    return "evt_" + digest.hexdigest()[:32]


class SalonEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = SCHEMA_VERSION
    event_id: str
    event_type: EventType
    salon_id: str = Field(min_length=1)
    occurred_at: datetime
    resource_type: str
    resource_id: str = Field(min_length=1)
    related: dict[str, str] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        return value.astimezone(UTC)

    @classmethod
    def create(
        cls,
        event_type: EventType | str,
        *,
        salon_id: str,
        resource_id: str,
        occurred_at: datetime,
        related: Mapping[str, str] | None = None,
        data: Mapping[str, Any] | None = None,
        change_key: str = "",
    ) -> SalonEvent:
        kind = EventType(event_type)
        payload = dict(data or {})
        json.dumps(payload)  # fail here, in the caller's stack, not inside the publisher
        return cls(
            event_id=event_id_for(kind, salon_id, resource_id, change_key),
            event_type=kind,
            salon_id=salon_id,
            occurred_at=occurred_at,
            resource_type=RESOURCE_TYPE[kind],
            resource_id=resource_id,
            related=dict(related or {}),
            data=payload,
        )

    def attributes(self) -> dict[str, str]:
        return {"salon_id": self.salon_id, "event_type": self.event_type.value}

    def to_message_data(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_message(cls, data: bytes, attributes: Mapping[str, str]) -> SalonEvent:
        """Decode a received message; attributes that disagree with the payload are rejected."""
        event = cls.model_validate_json(data)
        if attributes.get("salon_id") != event.salon_id or attributes.get("event_type") != event.event_type:
            raise ValueError("message attributes do not match the event payload")
        return event


class PubSubEventPublisher:
    """Implements :class:`salonflow.ports.EventPublisher` on google-cloud-pubsub.

    Honors ``PUBSUB_EMULATOR_HOST`` (the client library does) for the local cloud.
    """

    def __init__(
        self,
        project_id: str,
        *,
        topic_id: str = TOPIC_ID,
        client: PublisherClient | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._project_id = project_id
        self._topic_id = topic_id
        self._client = client
        self._timeout_s = timeout_s

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PubSubEventPublisher:
        source = os.environ if env is None else env
        project = (
            source.get("GCP_PROJECT_ID") or source.get("GOOGLE_CLOUD_PROJECT") or source["GCLOUD_PROJECT"]
        )
        return cls(project, topic_id=source.get("PUBSUB_TOPIC", TOPIC_ID))

    @property
    def topic_path(self) -> str:
        return f"projects/{self._project_id}/topics/{self._topic_id}"

    @property
    def client(self) -> PublisherClient:
        if self._client is None:
            from google.cloud import pubsub_v1

            self._client = pubsub_v1.PublisherClient()
        return self._client

    def publish(self, event: SalonEvent) -> PublishResult:
        [result] = self.publish_many([event])
        return result

    def publish_many(self, events: Iterable[SalonEvent]) -> list[PublishResult]:
        """Publish several events in one batch and wait until Pub/Sub has stored all of them."""
        pending = [
            (event, self.client.publish(self.topic_path, event.to_message_data(), **event.attributes()))
            for event in events
        ]
        return [
            PublishResult(event_id=event.event_id, message_id=str(future.result(timeout=self._timeout_s)))
            for event, future in pending
        ]
