"""Template vs free-form: free text only inside the 24-hour window the customer opened."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from salonflow.adapters.twilio_messaging import (
    TwilioConfig,
    TwilioMessenger,
    build_client,
    choose_whatsapp_content,
    content_variables_json,
    inside_session_window,
)
from salonflow.ports import ContentMode, OutcomeKind, WhatsAppTemplate

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
TEMPLATE = WhatsAppTemplate("HX" + "b" * 32, {"1": "Priya", "2": "2:00 PM"})


def test_free_text_is_used_when_the_customer_wrote_an_hour_ago() -> None:
    content = choose_whatsapp_content(
        template=TEMPLATE, body="See you at 2!", last_inbound_at=NOW - timedelta(hours=1), now=NOW
    )
    assert content is not None and content.mode is ContentMode.FREEFORM
    assert content.body == "See you at 2!"


def test_the_template_is_used_when_the_customer_never_wrote() -> None:
    content = choose_whatsapp_content(template=TEMPLATE, body="See you at 2!", last_inbound_at=None, now=NOW)
    assert content is not None and content.mode is ContentMode.TEMPLATE
    assert content.template == TEMPLATE


def test_the_template_is_used_once_the_window_has_closed() -> None:
    content = choose_whatsapp_content(
        template=TEMPLATE, body="hi", last_inbound_at=NOW - timedelta(hours=24, minutes=1), now=NOW
    )
    assert content is not None and content.mode is ContentMode.TEMPLATE


def test_a_send_just_before_the_window_closes_keeps_a_safety_margin() -> None:
    assert inside_session_window(NOW - timedelta(hours=23), NOW)
    assert not inside_session_window(NOW - timedelta(hours=23, minutes=58), NOW)


def test_free_text_alone_outside_the_window_has_no_content_to_send() -> None:
    assert choose_whatsapp_content(template=None, body="hi", last_inbound_at=None, now=NOW) is None


def test_outside_the_window_without_a_template_the_adapter_asks_for_one_without_calling_twilio() -> None:
    messenger = TwilioMessenger(TwilioConfig("AC" + "0" * 32, "token", whatsapp_from="+14155238886"))
    result = messenger.send_whatsapp(
        "+919876543210",
        template=None,
        body="hi",
        last_inbound_at=None,
        now=NOW,
        status_callback="https://x/cb",
    )
    assert result.outcome.kind is OutcomeKind.RETRY_AS_TEMPLATE
    assert result.sid is None
    assert messenger._client is None  # the twilio client was never even built


def test_an_indian_sms_without_its_dlt_registration_is_refused_locally() -> None:
    messenger = TwilioMessenger(TwilioConfig("AC" + "0" * 32, "token", sms_from="SALONF"))
    result = messenger.send_sms("+919876543210", "Your appointment is at 2 PM", dlt=None, status_callback="x")
    assert result.outcome.kind is OutcomeKind.FAILED
    assert result.outcome.reason == "dlt_registration_required"
    assert messenger._client is None


def test_the_client_is_aimed_at_the_sandbox_even_when_an_edge_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "singapore")
    config = TwilioConfig("AC" + "0" * 32, "token", api_base_url="http://127.0.0.1:8099/")
    client = build_client(config)
    assert client.api.base_url == "http://127.0.0.1:8099"
    # An edge would rewrite 127.0.0.1 into a twilio.com host name.
    assert client.get_hostname("http://127.0.0.1:8099/2010-04-01/x") == "http://127.0.0.1:8099/2010-04-01/x"


def test_content_variables_are_a_json_object_of_strings_keyed_by_position() -> None:
    text = content_variables_json({1: "Priya", "2": 500})  # type: ignore[dict-item]
    assert json.loads(text) == {"1": "Priya", "2": "500"}


def test_content_variables_keep_indian_scripts_readable() -> None:
    assert "प्रिया" in content_variables_json({"1": "प्रिया"})


def test_config_from_env_reads_the_sandbox_base_url() -> None:
    config = TwilioConfig.from_env(
        {
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_AUTH_TOKEN": "t",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:8099",
        }
    )
    assert config.api_base_url == "http://127.0.0.1:8099"
