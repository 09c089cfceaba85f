"""What the sandbox posts to our webhooks: Twilio-shaped forms, signed with the auth token."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from localcloud.twilio.state import (
    API_VERSION,
    CHANNEL_INSTALL_SID,
    CallbackPlan,
    SandboxState,
    new_sid,
    rfc2822,
)

DEFAULT_SMS_SENDER = "+15005550006"
POST_TIMEOUT_S = 15.0  # Twilio gives a webhook 15 s before it gives up


def sign(auth_token: str, url: str, form: dict[str, str]) -> str:
    from twilio.request_validator import RequestValidator

    return str(RequestValidator(auth_token).compute_signature(url, form))


def post_signed(state: SandboxState, url: str, form: dict[str, str], kind: str) -> dict[str, Any]:
    """POST ``form`` to ``url`` like Twilio does, record the delivery, return what came back."""
    signature = sign(state.auth_token, url, form)
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "X-Twilio-Signature": signature,
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": new_sid(""),
        },
    )
    record: dict[str, Any] = {
        "kind": kind,
        "url": url,
        "params": form,
        "signature": signature,
        "at": datetime.now(UTC).isoformat(),
    }
    try:
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT_S) as response:
            record["response_status"] = response.status
            record["response_body"] = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        record["response_status"] = exc.code
        record["response_body"] = exc.read().decode("utf-8", "replace")
    except OSError as exc:
        record["response_status"] = None
        record["error"] = f"{type(exc).__name__}: {exc}"
    with state.lock:
        state.callbacks.append(record)
    return record


# ----------------------------------------------------------------- message status callbacks


def message_status_form(
    state: SandboxState, resource: dict[str, Any], step: dict[str, Any]
) -> dict[str, str]:
    to = str(resource["to"])
    sender = str(resource["from"] or DEFAULT_SMS_SENDER)
    status = str(step["status"])
    form = {
        "AccountSid": state.account_sid,
        "ApiVersion": API_VERSION,
        "From": sender,
        "MessageSid": str(resource["sid"]),
        "MessageStatus": status,
        "SmsSid": str(resource["sid"]),
        "SmsStatus": status,
        "To": to,
    }
    if to.startswith("whatsapp:"):
        form["ChannelPrefix"] = "whatsapp"
        form["ChannelInstallSid"] = CHANNEL_INSTALL_SID
        form["ChannelToAddress"] = to.removeprefix("whatsapp:")
        form["StructuredMessage"] = "false"
    else:
        if resource.get("messaging_service_sid"):
            form["MessagingServiceSid"] = str(resource["messaging_service_sid"])
        if status in {"delivered", "undelivered"}:
            form["RawDlrDoneDate"] = datetime.now(UTC).strftime("%y%m%d%H%M")
    if step.get("error_code") is not None:
        form["ErrorCode"] = str(step["error_code"])
        if step.get("error_message"):
            form["ErrorMessage"] = str(step["error_message"])
    return form


def deliver_message_callbacks(state: SandboxState, sid: str, plan: CallbackPlan) -> None:
    time.sleep(plan.initial_delay_ms / 1000)
    for index, step in enumerate(plan.steps):
        if index:
            time.sleep(plan.delay_ms / 1000)
        resource = state.apply_message_status(sid, step, datetime.now(UTC))
        post_signed(state, plan.url, message_status_form(state, resource, step), "message_status")


# ----------------------------------------------------------------- call callbacks and voice


def _call_form(state: SandboxState, call: dict[str, Any], status: str) -> dict[str, str]:
    return {
        "AccountSid": state.account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": str(call["sid"]),
        "CallStatus": status,
        "Called": str(call["to"]),
        "Caller": str(call["from"]),
        "Direction": "outbound-api",
        "From": str(call["from"]),
        "To": str(call["to"]),
    }


def call_status_form(state: SandboxState, call: dict[str, Any], status: str, sequence: int) -> dict[str, str]:
    form = _call_form(state, call, status)
    form["CallbackSource"] = "call-progress-events"
    form["SequenceNumber"] = str(sequence)
    form["Timestamp"] = rfc2822(datetime.now(UTC))
    if status == "completed":
        form["CallDuration"] = "12"
        form["Duration"] = "1"
    return form


def deliver_call_callbacks(
    state: SandboxState, sid: str, plan: CallbackPlan, first_sequence: int = 0
) -> None:
    time.sleep(plan.initial_delay_ms / 1000)
    for index, step in enumerate(plan.steps):
        if index:
            time.sleep(plan.delay_ms / 1000)
        call = state.apply_call_status(sid, str(step["status"]), datetime.now(UTC))
        form = call_status_form(state, call, str(step["status"]), first_sequence + index)
        post_signed(state, plan.url, form, "call_status")


def answer_call(state: SandboxState, sid: str, digits: str | None) -> dict[str, Any]:
    """The callee picks up: fetch the call's TwiML, then press ``digits`` at its ``<Gather>``."""
    call = state.apply_call_status(sid, "in-progress", datetime.now(UTC))
    extras = state.call_extras[sid]
    result: dict[str, Any] = {"call_sid": sid}
    twiml = extras.get("twiml")
    base_url = extras.get("url")
    if base_url:
        fetched = post_signed(state, base_url, _call_form(state, call, "in-progress"), "voice_url")
        result["voice_url"] = _summary(fetched)
        twiml = fetched.get("response_body")
    if digits is None or not twiml:
        return result
    action = gather_action(twiml, base_url)
    if action is None:
        result["error"] = "the TwiML has no <Gather> with an action to post digits to"
        return result
    form = _call_form(state, call, "in-progress")
    form.update({"Digits": digits, "FinishedOnKey": "", "msg": "Gather End"})
    result["gather"] = _summary(post_signed(state, action, form, "voice_gather"))
    return result


