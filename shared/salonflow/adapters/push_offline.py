"""Which push notifier to use: FCM in Google Cloud; in the local cloud, one that says FCM is out of reach.

FCM has no offline emulator, so locally a push is reported as failed with the reason rather than
pretended; everything that depends on it (``approvals.notifications_sent.push``) stays honest.
"""

from __future__ import annotations

import os

from salonflow.ports import PushNotification, PushNotifier, PushOutcomeKind, PushResult

OFFLINE_REASON = "FCM is not reachable from the local cloud"


class OfflinePushNotifier:
    def send_to_device(self, device_id: str, notification: PushNotification) -> PushResult:
        return PushResult(PushOutcomeKind.FAILED, error=OFFLINE_REASON)

    def send_to_topic(self, topic: str, notification: PushNotification) -> PushResult:
        return PushResult(PushOutcomeKind.FAILED, error=OFFLINE_REASON)


def push_notifier() -> PushNotifier:
    if os.environ.get("SALONFLOW_LOCAL_CLOUD") == "1":
        return OfflinePushNotifier()
    from salonflow.adapters.push import FcmPushNotifier

    return FcmPushNotifier()
