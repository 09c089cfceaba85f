"""Push notifications to the owner's PWA/phone through Firebase Cloud Messaging.

Urgent approvals go out with high priority on every platform (Android ``priority=high``,
APNs ``apns-priority: 10``, Web Push ``Urgency: high``) so the phone wakes up; other
notifications use normal priority and may be batched by the OS. ``firebase_admin.messaging``
is imported on first use.

FCM has no emulator, so only message construction and error mapping are tested offline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from salonflow.ports import PushNotification, PushOutcomeKind, PushResult

if TYPE_CHECKING:
    from firebase_admin import App
    from firebase_admin.messaging import Message

URGENT_TTL_S = 15 * 60  # an approval request expires after 15 minutes; later delivery is useless
DEFAULT_TTL_S = 24 * 60 * 60


def build_message(
    notification: PushNotification, *, device_id: str | None = None, topic: str | None = None
) -> Message:
    """The FCM message for one device or one topic (exactly one of them).

    ``device_id`` is the app instance's Firebase installation ID (``fid``), which
    firebase-admin 7 uses in place of the deprecated registration ``token``.
    """
    if (device_id is None) == (topic is None):
        raise ValueError("pass exactly one of device_id or topic")
    from firebase_admin import messaging

    ttl = URGENT_TTL_S if notification.urgent else DEFAULT_TTL_S
    data = {str(key): str(value) for key, value in notification.data.items()}
    return messaging.Message(
        fid=device_id,
        topic=topic,
        notification=messaging.Notification(title=notification.title, body=notification.body),
        data=data or None,
        android=messaging.AndroidConfig(priority="high" if notification.urgent else "normal", ttl=ttl),
        apns=messaging.APNSConfig(
            headers={"apns-priority": "10" if notification.urgent else "5"},
            payload=messaging.APNSPayload(
                aps=messaging.Aps(sound="default" if notification.urgent else None)
            ),
        ),
        webpush=messaging.WebpushConfig(
            headers={"Urgency": "high" if notification.urgent else "normal", "TTL": str(ttl)},
            fcm_options=messaging.WebpushFCMOptions(link=notification.link) if notification.link else None,
        ),
    )


def result_for_exception(exc: Exception) -> PushResult | None:
    """What a failed send means for the caller; None when it is not an FCM error."""
    from firebase_admin import exceptions, messaging

    if isinstance(exc, messaging.UnregisteredError | messaging.SenderIdMismatchError):
        return PushResult(PushOutcomeKind.INVALID_TOKEN, error=str(exc))
    if isinstance(
        exc,
        messaging.QuotaExceededError
        | exceptions.UnavailableError
        | exceptions.InternalError
        | exceptions.DeadlineExceededError
        | exceptions.UnknownError,
    ):
        return PushResult(PushOutcomeKind.RETRY_LATER, error=str(exc))
    if isinstance(exc, exceptions.FirebaseError):
        return PushResult(PushOutcomeKind.FAILED, error=f"{exc.code}: {exc}")
    return None


class FcmPushNotifier:
    """Implements :class:`salonflow.ports.PushNotifier` with ``firebase_admin.messaging``."""

    def __init__(self, app: App | None = None, sender: Callable[[Message], str] | None = None) -> None:
        self._app = app
        self._sender = sender

    def _send(self, message: Message) -> str:
        if self._sender is not None:
            return self._sender(message)
        from firebase_admin import messaging

        return str(messaging.send(message, app=self._app))

    def _deliver(self, message: Message) -> PushResult:
        try:
            message_id = self._send(message)
        except Exception as exc:
            result = result_for_exception(exc)
            if result is None:
                raise
            return result
        return PushResult(PushOutcomeKind.SENT, message_id=message_id)

    def send_to_device(self, device_id: str, notification: PushNotification) -> PushResult:
        return self._deliver(build_message(notification, device_id=device_id))

    def send_to_topic(self, topic: str, notification: PushNotification) -> PushResult:
        return self._deliver(build_message(notification, topic=topic))
