"""The real twilio client, through our adapter, against the localcloud Twilio sandbox."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from localcloud.activity import ACTIVITY_PATH
from localcloud.tasks.recorder import recording_endpoint
from localcloud.testing import run_server
from localcloud.twilio.state import DEFAULT_SEQUENCES
from salonflow.adapters.twilio_errors import outcome_for_error_code
from salonflow.adapters.twilio_messaging import TwilioConfig, TwilioMessenger
from salonflow.adapters.twilio_webhooks import (
    FormParams,
    parse_incoming_message,
    parse_status_callback,
    parse_voice_request,
    status_callback_url,
    validate_signature,
)
from salonflow.ports import ContentMode, DltTemplate, OutcomeKind, WhatsAppTemplate

pytestmark = pytest.mark.integration

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fedcba9876543210fedcba9876543210"
CUSTOMER = "+919876543210"
TEMPLATE = WhatsAppTemplate("HX" + "c0ffee00" * 4, {"1": "Priya", "2": "2:00 PM", "3": "Rahul"})
GATHER_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/webhooks/twilio/voice?step=gather" numDigits="1" method="POST">'
    "<Say>Press 1 to confirm your appointment, 2 to reschedule.</Say></Gather></Response>"
)


class Receiver:
    """A tiny stand-in for our webhook endpoints that records every signed post."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                parts = urlsplit(self.path)
                with receiver.lock:
                    receiver.posts.append(
                        {
                            "path": parts.path,
                            "url": receiver.base_url + self.path,
                            "form": FormParams.from_body(body),
                            "signature": self.headers.get("X-Twilio-Signature"),
                        }
                    )
                reply = GATHER_TWIML.encode() if parts.path == "/voice/connect" else b"<Response/>"
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def wait_for(self, path: str, count: int, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                found = [post for post in self.posts if post["path"] == path]
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} posts to {path}, got {len(found)}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    webhook_receiver = Receiver()
    yield webhook_receiver
    webhook_receiver.close()


