"""Twilio webhook helpers: signature validation and typed parsing of the form posts.

Signatures are checked against the *configured* public URL of the webhook (public base
URL + route path + the query string Twilio was given), never against the URL the
function sees: behind Google's front end and the Firebase rewrites the scheme, host
and path prefix differ from what Twilio signed.

Parameter names follow what Twilio posts (see ``tests/fixtures/twilio/``). Twilio adds
parameters without notice, so parsers read what they need and keep the rest in ``raw``,
and validation always signs over every parameter received.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from salonflow.adapters.twilio_errors import outcome_for_error_code
from salonflow.ports import Outcome

STATUS_PATH = "/webhooks/twilio/status"
INCOMING_PATH = "/webhooks/twilio/incoming"
VOICE_PATH = "/webhooks/twilio/voice"

FAILED_STATUSES = frozenset({"failed", "undelivered"})

SIGNATURE_HEADER = "X-Twilio-Signature"
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"


class InvalidWebhook(ValueError):
    """The form post lacks a field every Twilio post of this kind carries."""


class FormParams:
    """Form fields in arrival order, repeated names allowed.

    ``getlist`` is the hook ``RequestValidator`` uses for multi-valued fields, so a
    repeated parameter is signed exactly as Twilio signed it.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    @classmethod
    def from_body(cls, body: bytes | str) -> FormParams:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return cls(parse_qsl(text, keep_blank_values=True))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str]) -> FormParams:
        return cls(mapping.items())

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self._pairs:
            if key == name:
                return value
        return default

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._pairs)

    def __iter__(self) -> Iterator[str]:
        seen: list[str] = []
        for key, _ in self._pairs:
            if key not in seen:
                seen.append(key)
        return iter(seen)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def to_dict(self) -> dict[str, str]:
        """First value of each field (Twilio's message/call posts never repeat a name)."""
        result: dict[str, str] = {}
        for key, value in self._pairs:
            result.setdefault(key, value)
        return result


def public_webhook_url(public_base_url: str, path: str, query: str = "") -> str:
    """The URL Twilio was told to call: configured base + route path (+ query)."""
    url = public_base_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query}" if query else url


def status_callback_url(public_base_url: str, **route: str) -> str:
    """Status-callback URL carrying our own ids, so a callback is routed without a lookup.

    Twilio signs the full URL including this query string, so the ids cannot be forged.
    """
    from urllib.parse import urlencode

    return public_webhook_url(public_base_url, STATUS_PATH, urlencode(sorted(route.items())))


def validate_signature(
    auth_token: str,
    url: str,
    params: FormParams | Mapping[str, str],
    signature: str | None,
    signature_settings: str | None = None,
) -> bool:
    """True only for a present, correct ``X-Twilio-Signature`` over ``url`` and ``params``."""
    if not signature:
        return False
    from twilio.request_validator import RequestValidator, get_signature_algorithm

    algorithm = get_signature_algorithm(signature_settings)
    validator = RequestValidator(auth_token)
    form = params if isinstance(params, FormParams) else FormParams.from_mapping(params)
    return bool(validator.validate(url, form, signature, algorithm))


def sign(auth_token: str, url: str, params: FormParams | Mapping[str, str]) -> str:
    """The signature Twilio would send for this post (used by the sandbox and tests)."""
    from twilio.request_validator import RequestValidator

    form = params if isinstance(params, FormParams) else FormParams.from_mapping(params)
    return str(RequestValidator(auth_token).compute_signature(url, form))


