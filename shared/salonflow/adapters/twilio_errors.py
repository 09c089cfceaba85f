"""Map Twilio errors to what the caller must do next.

The same codes arrive two ways: synchronously as a REST error when the message is
created, and asynchronously as ``ErrorCode`` in a failed/undelivered status callback
(63016 nearly always comes that way). Both paths use :func:`outcome_for_error_code`.

Only infrastructure failures (HTTP 5xx, timeouts, connection errors) count for the
circuit breaker; every per-recipient error is the recipient's problem, not Twilio's.

| Code  | Meaning                                   | Outcome                        |
|-------|-------------------------------------------|--------------------------------|
| 63016 | outside the WhatsApp 24-hour window       | RETRY_AS_TEMPLATE              |
| 21610 | recipient replied STOP (opted out)        | SUPPRESSED "opted_out"         |
| 63014 | recipient blocked the business            | SUPPRESSED "blocked"           |
| 21614 | not a mobile number (landline)            | SUPPRESSED "not_mobile"        |
| 21211 | invalid 'To' number                       | SUPPRESSED "invalid_number"    |
| 63003 | WhatsApp: To is not a WhatsApp user       | SUPPRESSED "not_on_whatsapp"   |
| 30005 | unknown destination handset               | SUPPRESSED "unknown_handset"   |
| 30006 | landline or unreachable carrier           | SUPPRESSED "not_mobile"        |
| 30007 | carrier filtering (spam)                  | ALERT_PAUSE_SALON              |
| 30003 | handset unreachable (off / no signal)     | RETRY_LATER (limited)          |
| 20429 | too many requests (also any HTTP 429)     | RETRY_LATER                    |
| 5xx / timeout / connection error          | | UNKNOWN_RECONCILE, counts for breaker |
| other 4xx codes (auth, bad sender, ...)   | | FAILED (fix configuration)     |

A WhatsApp send SUPPRESSED as "not_on_whatsapp" is where the service layer may fall back
to SMS, if the customer consented to SMS for that category.
"""

from __future__ import annotations

from dataclasses import dataclass

from salonflow.ports import Outcome, OutcomeKind

THROTTLE_BACKOFF_S = 30.0
UNREACHABLE_BACKOFF_S = 30 * 60.0  # a phone that is off now is often back within the hour

_SUPPRESS_REASONS: dict[int, str] = {
    21610: "opted_out",
    63014: "blocked",
    21614: "not_mobile",
    21211: "invalid_number",
    63003: "not_on_whatsapp",
    30005: "unknown_handset",
    30006: "not_mobile",
}


def outcome_for_error_code(code: int | None, http_status: int | None = None) -> Outcome:
    """The outcome of a Twilio error code (REST error or status-callback ``ErrorCode``)."""
    if code == 63016:
        return Outcome(OutcomeKind.RETRY_AS_TEMPLATE, reason="outside_whatsapp_window")
    if code in _SUPPRESS_REASONS:
        return Outcome.suppressed(_SUPPRESS_REASONS[code])
    if code == 30007:
        return Outcome(OutcomeKind.ALERT_PAUSE_SALON, reason="carrier_filtering")
    if code == 30003:
        return Outcome.retry_later(UNREACHABLE_BACKOFF_S, reason="unreachable")
    if code == 20429 or http_status == 429:
        return Outcome.retry_later(THROTTLE_BACKOFF_S, reason="throttled")
    if http_status is not None and http_status >= 500:
        return Outcome(OutcomeKind.UNKNOWN_RECONCILE, reason=f"twilio_http_{http_status}")
    return Outcome(OutcomeKind.FAILED, reason=f"twilio_error_{code}" if code is not None else "twilio_error")


@dataclass(frozen=True)
class ClassifiedError:
    outcome: Outcome
    code: int | None
    http_status: int | None
    message: str


def classify_exception(exc: BaseException) -> ClassifiedError | None:
    """Classify what the twilio client raised; None if it is not a Twilio/transport error.

    ``TwilioRestException`` carries the HTTP status and Twilio's error code. Transport
    errors come straight from ``requests`` (the client does not wrap them): for those
    we cannot know whether Twilio created the message, hence UNKNOWN_RECONCILE.
    """
    from requests import exceptions as requests_errors
    from twilio.base.exceptions import TwilioRestException, TwilioServiceException

    if isinstance(exc, TwilioRestException):
        code = int(exc.code) if exc.code is not None else None
        return ClassifiedError(outcome_for_error_code(code, exc.status), code, exc.status, str(exc.msg))
    if isinstance(exc, TwilioServiceException):
        service_code = int(exc.code) if exc.code is not None else None
        return ClassifiedError(
            outcome_for_error_code(service_code, exc.status), service_code, exc.status, str(exc.title)
        )
    if isinstance(exc, requests_errors.Timeout | requests_errors.ConnectionError):
        # A read timeout may mean Twilio accepted the request and we lost the answer.
        return ClassifiedError(
            Outcome(OutcomeKind.UNKNOWN_RECONCILE, reason=type(exc).__name__), None, None, str(exc)
        )
    return None
