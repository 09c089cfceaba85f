"""Twilio messaging adapter (WhatsApp, SMS, voice) over the official ``twilio`` client.

* Business-initiated WhatsApp goes out as an approved template (``content_sid`` +
  ``content_variables``). Free text is only used inside the 24-hour customer-service
  window that opens with the customer's last inbound message; outside it a text-only
  request is refused locally as RETRY_AS_TEMPLATE instead of letting Twilio fail it
  later with 63016.
* Every message and call carries a ``status_callback`` URL.
* Errors become :class:`~salonflow.ports.Outcome`s (see ``twilio_errors``); an
  infrastructure failure is UNKNOWN_RECONCILE and the caller reconciles with
  :meth:`TwilioMessenger.fetch_message` / :meth:`TwilioMessenger.find_messages_to`
  (or waits for the status callback that names our outreach) — it never resends blindly.

Pointing the client at the local sandbox: ``twilio.rest.Client`` talks to
``client.api.base_url`` (``https://api.twilio.com`` by default), a public attribute of
the API domain. We set it from ``TWILIO_API_BASE_URL`` and clear ``edge``/``region``,
which would otherwise rewrite the host name. Everything else — auth, form encoding,
error parsing — is the real client's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from salonflow.adapters.twilio_errors import classify_exception
from salonflow.ports import (
    CallResult,
    ContentMode,
    DltTemplate,
    MessageChannel,
    MessageSnapshot,
    Outcome,
    OutcomeKind,
    SendResult,
    WhatsAppTemplate,
)

if TYPE_CHECKING:
    from twilio.rest import Client

WHATSAPP_SESSION_WINDOW = timedelta(hours=24)
# A free-form send that starts a few seconds before the window closes can land after it;
# keep a margin so we never knowingly race the deadline.
WINDOW_SAFETY_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    whatsapp_from: str | None = None  # "whatsapp:+14155238886"
    sms_from: str | None = None  # DLT-registered header or number
    messaging_service_sid: str | None = None  # MG...; used instead of sms_from when set
    voice_from: str | None = None
    api_base_url: str | None = None  # e.g. the local sandbox "http://127.0.0.1:8099"
    timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TwilioConfig:
        source = os.environ if env is None else env
        return cls(
            account_sid=source["TWILIO_ACCOUNT_SID"],
            auth_token=source["TWILIO_AUTH_TOKEN"],
            whatsapp_from=source.get("TWILIO_WHATSAPP_FROM"),
            sms_from=source.get("TWILIO_SMS_FROM"),
            messaging_service_sid=source.get("TWILIO_MESSAGING_SERVICE_SID"),
            voice_from=source.get("TWILIO_VOICE_FROM"),
            api_base_url=source.get("TWILIO_API_BASE_URL"),
            timeout_s=float(source.get("TWILIO_TIMEOUT_S", "10")),
        )


def build_client(config: TwilioConfig) -> Client:
    """A real ``twilio.rest.Client``, aimed at ``config.api_base_url`` when one is given."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(
        config.account_sid,
        config.auth_token,
        http_client=TwilioHttpClient(timeout=config.timeout_s),
    )
    if config.api_base_url:
        client.edge = None
        client.region = None
        client.api.base_url = config.api_base_url.rstrip("/")
    return client


def whatsapp_address(phone_e164: str) -> str:
    return phone_e164 if phone_e164.startswith("whatsapp:") else f"whatsapp:{phone_e164}"


def inside_session_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    """True when free-form WhatsApp text is allowed (customer wrote to us < 24 h ago)."""
    if last_inbound_at is None:
        return False
    return now < last_inbound_at + WHATSAPP_SESSION_WINDOW - WINDOW_SAFETY_MARGIN


@dataclass(frozen=True)
class WhatsAppContent:
    mode: ContentMode
    body: str | None = None
    template: WhatsAppTemplate | None = None


def choose_whatsapp_content(
    *,
    template: WhatsAppTemplate | None,
    body: str | None,
    last_inbound_at: datetime | None,
    now: datetime,
) -> WhatsAppContent | None:
    """Free text inside the session window when we have it, otherwise the template.

    Returns None when only free text was offered and the window is closed: the caller
    must come back with an approved template.
    """
    if body and inside_session_window(last_inbound_at, now):
        return WhatsAppContent(ContentMode.FREEFORM, body=body)
    if template is not None:
        return WhatsAppContent(ContentMode.TEMPLATE, template=template)
    return None


def content_variables_json(variables: Mapping[str, str]) -> str:
    """Twilio expects ContentVariables as a JSON object of strings keyed "1", "2", ..."""
    return json.dumps({str(key): str(value) for key, value in variables.items()}, ensure_ascii=False)


