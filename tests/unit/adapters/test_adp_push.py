"""FCM messages for the owner's devices: urgent approvals wake the phone; dead tokens are reported."""

from __future__ import annotations

from typing import Any

import pytest
from firebase_admin import exceptions, messaging
from salonflow.adapters.push import FcmPushNotifier, build_message, result_for_exception
from salonflow.ports import PushNotification, PushOutcomeKind

URGENT = PushNotification(
    title="Approve 25% off for Priya?",
    body="Gap at 3 PM with Rahul, ₹1,200 at stake. Expires in 15 min.",
    data={"approval_id": "apr_4Fz", "salon_id": "salon_123"},
    urgent=True,
    link="https://owner.salonflow.app/approvals/apr_4Fz",
)


def encoded(message: messaging.Message) -> dict[str, Any]:
    # The JSON body the SDK would POST to FCM v1.
    result: dict[str, Any] = messaging._MessagingService.encode_message(message)
    return result


def test_an_urgent_approval_is_high_priority_on_every_platform() -> None:
    body = encoded(build_message(URGENT, device_id="device-fid-1"))
    assert body["fid"] == "device-fid-1"
    assert body["notification"] == {"title": URGENT.title, "body": URGENT.body}
    assert body["data"] == {"approval_id": "apr_4Fz", "salon_id": "salon_123"}
    assert body["android"]["priority"] == "high"
    assert body["android"]["ttl"] == "900s"
    assert body["apns"]["headers"]["apns-priority"] == "10"
    assert body["webpush"]["headers"]["Urgency"] == "high"
    assert body["webpush"]["fcm_options"]["link"] == URGENT.link


def test_a_routine_notification_to_a_topic_is_normal_priority() -> None:
    routine = PushNotification(title="Daily summary", body="3 gaps filled, ₹4,500 recovered")
    body = encoded(build_message(routine, topic="salon_123-owners"))
    assert body["topic"] == "salon_123-owners" and "fid" not in body
    assert body["android"]["priority"] == "normal"
    assert body["apns"]["headers"]["apns-priority"] == "5"
    assert "data" not in body


def test_exactly_one_target_is_required() -> None:
    with pytest.raises(ValueError):
        build_message(URGENT)
    with pytest.raises(ValueError):
        build_message(URGENT, device_id="t", topic="x")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (messaging.UnregisteredError("token gone"), PushOutcomeKind.INVALID_TOKEN),
        (messaging.SenderIdMismatchError("other project"), PushOutcomeKind.INVALID_TOKEN),
        (messaging.QuotaExceededError("slow down"), PushOutcomeKind.RETRY_LATER),
        (exceptions.UnavailableError("fcm down"), PushOutcomeKind.RETRY_LATER),
        (exceptions.InternalError("oops"), PushOutcomeKind.RETRY_LATER),
        (exceptions.InvalidArgumentError("bad message"), PushOutcomeKind.FAILED),
    ],
)
def test_fcm_errors_map_to_what_the_caller_does_next(error: Exception, kind: PushOutcomeKind) -> None:
    result = result_for_exception(error)
    assert result is not None and result.kind is kind


def test_the_notifier_reports_the_message_id_or_the_mapped_failure() -> None:
    sent: list[messaging.Message] = []

    def accept(message: messaging.Message) -> str:
        sent.append(message)
        return "projects/demo-salonflow/messages/0:1"

    ok = FcmPushNotifier(sender=accept).send_to_device("device-fid-1", URGENT)
    assert (ok.kind, ok.message_id) == (PushOutcomeKind.SENT, "projects/demo-salonflow/messages/0:1")
    assert sent[0].fid == "device-fid-1"

    def unregistered(message: messaging.Message) -> str:
        raise messaging.UnregisteredError("Requested entity was not found.")

    gone = FcmPushNotifier(sender=unregistered).send_to_topic("salon_123-owners", URGENT)
    assert gone.kind is PushOutcomeKind.INVALID_TOKEN


def test_a_programming_error_is_not_swallowed() -> None:
    def broken(message: messaging.Message) -> str:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        FcmPushNotifier(sender=broken).send_to_device("t", URGENT)
