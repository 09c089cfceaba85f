"""State of the Twilio sandbox: recorded messages and calls, scripted failures, callback plans.

Resources are shaped like Twilio's API v2010 JSON (snake_case keys, RFC 2822 dates,
``SM``/``CA`` + 32 hex sids) because the real ``twilio`` client parses them.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from localcloud.activity import PendingWork

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
SESSION_WINDOW = timedelta(hours=24)
MAX_BODY = 1600
CHANNEL_INSTALL_SID = "XE" + "0" * 30 + "01"

DEFAULT_SEQUENCES: dict[str, list[dict[str, Any]]] = {
    "whatsapp": [{"status": "sent"}, {"status": "delivered"}, {"status": "read"}],
    "sms": [{"status": "sent"}, {"status": "delivered"}],
    "call": [{"status": "initiated"}, {"status": "ringing"}],
}

# Twilio never moves a message back; the resource shows the furthest status reached.
MESSAGE_STATUS_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
}


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC))


class TwilioApiError(Exception):
    """An error answered in Twilio's JSON error shape."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


@dataclass
class FailureRule:
    """Script: the next ``count`` requests of ``kind`` (to ``to`` if given) fail."""

    kind: str  # "messages" or "calls"
    status: int
    code: int
    message: str
    count: int
    to: str | None = None
    record: bool = False  # create the resource anyway: Twilio did the work, the answer was lost
    delay_ms: int = 0  # answer late (simulate a timeout on the client side)

    def matches(self, kind: str, to: str) -> bool:
        return self.count > 0 and self.kind == kind and (self.to is None or self.to == to)


@dataclass
class SequenceRule:
    """Script: the callback sequence for the next ``count`` messages/calls (to ``to`` if given)."""

    kind: str
    steps: list[dict[str, Any]]
    count: int | None  # None: until reset
    to: str | None = None
    delay_ms: int = 0
    initial_delay_ms: int = 0

    def matches(self, kind: str, to: str) -> bool:
        return (self.count is None or self.count > 0) and self.kind == kind and self.to in (None, to)


@dataclass
class CallbackPlan:
    url: str
    steps: list[dict[str, Any]]
    delay_ms: int
    initial_delay_ms: int


