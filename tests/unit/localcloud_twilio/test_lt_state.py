"""The Twilio sandbox's state, without its HTTP server."""

from __future__ import annotations

from datetime import UTC, datetime

from localcloud.twilio.state import SandboxState

NOW = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
SERVICE = "MG" + "ab" * 16


def test_the_create_answer_keeps_the_status_at_creation_when_a_callback_advances_the_message_at_once() -> None:
    state = SandboxState(account_sid="AC" + "0" * 32, auth_token="token")
    created, _ = state.create_message(
        {"To": "+919876543210", "MessagingServiceSid": SERVICE, "Body": "Hello", "StatusCallback": "http://x/cb"},
        NOW,
    )

    state.apply_message_status(created["sid"], {"status": "delivered"}, NOW)

    assert created["status"] == "accepted"
    assert state.message(created["sid"])["status"] == "delivered"  # type: ignore[index]


def test_the_create_answer_of_a_call_keeps_its_status_when_the_call_moves_on() -> None:
    state = SandboxState(account_sid="AC" + "0" * 32, auth_token="token")
    created, _ = state.create_call(
        {"To": "+919876543210", "From": "+14155550100", "Url": "http://x/twiml", "StatusCallback": "http://x/cb"},
        NOW,
    )
    before = created["status"]

    state.apply_call_status(created["sid"], "completed", NOW)

    assert created["status"] == before != "completed"