def gather_action(twiml: str, base_url: str | None) -> str | None:
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return None
    gather = root.find(".//Gather")
    if gather is None:
        return None
    action = gather.get("action")
    if action:
        return urllib.parse.urljoin(base_url or "", action)
    # Without an action Twilio posts the digits back to the URL that produced the TwiML.
    return base_url


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in ("url", "response_status", "response_body", "error")}


# ----------------------------------------------------------------- simulated customer replies


def incoming_message_form(
    state: SandboxState,
    *,
    from_number: str,
    to: str,
    body: str,
    channel: str,
    button_payload: str | None,
    button_text: str | None,
    replied_to_sid: str | None,
    profile_name: str | None,
) -> dict[str, str]:
    sid = new_sid("SM")
    if channel == "whatsapp":
        sender = f"whatsapp:{from_number}"
        recipient = to if to.startswith("whatsapp:") else f"whatsapp:{to}"
    else:
        sender, recipient = from_number, to
    form = {
        "AccountSid": state.account_sid,
        "ApiVersion": API_VERSION,
        "Body": body,
        "From": sender,
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": recipient,
    }
    if channel == "whatsapp":
        form["WaId"] = from_number.lstrip("+")
        form["ProfileName"] = profile_name or "Customer"
        form["MessageType"] = "button" if button_payload else "text"
        form["ReferralNumMedia"] = "0"
        if button_payload:
            form["ButtonPayload"] = button_payload
            form["ButtonText"] = button_text or button_payload
        if replied_to_sid:
            form["OriginalRepliedMessageSid"] = replied_to_sid
            form["OriginalRepliedMessageSender"] = recipient
    return form


def run_later(state: SandboxState, target: Callable[[], None]) -> None:
    """Run ``target`` (status callbacks) on its own thread, counted as the sandbox's pending work."""
    state.callbacks_pending.begin()

    def counted() -> None:
        try:
            target()
        finally:
            state.callbacks_pending.end()

    threading.Thread(target=counted, daemon=True).start()