class TwilioMessenger:
    """Implements :class:`salonflow.ports.MessageSender` with the official twilio client."""

    def __init__(self, config: TwilioConfig, client: Client | None = None) -> None:
        self._config = config
        self._client = client

    @property
    def client(self) -> Client:
        # Built on first use: importing twilio costs cold-start time for functions that never send.
        if self._client is None:
            self._client = build_client(self._config)
        return self._client

    # ----------------------------------------------------------------- WhatsApp

    def send_whatsapp(
        self,
        to: str,
        *,
        template: WhatsAppTemplate | None,
        body: str | None,
        last_inbound_at: datetime | None,
        now: datetime,
        status_callback: str,
    ) -> SendResult:
        if not self._config.whatsapp_from:
            raise ValueError("TwilioConfig.whatsapp_from is not configured")
        content = choose_whatsapp_content(
            template=template, body=body, last_inbound_at=last_inbound_at, now=now
        )
        if content is None:
            return SendResult(
                outcome=Outcome(OutcomeKind.RETRY_AS_TEMPLATE, reason="outside_whatsapp_window"),
                channel=MessageChannel.WHATSAPP,
            )
        params: dict[str, Any] = {
            "to": whatsapp_address(to),
            "from_": whatsapp_address(self._config.whatsapp_from),
            "status_callback": status_callback,
        }
        if content.mode is ContentMode.FREEFORM:
            params["body"] = content.body
        else:
            assert content.template is not None
            params["content_sid"] = content.template.content_sid
            if content.template.variables:
                params["content_variables"] = content_variables_json(content.template.variables)
        return self._create_message(params, MessageChannel.WHATSAPP, content.mode)

    # ----------------------------------------------------------------- SMS

    def send_sms(self, to: str, body: str, *, dlt: DltTemplate | None, status_callback: str) -> SendResult:
        """Send an SMS; in India pass the DLT registration (``dlt``) the body was approved under.

        Twilio has no per-message DLT parameters (see :class:`~salonflow.ports.DltTemplate`),
        so an Indian number without a registration is refused here rather than left for
        the carrier to drop silently.
        """
        if to.startswith("+91") and dlt is None:
            return SendResult(
                outcome=Outcome(OutcomeKind.FAILED, reason="dlt_registration_required"),
                channel=MessageChannel.SMS,
                content_mode=ContentMode.SMS,
            )
        params: dict[str, Any] = {"to": to, "body": body, "status_callback": status_callback}
        if self._config.messaging_service_sid:
            params["messaging_service_sid"] = self._config.messaging_service_sid
        elif self._config.sms_from:
            params["from_"] = self._config.sms_from
        else:
            raise ValueError("TwilioConfig needs sms_from or messaging_service_sid to send SMS")
        return self._create_message(params, MessageChannel.SMS, ContentMode.SMS)

    def _create_message(
        self, params: dict[str, Any], channel: MessageChannel, mode: ContentMode
    ) -> SendResult:
        try:
            message = self.client.messages.create(**params)
        except Exception as exc:
            classified = classify_exception(exc)
            if classified is None:
                raise
            return SendResult(
                outcome=classified.outcome,
                channel=channel,
                content_mode=mode,
                error_code=classified.code,
                error_message=classified.message,
                http_status=classified.http_status,
            )
        error_code = int(message.error_code) if message.error_code else None
        return SendResult(
            outcome=Outcome.sent(),
            channel=channel,
            content_mode=mode,
            sid=message.sid,
            status=str(message.status) if message.status is not None else None,
            error_code=error_code,
        )

    # ----------------------------------------------------------------- voice

    def start_call(
        self,
        to: str,
        *,
        status_callback: str,
        twiml_url: str | None = None,
        twiml: str | None = None,
    ) -> CallResult:
        if (twiml_url is None) == (twiml is None):
            raise ValueError("pass exactly one of twiml_url or twiml")
        if not self._config.voice_from:
            raise ValueError("TwilioConfig.voice_from is not configured")
        params: dict[str, Any] = {
            "to": to,
            "from_": self._config.voice_from,
            "status_callback": status_callback,
            "status_callback_event": ["initiated", "ringing", "answered", "completed"],
        }
        if twiml_url is not None:
            params["url"] = twiml_url
        else:
            params["twiml"] = twiml
        try:
            call = self.client.calls.create(**params)
        except Exception as exc:
            classified = classify_exception(exc)
            if classified is None:
                raise
            return CallResult(
                outcome=classified.outcome, error_code=classified.code, error_message=classified.message
            )
        return CallResult(outcome=Outcome.sent(), sid=call.sid, status=str(call.status))

    # ----------------------------------------------------------------- reconcile

    def fetch_message(self, sid: str) -> MessageSnapshot | None:
        """Twilio's current view of a message we sent, or None if Twilio has no such message."""
        from twilio.base.exceptions import TwilioRestException

        try:
            message = self.client.messages(sid).fetch()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise
        return _snapshot(message)

    def find_messages_to(self, to: str, *, since: datetime) -> list[MessageSnapshot]:
        """Messages to ``to`` created since ``since``: how an unknown send without a SID is reconciled.

        ``to`` is the address as sent (``whatsapp:+91...`` for WhatsApp, E.164 for SMS).
        """
        # Filter on date_created ourselves: Twilio's DateSent filter says nothing about
        # messages still queued, which are exactly the ones an unknown send may have left.
        # The list comes newest first, so a short page covers any recent attempt.
        messages = self.client.messages.list(to=to, limit=20)
        return [
            _snapshot(message)
            for message in messages
            if message.date_created is None or message.date_created >= since
        ]


def _snapshot(message: Any) -> MessageSnapshot:
    return MessageSnapshot(
        sid=message.sid,
        status=str(message.status),
        to=message.to,
        error_code=int(message.error_code) if message.error_code else None,
        date_created=message.date_created,
        date_updated=message.date_updated,
    )
