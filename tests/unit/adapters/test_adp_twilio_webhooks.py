"""Webhook signatures are checked against the configured public URL; posts parse into typed records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from salonflow.adapters.twilio_webhooks import (
    STATUS_PATH,
    FormParams,
    InvalidWebhook,
    parse_incoming_message,
    parse_status_callback,
    parse_voice_request,
    public_webhook_url,
    sign,
    status_callback_url,
    validate_signature,
    verified_form,
)
from salonflow.ports import OutcomeKind
from twilio.request_validator import RequestValidator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "twilio"
TOKEN = "12345678901234567890123456789012"
PUBLIC_BASE = "https://asia-south1-salon-saas-487508.cloudfunctions.net/webhooks"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def signed(name: str) -> tuple[str, FormParams, str]:
    data = fixture(name)
    form = FormParams.from_body(urlencode(data["params"]))
    signature = RequestValidator(TOKEN).compute_signature(data["url"], data["params"])
    return data["url"], form, signature


# ------------------------------------------------------------------ signature matrix


@pytest.mark.parametrize("name", sorted(path.stem for path in FIXTURES.glob("*.json")))
def test_every_fixture_validates_with_its_signature(name: str) -> None:
    url, form, signature = signed(name)
    assert validate_signature(TOKEN, url, form, signature)


def test_a_tampered_parameter_fails_validation() -> None:
    url, form, signature = signed("whatsapp_status_delivered")
    tampered = FormParams((k, "read" if k == "MessageStatus" else v) for k, v in form.to_dict().items())
    assert not validate_signature(TOKEN, url, tampered, signature)


def test_an_added_parameter_fails_validation() -> None:
    url, form, signature = signed("whatsapp_incoming_text")
    extended = FormParams([*form.to_dict().items(), ("ButtonPayload", "gap_accept")])
    assert not validate_signature(TOKEN, url, extended, signature)


def test_the_url_the_function_sees_is_not_the_url_twilio_signed() -> None:
    url, form, signature = signed("whatsapp_incoming_text")
    seen_by_function = "http://127.0.0.1:8080/webhooks/twilio/incoming"
    assert validate_signature(TOKEN, url, form, signature)
    assert not validate_signature(TOKEN, seen_by_function, form, signature)


def test_a_changed_query_string_fails_validation() -> None:
    url, form, signature = signed("whatsapp_status_sent")
    forged = url.replace("salon_id=salon_123", "salon_id=salon_999")
    assert not validate_signature(TOKEN, forged, form, signature)


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_signature_fails_validation(header: str | None) -> None:
    url, form, _ = signed("whatsapp_status_sent")
    assert not validate_signature(TOKEN, url, form, header)


def test_another_accounts_token_fails_validation() -> None:
    url, form, signature = signed("whatsapp_status_sent")
    assert not validate_signature("another-token-another-token-1234", url, form, signature)


def test_an_empty_body_value_is_part_of_the_signature() -> None:
    url, form, signature = signed("voice_gather_digits")  # FinishedOnKey= is empty
    assert form.get("FinishedOnKey") == ""
    assert validate_signature(TOKEN, url, form, signature)


def test_sign_and_validate_agree_on_repeated_parameters() -> None:
    url = public_webhook_url(PUBLIC_BASE, "/webhooks/twilio/voice")
    form = FormParams(
        [("CallSid", "CA1"), ("StatusCallbackEvent", "ringing"), ("StatusCallbackEvent", "answered")]
    )
    assert validate_signature(TOKEN, url, form, sign(TOKEN, url, form))


def test_the_public_url_is_the_configured_base_plus_the_route_path() -> None:
    assert public_webhook_url(PUBLIC_BASE + "/", STATUS_PATH) == PUBLIC_BASE + "/webhooks/twilio/status"
    assert public_webhook_url(PUBLIC_BASE, STATUS_PATH, "a=1") == PUBLIC_BASE + "/webhooks/twilio/status?a=1"


def test_status_callback_urls_carry_our_ids_in_a_stable_order() -> None:
    url = status_callback_url(PUBLIC_BASE, salon_id="salon_123", outreach_id="out_7Kq2")
    assert url == PUBLIC_BASE + "/webhooks/twilio/status?outreach_id=out_7Kq2&salon_id=salon_123"


# ------------------------------------------------------------------ parsing


def test_a_whatsapp_status_callback_parses_with_the_channel_prefix_removed() -> None:
    _, form, _ = signed("whatsapp_status_delivered")
    callback = parse_status_callback(form)
    assert callback.status == "delivered"
    assert callback.channel == "whatsapp"
    assert callback.to == "+919876543210"
    assert callback.message_sid.startswith("SM") and len(callback.message_sid) == 34
    assert callback.error_code is None


def test_a_failed_status_callback_carries_its_error_code() -> None:
    _, form, _ = signed("whatsapp_status_failed_63016")
    assert parse_status_callback(form).error_code == 63016


def test_an_sms_status_callback_is_on_the_sms_channel() -> None:
    _, form, _ = signed("sms_status_undelivered_30007")
    callback = parse_status_callback(form)
    assert (callback.channel, callback.status, callback.error_code) == ("sms", "undelivered", 30007)


def test_an_incoming_whatsapp_text_parses_the_customer_number_and_text() -> None:
    _, form, _ = signed("whatsapp_incoming_text")
    message = parse_incoming_message(form)
    assert message.channel == "whatsapp"
    assert message.from_phone == "+919876543210"
    assert message.reply_text == "Haan, 2 baje theek hai"
    assert message.button_payload is None
    assert message.profile_name == "Priya Sharma"


def test_a_quick_reply_prefers_the_button_payload_and_names_the_message_answered() -> None:
    _, form, _ = signed("whatsapp_incoming_quick_reply")
    message = parse_incoming_message(form)
    assert message.reply_text == "gap_accept"
    assert message.button_text == "Yes, book it"
    assert message.replied_to_sid == fixture("whatsapp_status_sent")["params"]["MessageSid"]


def test_a_voice_gather_result_parses_the_digits() -> None:
    _, form, _ = signed("voice_gather_digits")
    request = parse_voice_request(form)
    assert (request.call_sid[:2], request.digits, request.call_status) == ("CA", "1", "in-progress")


def test_a_call_status_callback_has_no_digits() -> None:
    _, form, _ = signed("voice_call_status_completed")
    request = parse_voice_request(form)
    assert request.digits is None and request.call_status == "completed"


def test_a_post_without_a_message_sid_is_rejected() -> None:
    with pytest.raises(InvalidWebhook):
        parse_status_callback(FormParams.from_mapping({"MessageStatus": "sent"}))
    with pytest.raises(InvalidWebhook):
        parse_incoming_message(FormParams.from_mapping({"Body": "hi", "MessageSid": "SM1"}))


def test_a_request_is_verified_against_the_configured_base_whatever_host_it_arrived_on() -> None:
    params = fixture("whatsapp_status_sent")["params"]
    query = "outreach_id=out_7Kq2&salon_id=salon_123"
    signature = sign(TOKEN, f"{PUBLIC_BASE}{STATUS_PATH}?{query}", params)
    body = urlencode(params).encode()
    arguments: dict[str, Any] = {"auth_token": TOKEN, "path": STATUS_PATH, "query": query, "body": body}

    form = verified_form(public_base_url=PUBLIC_BASE, headers={"x-twilio-signature": signature}, **arguments)
    assert form is not None and form.get("MessageStatus") == "sent"
    assert (
        verified_form(
            public_base_url="http://127.0.0.1:5001/p/asia-south1/webhooks",
            headers={"X-Twilio-Signature": signature},
            **arguments,
        )
        is None
    )
    assert verified_form(public_base_url=PUBLIC_BASE, headers={}, **arguments) is None


def test_a_failed_callback_tells_the_caller_what_to_do_and_never_trips_the_breaker() -> None:
    window = parse_status_callback(signed("whatsapp_status_failed_63016")[1]).failure_outcome()
    filtered = parse_status_callback(signed("sms_status_undelivered_30007")[1]).failure_outcome()
    assert window is not None and window.kind is OutcomeKind.RETRY_AS_TEMPLATE
    assert filtered is not None and filtered.kind is OutcomeKind.ALERT_PAUSE_SALON
    assert not window.counts_for_breaker and not filtered.counts_for_breaker
    assert parse_status_callback(signed("whatsapp_status_delivered")[1]).failure_outcome() is None