@pytest.fixture(scope="module")
def sandbox_url(receiver: Receiver) -> Iterator[str]:
    args = ["--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN, "--public-base-url", receiver.base_url]
    with run_server("twilio", args) as server:
        yield f"http://{server.address}"


@pytest.fixture
def sandbox(sandbox_url: str, receiver: Receiver) -> str:
    control(sandbox_url, "reset")
    with receiver.lock:
        receiver.posts.clear()
    return sandbox_url


def control(base: str, action: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base}/_sandbox/{action}",
        data=json.dumps(payload or {}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.load(response)
        return result


def recorded(base: str, what: str = "messages") -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{base}/_sandbox/{what}", timeout=10) as response:
        result: list[dict[str, Any]] = json.load(response)[what]
        return result


def messenger(base: str, **overrides: Any) -> TwilioMessenger:
    settings: dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "whatsapp_from": "+14155238886",
        "messaging_service_sid": "MG" + "ab" * 16,
        "voice_from": "+14155550100",
        "api_base_url": base,
        "timeout_s": 5.0,
    }
    settings.update(overrides)
    return TwilioMessenger(TwilioConfig(**settings))


def send_template(m: TwilioMessenger, callback: str) -> Any:
    return m.send_whatsapp(
        CUSTOMER,
        template=TEMPLATE,
        body=None,
        last_inbound_at=None,
        now=datetime.now(UTC),
        status_callback=callback,
    )


def test_a_template_send_is_recorded_with_its_content_sid_variables_and_callback(
    sandbox: str, receiver: Receiver
) -> None:
    callback = status_callback_url(receiver.base_url, salon_id="salon_123", outreach_id="out_1")
    result = send_template(messenger(sandbox), callback)

    assert result.outcome.kind is OutcomeKind.SENT
    assert result.content_mode is ContentMode.TEMPLATE
    assert result.sid is not None and result.sid.startswith("SM") and len(result.sid) == 34
    assert result.status == "queued"
    [message] = recorded(sandbox)
    assert message["sid"] == result.sid
    assert message["to"] == f"whatsapp:{CUSTOMER}" and message["from"] == "whatsapp:+14155238886"
    assert message["content_sid"] == TEMPLATE.content_sid
    assert message["content_variables"] == {"1": "Priya", "2": "2:00 PM", "3": "Rahul"}
    assert message["status_callback"] == callback
    assert message["body"] == ""  # no free text went out


def test_a_scripted_opt_out_is_suppressed_and_nothing_is_sent(sandbox: str, receiver: Receiver) -> None:
    control(sandbox, "failures", {"to": CUSTOMER, "error_code": 21610, "status": 400})
    result = send_template(messenger(sandbox), receiver.base_url + "/webhooks/twilio/status")

    assert result.outcome.kind is OutcomeKind.SUPPRESSED
    assert result.outcome.reason == "opted_out"
    assert (result.error_code, result.http_status, result.sid) == (21610, 400, None)
    assert not result.counts_for_breaker
    assert recorded(sandbox) == []


def test_a_scripted_server_error_is_an_unknown_outcome_that_counts_for_the_breaker(sandbox: str) -> None:
    control(sandbox, "failures", {"status": 500})
    result = send_template(messenger(sandbox), "http://127.0.0.1:9/unused")

    assert result.outcome.kind is OutcomeKind.UNKNOWN_RECONCILE
    assert result.counts_for_breaker
    assert result.http_status == 500


def test_throttling_is_retried_later_and_does_not_count_for_the_breaker(sandbox: str) -> None:
    control(sandbox, "failures", {"status": 429})
    result = send_template(messenger(sandbox), "http://127.0.0.1:9/unused")
    assert result.outcome.kind is OutcomeKind.RETRY_LATER
    assert not result.counts_for_breaker


def test_wrong_credentials_fail_permanently_without_tripping_the_breaker(sandbox: str) -> None:
    result = send_template(messenger(sandbox, auth_token="not-the-token"), "http://127.0.0.1:9/unused")
    assert result.outcome.kind is OutcomeKind.FAILED
    assert (result.error_code, result.http_status) == (20003, 401)
    assert not result.counts_for_breaker


def test_a_timed_out_send_that_twilio_accepted_is_found_again_by_reconciling(sandbox: str) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    control(sandbox, "failures", {"status": 500, "record": True, "delay_ms": 600})
    m = messenger(sandbox, timeout_s=0.2)
    result = send_template(m, "http://127.0.0.1:9/unused")

    assert result.outcome.kind is OutcomeKind.UNKNOWN_RECONCILE
    assert result.counts_for_breaker and result.sid is None
    # The sandbox finishes the request it was answering slowly: wait for it to be recorded (bounded).
    deadline = time.monotonic() + 60
    found = messenger(sandbox).find_messages_to(f"whatsapp:{CUSTOMER}", since=started)
    while not found and time.monotonic() < deadline:
        time.sleep(0.05)
        found = messenger(sandbox).find_messages_to(f"whatsapp:{CUSTOMER}", since=started)
    assert len(found) == 1  # it went out: the caller adopts this SID instead of resending
    assert messenger(sandbox).fetch_message(found[0].sid) is not None


def test_fetching_an_unknown_sid_reports_no_message(sandbox: str) -> None:
    assert messenger(sandbox).fetch_message("SM" + "0" * 32) is None


def test_status_callbacks_arrive_signed_in_the_scripted_order_with_duplicates(
    sandbox: str, receiver: Receiver
) -> None:
    steps = ["delivered", "sent", "sent", "read", "delivered"]
    control(sandbox, "status-sequence", {"steps": steps, "count": 1})
    callback = status_callback_url(receiver.base_url, salon_id="salon_123", outreach_id="out_2")
    result = send_template(messenger(sandbox), callback)

    posts = receiver.wait_for("/webhooks/twilio/status", len(steps))
    assert [parse_status_callback(post["form"]).status for post in posts] == steps
    for post in posts:
        assert post["url"] == callback
        assert validate_signature(AUTH_TOKEN, callback, post["form"], post["signature"])
        assert not validate_signature(
            "some-other-token-some-other-tok", callback, post["form"], post["signature"]
        )
        assert parse_status_callback(post["form"]).message_sid == result.sid
    snapshot = messenger(sandbox).fetch_message(str(result.sid))
    assert snapshot is not None and snapshot.status == "read"  # the resource never moves backwards


def test_free_text_outside_the_window_fails_with_63016_and_a_reply_opens_the_window(
    sandbox: str, receiver: Receiver
) -> None:
    m = messenger(sandbox)
    callback = receiver.base_url + "/webhooks/twilio/status"
    # Our adapter believes the window is open (stale data); WhatsApp knows better.
    stale = m.send_whatsapp(
        CUSTOMER,
        template=None,
        body="Still coming?",
        last_inbound_at=datetime.now(UTC),
        now=datetime.now(UTC),
        status_callback=callback,
    )
    assert stale.outcome.kind is OutcomeKind.SENT and stale.content_mode is ContentMode.FREEFORM
    [failed] = receiver.wait_for("/webhooks/twilio/status", 1)
    status = parse_status_callback(failed["form"])
    assert (status.status, status.error_code) == ("failed", 63016)
    assert outcome_for_error_code(status.error_code).kind is OutcomeKind.RETRY_AS_TEMPLATE

    reply = control(sandbox, "reply", {"from": CUSTOMER, "body": "Yes"})
    assert reply["response_status"] == 200
    m.send_whatsapp(
        CUSTOMER,
        template=None,
        body="Great, see you!",
        last_inbound_at=datetime.now(UTC),
        now=datetime.now(UTC),
        status_callback=callback,
    )
    posts = receiver.wait_for("/webhooks/twilio/status", 4)
    assert [parse_status_callback(p["form"]).status for p in posts[1:]] == ["sent", "delivered", "read"]


def test_a_simulated_quick_reply_reaches_the_incoming_webhook_signed(
    sandbox: str, receiver: Receiver
) -> None:
    sent = send_template(messenger(sandbox), "http://127.0.0.1:9/unused")
    control(
        sandbox,
        "reply",
        {"from": CUSTOMER, "body": "Yes, book it", "button_payload": "gap_accept", "in_reply_to": sent.sid},
    )
    [post] = receiver.wait_for("/webhooks/twilio/incoming", 1)
    expected_url = receiver.base_url + "/webhooks/twilio/incoming"
    assert validate_signature(AUTH_TOKEN, expected_url, post["form"], post["signature"])
    message = parse_incoming_message(post["form"])
    assert (message.channel, message.from_phone, message.reply_text) == ("whatsapp", CUSTOMER, "gap_accept")
    assert message.replied_to_sid == sent.sid


def test_an_indian_sms_with_its_dlt_registration_goes_through_the_messaging_service(sandbox: str) -> None:
    dlt = DltTemplate(entity_id="1201160000000000001", template_id="1207160000000000002", header="SALONF")
    result = messenger(sandbox).send_sms(
        CUSTOMER,
        "Dear Priya, your appointment at Glow Salon is at 2:00 PM. -SALONF",
        dlt=dlt,
        status_callback="http://127.0.0.1:9/unused",
    )
    assert result.outcome.kind is OutcomeKind.SENT and result.status == "accepted"
    [message] = recorded(sandbox)
    assert message["to"] == CUSTOMER and message["messaging_service_sid"] == "MG" + "ab" * 16


def test_a_voice_call_fetches_twiml_and_posts_the_pressed_digit_signed(
    sandbox: str, receiver: Receiver
) -> None:
    result = messenger(sandbox).start_call(
        CUSTOMER,
        twiml_url=receiver.base_url + "/voice/connect",
        status_callback=receiver.base_url + "/voice/status",
    )
    assert result.outcome.kind is OutcomeKind.SENT and result.sid is not None and result.sid.startswith("CA")
    receiver.wait_for("/voice/status", 2)  # initiated, ringing

    answered = control(sandbox, f"calls/{result.sid}/answer", {"digits": "1"})
    assert answered["gather"]["response_status"] == 200
    [gather] = receiver.wait_for("/webhooks/twilio/voice", 1)
    assert validate_signature(AUTH_TOKEN, gather["url"], gather["form"], gather["signature"])
    voice = parse_voice_request(gather["form"])
    assert (voice.call_sid, voice.digits) == (result.sid, "1")
    [call] = recorded(sandbox, "calls")
    assert call["url"] == receiver.base_url + "/voice/connect"


def test_scripted_failures_hit_only_their_number_and_only_as_often_as_scripted(sandbox: str) -> None:
    other = "+919812345678"
    control(sandbox, "failures", {"to": CUSTOMER, "status": 503, "count": 2})
    m = messenger(sandbox)
    outcomes = [send_template(m, "http://127.0.0.1:9/unused").outcome.kind for _ in range(3)]
    bystander = m.send_whatsapp(
        other,
        template=TEMPLATE,
        body=None,
        last_inbound_at=None,
        now=datetime.now(UTC),
        status_callback="http://127.0.0.1:9/unused",
    )
    assert outcomes == [OutcomeKind.UNKNOWN_RECONCILE, OutcomeKind.UNKNOWN_RECONCILE, OutcomeKind.SENT]
    assert bystander.outcome.kind is OutcomeKind.SENT


def test_the_sandbox_validates_numbers_like_twilio(sandbox: str) -> None:
    result = messenger(sandbox).send_whatsapp(
        "+91 98765 43210",
        template=TEMPLATE,
        body=None,
        last_inbound_at=None,
        now=datetime.now(UTC),
        status_callback="http://127.0.0.1:9/unused",
    )
    assert (result.error_code, result.outcome.kind, result.outcome.reason) == (
        21211,
        OutcomeKind.SUPPRESSED,
        "invalid_number",
    )
    assert recorded(sandbox) == []


def test_status_callbacks_count_as_the_sandboxs_pending_work_until_they_are_answered(sandbox: str) -> None:
    def pending() -> int:
        with urllib.request.urlopen(f"{sandbox}{ACTIVITY_PATH}", timeout=10) as response:
            return int(json.load(response)["pending"])

    with recording_endpoint(held=True) as callback:
        send_template(messenger(sandbox), callback.url)
        assert pending() == 1  # counted before the create answered
        callback.wait_for(1)
        callback.release()
        callback.wait_for(len(DEFAULT_SEQUENCES["whatsapp"]))
        deadline = time.monotonic() + 60
        while pending() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert pending() == 0