def verified_form(
    *,
    auth_token: str,
    public_base_url: str,
    path: str,
    query: str,
    body: bytes,
    headers: Mapping[str, str],
) -> FormParams | None:
    """The posted form if Twilio signed it for our public URL, else None (answer 403, change nothing).

    ``path`` is the route (e.g. :data:`STATUS_PATH`) and ``query`` the query string the
    request arrived with; the host, scheme and any path prefix come from configuration.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    form = FormParams.from_body(body)
    url = public_webhook_url(public_base_url, path, query)
    signature = lowered.get(SIGNATURE_HEADER.lower())
    settings = lowered.get(SIGNATURE_SETTINGS_HEADER.lower())
    return form if validate_signature(auth_token, url, form, signature, settings) else None


def _required(form: FormParams, name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidWebhook(f"missing {name}")
    return value


def _int_or_none(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return None


def split_address(address: str) -> tuple[str, str]:
    """``whatsapp:+919876543210`` -> ("whatsapp", "+919876543210"); a bare number is SMS/voice."""
    channel, separator, number = address.partition(":")
    if separator and channel in {"whatsapp", "messenger", "rcs"}:
        return channel, number
    return "sms", address


@dataclass(frozen=True)
class MessageStatusCallback:
    message_sid: str
    status: str  # queued, sending, sent, delivered, undelivered, failed, read, ...
    error_code: int | None
    channel: str
    to: str  # E.164, channel prefix removed
    account_sid: str | None
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def is_failure(self) -> bool:
        return self.status in FAILED_STATUSES

    def failure_outcome(self) -> Outcome | None:
        """What a failed/undelivered callback asks of us (None for progress statuses).

        Twilio's side worked when it reports a delivery failure (there is no HTTP status
        here), so none of these count for the circuit breaker.
        """
        if not self.is_failure:
            return None
        return outcome_for_error_code(self.error_code)


def parse_status_callback(form: FormParams) -> MessageStatusCallback:
    to_channel, to_number = split_address(form.get("To", "") or "")
    return MessageStatusCallback(
        message_sid=_required(form, "MessageSid"),
        status=_required(form, "MessageStatus"),
        error_code=_int_or_none(form.get("ErrorCode")),
        channel=form.get("ChannelPrefix") or to_channel,
        to=to_number,
        account_sid=form.get("AccountSid"),
        raw=form.to_dict(),
    )


@dataclass(frozen=True)
class IncomingMessage:
    message_sid: str
    channel: str  # "whatsapp" or "sms"
    from_phone: str  # E.164, channel prefix removed
    to: str
    body: str
    button_payload: str | None  # quick-reply button id we put in the template
    button_text: str | None
    replied_to_sid: str | None  # OriginalRepliedMessageSid: which of our messages was answered
    profile_name: str | None
    num_media: int
    account_sid: str | None
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def reply_text(self) -> str:
        """What the customer said: the button's payload when they tapped one, else the text."""
        return (self.button_payload or self.body).strip()


def parse_incoming_message(form: FormParams) -> IncomingMessage:
    channel, from_phone = split_address(_required(form, "From"))
    _, to_number = split_address(form.get("To", "") or "")
    return IncomingMessage(
        message_sid=_required(form, "MessageSid"),
        channel=channel,
        from_phone=from_phone,
        to=to_number,
        body=form.get("Body", "") or "",
        button_payload=form.get("ButtonPayload") or None,
        button_text=form.get("ButtonText") or None,
        replied_to_sid=form.get("OriginalRepliedMessageSid") or None,
        profile_name=form.get("ProfileName") or None,
        num_media=_int_or_none(form.get("NumMedia")) or 0,
        account_sid=form.get("AccountSid"),
        raw=form.to_dict(),
    )


@dataclass(frozen=True)
class VoiceRequest:
    """A voice webhook: the call connecting, a ``<Gather>`` result, or a call status callback."""

    call_sid: str
    call_status: str | None
    digits: str | None  # keys pressed in the gather; None when this is not a gather result
    from_: str | None
    to: str | None
    direction: str | None
    account_sid: str | None
    raw: dict[str, str] = field(default_factory=dict)


def parse_voice_request(form: FormParams) -> VoiceRequest:
    return VoiceRequest(
        call_sid=_required(form, "CallSid"),
        call_status=form.get("CallStatus"),
        digits=form.get("Digits") if "Digits" in form else None,
        from_=form.get("From"),
        to=form.get("To"),
        direction=form.get("Direction"),
        account_sid=form.get("AccountSid"),
        raw=form.to_dict(),
    )


def query_of(url: str) -> str:
    """The query string of a URL the function saw (to rebuild the signed public URL)."""
    return urlsplit(url).query
