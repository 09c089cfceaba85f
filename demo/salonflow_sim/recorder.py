"""In-process stand-ins for Twilio, Pub/Sub and Cloud Tasks: they accept everything and keep it, so the
simulator sees each message and call the service layer sends and each task it queues, and answers them."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from salonflow.ports import (
    CallResult,
    DltTemplate,
    EnqueueResult,
    EnqueueStatus,
    MessageChannel,
    MessageSnapshot,
    Outcome,
    PublishResult,
    SendResult,
    WhatsAppTemplate,
)
from salonflow.services.ports import ServicePorts


@dataclass(frozen=True)
class Sent:
    at: datetime
    to: str
    content_sid: str | None
    variables: Mapping[str, str]
    body: str | None
    outreach_id: str | None  # carried in the status callback URL, as Twilio would hand it back


@dataclass(frozen=True)
class Call:
    to: str
    decision_id: str | None


@dataclass(frozen=True)
class Task:
    payload: Mapping[str, Any]
    due: datetime | None


def _query_value(url: str | None, key: str) -> str | None:
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get(key)
    return values[0] if values else None


class Recorder:
    """MessageSender, EventPublisher and TaskQueue at once."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.calls: list[Call] = []
        self.tasks: list[Task] = []
        self.events = 0
        self._task_names: set[str] = set()
        self._sids = itertools.count(1)

    def ports(self) -> ServicePorts:
        return ServicePorts(messages=self, events=self, tasks=self)

    # ------------------------------------------------------------------ MessageSender
    def send_whatsapp(self, to: str, *, template: WhatsAppTemplate | None, body: str | None,
                      last_inbound_at: datetime | None, now: datetime, status_callback: str) -> SendResult:
        self.sent.append(Sent(now, to, template.content_sid if template else None,
                              dict(template.variables) if template else {}, body,
                              _query_value(status_callback, "outreach_id")))
        return SendResult(outcome=Outcome.sent(), channel=MessageChannel.WHATSAPP, sid=f"SM{next(self._sids):032d}",
                          status="queued")

    def send_sms(self, to: str, body: str, *, dlt: DltTemplate | None, status_callback: str) -> SendResult:
        raise AssertionError("the simulated salons message on WhatsApp only")

    def start_call(self, to: str, *, status_callback: str, twiml_url: str | None = None,
                   twiml: str | None = None) -> CallResult:
        self.calls.append(Call(to, _query_value(twiml_url, "decision_id")))
        return CallResult(outcome=Outcome.sent(), sid=f"CA{next(self._sids):032d}", status="queued")

    def fetch_message(self, sid: str) -> MessageSnapshot | None:
        return None

    def find_messages_to(self, to: str, *, since: datetime) -> list[MessageSnapshot]:
        return []

    # ------------------------------------------------------------------ EventPublisher
    def publish(self, event: Any) -> PublishResult:
        self.events += 1
        return PublishResult(event_id=event.event_id, message_id=str(self.events))

    # ------------------------------------------------------------------ TaskQueue
    def enqueue(self, queue: str, path: str, payload: Mapping[str, Any], *, dedupe_key: str,
                schedule_time: datetime | None = None) -> EnqueueResult:
        if dedupe_key in self._task_names:  # Cloud Tasks refuses a name it has seen
            return EnqueueResult(status=EnqueueStatus.DUPLICATE, task_name=dedupe_key)
        self._task_names.add(dedupe_key)
        self.tasks.append(Task(dict(payload), schedule_time))
        return EnqueueResult(status=EnqueueStatus.CREATED, task_name=dedupe_key)

    def drain(self) -> tuple[list[Sent], list[Call], list[Task]]:
        taken = self.sent, self.calls, self.tasks
        self.sent, self.calls, self.tasks = [], [], []
        return taken
