"""Twilio errors become the outcome the caller acts on; only infrastructure failures trip the breaker."""

from __future__ import annotations

import pytest
import requests
from salonflow.adapters.twilio_errors import classify_exception, outcome_for_error_code
from salonflow.ports import OutcomeKind
from twilio.base.exceptions import TwilioRestException


@pytest.mark.parametrize(
    ("code", "reason"),
    [(21610, "opted_out"), (63014, "blocked"), (21614, "not_mobile"), (21211, "invalid_number")],
)
def test_per_recipient_errors_suppress_with_a_reason_and_never_count_for_the_breaker(
    code: int, reason: str
) -> None:
    outcome = outcome_for_error_code(code, 400)
    assert outcome.kind is OutcomeKind.SUPPRESSED
    assert outcome.reason == reason
    assert not outcome.counts_for_breaker


def test_a_closed_whatsapp_window_asks_for_a_template_not_a_breaker_trip() -> None:
    outcome = outcome_for_error_code(63016)
    assert outcome.kind is OutcomeKind.RETRY_AS_TEMPLATE
    assert not outcome.counts_for_breaker


def test_carrier_filtering_pauses_the_salon() -> None:
    outcome = outcome_for_error_code(30007)
    assert outcome.kind is OutcomeKind.ALERT_PAUSE_SALON
    assert not outcome.counts_for_breaker


@pytest.mark.parametrize(("code", "status"), [(20429, 429), (20429, None), (None, 429)])
def test_throttling_backs_off_and_retries(code: int | None, status: int | None) -> None:
    outcome = outcome_for_error_code(code, status)
    assert outcome.kind is OutcomeKind.RETRY_LATER
    assert outcome.backoff_s is not None and outcome.backoff_s > 0
    assert not outcome.counts_for_breaker


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_unknown_outcomes_that_count_for_the_breaker(status: int) -> None:
    outcome = outcome_for_error_code(20500, status)
    assert outcome.kind is OutcomeKind.UNKNOWN_RECONCILE
    assert outcome.counts_for_breaker


def test_configuration_errors_fail_permanently_without_tripping_the_breaker() -> None:
    outcome = outcome_for_error_code(20003, 401)
    assert outcome.kind is OutcomeKind.FAILED
    assert not outcome.counts_for_breaker


def test_a_rest_exception_keeps_its_code_and_status() -> None:
    exc = TwilioRestException(400, "https://api.twilio.com/x", "unsubscribed", 21610, "POST")
    classified = classify_exception(exc)
    assert classified is not None
    assert (classified.code, classified.http_status) == (21610, 400)
    assert classified.outcome.kind is OutcomeKind.SUPPRESSED


@pytest.mark.parametrize(
    "exc", [requests.exceptions.ReadTimeout("read timed out"), requests.exceptions.ConnectionError("refused")]
)
def test_timeouts_and_connection_errors_are_unknown_and_count_for_the_breaker(exc: Exception) -> None:
    classified = classify_exception(exc)
    assert classified is not None
    assert classified.outcome.kind is OutcomeKind.UNKNOWN_RECONCILE
    assert classified.outcome.counts_for_breaker


def test_a_programming_error_is_not_classified_as_a_twilio_error() -> None:
    assert classify_exception(KeyError("oops")) is None
