"""Twilio webhooks: verify, apply what is cheap and idempotent, queue the rest, answer fast.

- ``/webhooks/twilio/status``: the status callback URL carries our ``salon_id`` and ``outreach_id``
  (signed by Twilio with the rest of the URL), so the monotonic status merge runs directly; a
  duplicate or stale callback writes nothing.
- ``/webhooks/twilio/incoming``: identified by the salon's WhatsApp number, then queued as a named
  task (named by ``MessageSid``) for the agents to read; Twilio gets an empty TwiML answer at once.
- ``/webhooks/twilio/voice``: the no-show confirmation call. Without digits it answers the keypad
  menu; with digits it queues the choice like a text reply and thanks the caller.

Anything not signed by Twilio for our configured public URL gets 403 and changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from salonflow.adapters.firestore.directory import salon_by_whatsapp_sender
from salonflow.adapters.firestore.governance_outreach import OutreachStatusStore
from salonflow.adapters.pubsub_events import EventType, SalonEvent
from salonflow.adapters.twilio_webhooks import (
    INCOMING_PATH,
    STATUS_PATH,
    VOICE_PATH,
    InvalidWebhook,
    parse_incoming_message,
    parse_status_callback,
    parse_voice_request,
    verified_form,
)
from salonflow.domain.enums import OutreachStatus
from salonflow.ports import EventPublisher, TaskQueue

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
INBOUND_TASK_PATH = "/internal/tasks/execute"
INBOUND_QUEUE = "autonomous-agents"


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: str = ""
    content_type: str = "text/plain"


@dataclass(frozen=True)
class WebhookConfig:
    auth_token: str
    public_base_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookConfig:
        source = os.environ if env is None else env
        return cls(auth_token=source["TWILIO_AUTH_TOKEN"], public_base_url=source["PUBLIC_WEBHOOK_BASE_URL"])


@dataclass(frozen=True)
class TwilioWebhooks:
    config: WebhookConfig
    firestore: Callable[[], Any]
    queue: Callable[[], TaskQueue]
    events: Callable[[], EventPublisher]
    clock: Callable[[], datetime]

    def handle(self, path: str, query: str, headers: Mapping[str, str], body: bytes) -> WebhookResponse:
        route = path.rstrip("/")
        if route not in (STATUS_PATH, INCOMING_PATH, VOICE_PATH):
            return WebhookResponse(404, "not found")
        form = verified_form(auth_token=self.config.auth_token, public_base_url=self.config.public_base_url,
                             path=route, query=query, body=body, headers=headers)
        if form is None:
            return WebhookResponse(403, "invalid Twilio signature")
        params = {key: values[-1] for key, values in parse_qs(query).items()}
        try:
            if route == STATUS_PATH:
                return self._status(form, params)
            if route == INCOMING_PATH:
                return self._incoming(form)
            return self._voice(form, params)
        except InvalidWebhook as error:
            return WebhookResponse(400, str(error))

    def _status(self, form: Any, params: dict[str, str]) -> WebhookResponse:
        callback = parse_status_callback(form)
        salon_id, outreach_id = params.get("salon_id"), params.get("outreach_id")
        if not salon_id:
            return WebhookResponse(400, "status callback without salon_id")
        if not outreach_id:
            return WebhookResponse(204)  # a message we do not track as outreach (e.g. an approval request)
        now = self.clock()
        try:
            update = OutreachStatusStore(self.firestore(), salon_id).apply_callback(
                outreach_id, callback.status, now, callback.error_code)
        except LookupError:
            # Not ours (or already cleaned up): acknowledge so Twilio does not retry forever.
            return WebhookResponse(204)
        if update.changes.get("status") in (OutreachStatus.DELIVERED.value, OutreachStatus.READ.value):
            self.events().publish(SalonEvent.create(
                EventType.OUTREACH_DELIVERED, salon_id=salon_id, resource_id=outreach_id, occurred_at=now,
                data={"channel": callback.channel, "message_sid": callback.message_sid,
                      "status": update.changes["status"]},
                change_key=str(update.changes["status"])))
        if callback.is_failure:
            outcome = callback.failure_outcome()
            self._queue_inbound("delivery_failure", salon_id, callback.message_sid, {
                "outreach_id": outreach_id, "error_code": callback.error_code,
                "outcome": outcome.kind.value if outcome else None})
        return WebhookResponse(204)

    def _incoming(self, form: Any) -> WebhookResponse:
        message = parse_incoming_message(form)
        salon = salon_by_whatsapp_sender(self.firestore(), message.to)
        if salon is not None:
            self._queue_inbound("inbound_message", salon.id, message.message_sid, {
                "from_phone": message.from_phone, "channel": message.channel, "body": message.body,
                "button_payload": message.button_payload, "replied_to_sid": message.replied_to_sid,
                "received_at": self.clock().isoformat()})
        return WebhookResponse(200, EMPTY_TWIML, "text/xml")

    def _voice(self, form: Any, params: dict[str, str]) -> WebhookResponse:
        from twilio.twiml.voice_response import VoiceResponse

        request = parse_voice_request(form)
        salon_id, decision_id = params.get("salon_id"), params.get("decision_id")
        response = VoiceResponse()
        if not salon_id or not decision_id:
            response.say("Sorry, we could not find your appointment. Goodbye.")
            return WebhookResponse(200, str(response), "text/xml")
        if request.digits is None:
            gather = response.gather(num_digits=1, timeout=8, method="POST")
            gather.say("This is your salon calling about your appointment. "
                       "Press 1 to confirm, 2 to reschedule, or 3 to cancel.", language="en-IN")
            response.say("We did not get your answer. We will message you on WhatsApp. Goodbye.", language="en-IN")
            return WebhookResponse(200, str(response), "text/xml")
        self._queue_inbound("voice_choice", salon_id, request.call_sid + ":" + request.digits, {
            "decision_id": decision_id, "digits": request.digits, "call_sid": request.call_sid,
            "received_at": self.clock().isoformat()})
        response.say("Thank you. Your choice has been recorded. Goodbye.", language="en-IN")
        return WebhookResponse(200, str(response), "text/xml")

    def _queue_inbound(self, kind: str, salon_id: str, dedupe: str, payload: dict[str, Any]) -> None:
        self.queue().enqueue(INBOUND_QUEUE, INBOUND_TASK_PATH, {"kind": kind, "salon_id": salon_id, **payload},
                             dedupe_key=f"{kind}|{salon_id}|{dedupe}")