@dataclass
class SandboxState:
    account_sid: str
    auth_token: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    message_extras: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    call_extras: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[FailureRule] = field(default_factory=list)
    sequences: list[SequenceRule] = field(default_factory=list)
    last_inbound: dict[str, datetime] = field(default_factory=dict)  # E.164 -> last customer message
    inbound: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    content_templates: dict[str, str] = field(default_factory=dict)
    enforce_session_window: bool = True
    callbacks_pending: PendingWork = field(default_factory=PendingWork)  # status callbacks still to post

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.message_extras.clear()
            self.calls.clear()
            self.call_extras.clear()
            self.failures.clear()
            self.sequences.clear()
            self.last_inbound.clear()
            self.inbound.clear()
            self.callbacks.clear()
            self.content_templates.clear()
            self.enforce_session_window = True

    # ------------------------------------------------------------- scripting

    def take_failure(self, kind: str, to: str) -> FailureRule | None:
        with self.lock:
            for rule in self.failures:
                if rule.matches(kind, to):
                    rule.count -= 1
                    return rule
        return None

    def plan_for(self, kind: str, channel: str, to: str, url: str | None) -> CallbackPlan | None:
        if not url:
            return None
        with self.lock:
            for rule in self.sequences:
                if rule.matches(kind, to):
                    if rule.count is not None:
                        rule.count -= 1
                    return CallbackPlan(url, list(rule.steps), rule.delay_ms, rule.initial_delay_ms)
        return CallbackPlan(url, list(DEFAULT_SEQUENCES[channel]), 0, 0)

    # ------------------------------------------------------------- messages

    def create_message(
        self, form: dict[str, str], now: datetime
    ) -> tuple[dict[str, Any], CallbackPlan | None]:
        to = form.get("To", "")
        from_ = form.get("From", "")
        service = form.get("MessagingServiceSid", "")
        body = form.get("Body", "")
        content_sid = form.get("ContentSid", "")
        variables_text = form.get("ContentVariables", "")
        if not to:
            raise TwilioApiError(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            raise TwilioApiError(400, 21603, "A 'From' phone number is required.")
        to_channel, to_number = _split(to)
        from_channel, _ = _split(from_) if from_ else (to_channel, "")
        if not E164.match(to_number):
            raise TwilioApiError(400, 21211, f"Invalid 'To' Phone Number: {to_number}")
        if from_ and from_channel != to_channel:
            raise TwilioApiError(
                400, 21910, "Invalid From and To pair. From and To should be of the same channel"
            )
        if not body and not content_sid and not form.get("MediaUrl"):
            raise TwilioApiError(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            raise TwilioApiError(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        variables: dict[str, Any] = {}
        if content_sid:
            if not CONTENT_SID.match(content_sid):
                raise TwilioApiError(400, 21655, "The ContentSid is Invalid.")
            if variables_text:
                try:
                    parsed = json.loads(variables_text)
                except ValueError:
                    parsed = None
                if not isinstance(parsed, dict):
                    raise TwilioApiError(400, 21656, "The ContentVariables Parameter is invalid.")
                variables = parsed
            body = self._render(content_sid, variables)

        sid = new_sid("SM")
        stamp = rfc2822(now)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": stamp,
            "date_sent": None,
            "date_updated": stamp,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_ or None,
            "messaging_service_sid": service or None,
            "num_media": "0",
            "num_segments": "1" if to_channel == "whatsapp" else str(max(1, -(-len(body) // 153))),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # With a messaging service and no From, Twilio answers "accepted" and picks a sender later.
            "status": "accepted" if service and not from_ else "queued",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json",
                "feedback": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Feedback.json",
            },
            "to": to,
            "uri": uri,
        }
        extras = {
            "channel": to_channel,
            "content_sid": content_sid or None,
            "content_variables": variables or None,
            "status_callback": form.get("StatusCallback") or None,
            "form": dict(form),
            "created_at": now,
        }
        plan = self.plan_for("messages", to_channel, to_number, form.get("StatusCallback"))
        if (
            plan is not None
            and self.enforce_session_window
            and to_channel == "whatsapp"
            and not content_sid
            and not self._inside_window(to_number, now)
        ):
            # What WhatsApp does with free text outside the window: accepted, then failed.
            plan.steps = [{"status": "failed", "error_code": 63016}]
        with self.lock:
            self.messages[sid] = resource
            self.message_extras[sid] = extras
        # A copy: the callbacks advance the stored resource, and the create answer is what Twilio
        # said at creation however soon they run.
        return dict(resource), plan

    def _render(self, content_sid: str, variables: dict[str, Any]) -> str:
        template = self.content_templates.get(content_sid)
        if template is None:
            return ""
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(variables.get(m.group(1), m.group(0))), template)

    def _inside_window(self, number: str, now: datetime) -> bool:
        last = self.last_inbound.get(number)
        return last is not None and now < last + SESSION_WINDOW

    def apply_message_status(self, sid: str, step: dict[str, Any], now: datetime) -> dict[str, Any]:
        with self.lock:
            resource = self.messages[sid]
            status = str(step["status"])
            if MESSAGE_STATUS_RANK.get(status, 0) >= MESSAGE_STATUS_RANK.get(resource["status"], 0):
                resource["status"] = status
                resource["date_updated"] = rfc2822(now)
                if status in {"sent", "delivered", "read"} and resource["date_sent"] is None:
                    resource["date_sent"] = rfc2822(now)
                if step.get("error_code") is not None:
                    resource["error_code"] = int(step["error_code"])
                    resource["error_message"] = step.get("error_message")
            return dict(resource)

    def message(self, sid: str) -> dict[str, Any] | None:
        with self.lock:
            resource = self.messages.get(sid)
            return dict(resource) if resource is not None else None

    def list_messages(self, to: str | None, from_: str | None) -> list[dict[str, Any]]:
        with self.lock:
            found = [
                dict(resource)
                for resource in self.messages.values()
                if (to is None or resource["to"] == to) and (from_ is None or resource["from"] == from_)
            ]
        # Newest first, as Twilio lists them (insertion order is creation order).
        return list(reversed(found))

    def recorded_messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {**resource, **{k: v for k, v in self.message_extras[sid].items() if k != "created_at"}}
                for sid, resource in self.messages.items()
            ]

    # ------------------------------------------------------------- calls

    def create_call(self, form: dict[str, str], now: datetime) -> tuple[dict[str, Any], CallbackPlan | None]:
        to = form.get("To", "")
        from_ = form.get("From", "")
        if not to:
            raise TwilioApiError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise TwilioApiError(400, 21213, "No 'From' number is specified")
        if not E164.match(to):
            raise TwilioApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not form.get("Url") and not form.get("Twiml") and not form.get("ApplicationSid"):
            raise TwilioApiError(400, 21205, "Url parameter is required.")
        sid = new_sid("CA")
        stamp = rfc2822(now)
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": stamp,
            "date_updated": stamp,
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": from_,
            "from_formatted": from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": "queued",
            "subresource_uris": {
                "notifications": f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}/Notifications.json",
                "recordings": f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}/Recordings.json",
            },
            "to": to,
            "to_formatted": to,
            "trunk_sid": None,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}.json",
        }
        extras = {
            "url": form.get("Url") or None,
            "twiml": form.get("Twiml") or None,
            "status_callback": form.get("StatusCallback") or None,
            "status_callback_event": form.get("StatusCallbackEvent") or None,
            "form": dict(form),
        }
        plan = self.plan_for("calls", "call", to, form.get("StatusCallback"))
        with self.lock:
            self.calls[sid] = resource
            self.call_extras[sid] = extras
        return dict(resource), plan

    def apply_call_status(self, sid: str, status: str, now: datetime) -> dict[str, Any]:
        with self.lock:
            resource = self.calls[sid]
            resource["status"] = status
            resource["date_updated"] = rfc2822(now)
            if status == "in-progress" and resource["start_time"] is None:
                resource["start_time"] = rfc2822(now)
            if status in {"completed", "busy", "no-answer", "failed", "canceled"}:
                resource["end_time"] = rfc2822(now)
            return dict(resource)

    def call(self, sid: str) -> dict[str, Any] | None:
        with self.lock:
            resource = self.calls.get(sid)
            return dict(resource) if resource is not None else None

    def recorded_calls(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{**resource, **self.call_extras[sid]} for sid, resource in self.calls.items()]


def _split(address: str) -> tuple[str, str]:
    channel, separator, number = address.partition(":")
    if separator and channel == "whatsapp":
        return "whatsapp", number
    return "sms", address
