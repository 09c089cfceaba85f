"""Twilio webhooks end to end at the handler: real signatures, the Firestore emulator, real Cloud Tasks
and Pub/Sub clients against our emulators."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import pubsub_v1
from salonflow.adapters.cloud_tasks import CloudTasksConfig, CloudTasksQueue
from salonflow.adapters.pubsub_events import PubSubEventPublisher
from salonflow.adapters.twilio_webhooks import (
    INCOMING_PATH,
    STATUS_PATH,
    VOICE_PATH,
    public_webhook_url,
    sign,
)
from salonflow.domain import Outreach
from salonflow.entrypoints.webhooks import TwilioWebhooks, WebhookConfig

PROJECT = "demo-salonflow"
TOKEN = "webhook-test-auth-token"
BASE = "https://api.salonflow.example/hooks"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
SALON_NUMBER = "+919800000001"


@pytest.fixture
def tasks(tasks_emulator) -> CloudTasksQueue:
    queue = CloudTasksQueue(CloudTasksConfig(
        project_id=PROJECT, location="asia-south1", target_base_url="http://127.0.0.1:9/internal",
        service_account_email="tasks@demo-salonflow.iam.gserviceaccount.com", emulator_host=tasks_emulator.address))
    queue.ensure_queues()
    # Paused, so tasks stay listed instead of being dispatched to an endpoint this test does not run.
    queue.client.pause_queue(name=queue.queue_path("autonomous-agents"))
    queue.client.purge_queue(name=queue.queue_path("autonomous-agents"))
    return queue


@pytest.fixture
def events(pubsub_emulator) -> tuple[PubSubEventPublisher, str]:
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(PROJECT, "salon-events")
    with contextlib.suppress(AlreadyExists):  # created by an earlier test of this session
        publisher.create_topic(name=topic)
    subscription = subscriber.subscription_path(PROJECT, f"webhook-test-{random.randrange(10**9)}")
    subscriber.create_subscription(name=subscription, topic=topic)
    return PubSubEventPublisher(PROJECT), subscription


@pytest.fixture
def hooks(firestore_client, tasks, events) -> TwilioWebhooks:
    return TwilioWebhooks(WebhookConfig(TOKEN, BASE), firestore=lambda: firestore_client, queue=lambda: tasks,
                          events=lambda: events[0], clock=lambda: NOW)


def post(hooks: TwilioWebhooks, path: str, form: dict[str, str], query: str = "", *,
         signed_url: str | None = None, signature: str | None = None) -> Any:
    url = signed_url or public_webhook_url(BASE, path, query)
    headers = {"X-Twilio-Signature": signature if signature is not None else sign(TOKEN, url, form)}
    return hooks.handle(path, query, headers, urlencode(form).encode())


def seed_outreach(client: Any, outreach_id: str = "out_1") -> None:
    outreach = Outreach(
        id=outreach_id, salon_id="salon_a", customer_id="cust_priya", customer_name="Priya Sharma",
        customer_phone="+919876543210", outreach_type="gap_fill", channel="whatsapp", status="pending",
        message="Hi Priya! A 2 PM slot with Rahul opened up today.", created_at=NOW, updated_at=NOW,
        delivery={"message_id": "SM" + "a" * 32},
    )
    client.document(f"salons/salon_a/outreach/{outreach_id}").set(outreach.to_firestore())


def status_form(status: str, error_code: str | None = None) -> dict[str, str]:
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": status, "To": "whatsapp:+919876543210",
            "From": "whatsapp:+14155238886", "AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01"}
    if error_code:
        form["ErrorCode"] = error_code
    return form


ROUTE = urlencode({"outreach_id": "out_1", "salon_id": "salon_a"})


def test_an_unsigned_status_callback_is_refused_and_changes_nothing(hooks, firestore_client) -> None:
    seed_outreach(firestore_client)
    assert post(hooks, STATUS_PATH, status_form("delivered"), ROUTE, signature="").status == 403
    assert firestore_client.document("salons/salon_a/outreach/out_1").get().get("status") == "pending"


def test_a_callback_signed_for_the_functions_own_url_is_refused(hooks, firestore_client) -> None:
    seed_outreach(firestore_client)
    internal_url = "http://127.0.0.1:5001/demo-salonflow/asia-south1/webhooks" + STATUS_PATH + "?" + ROUTE
    assert post(hooks, STATUS_PATH, status_form("delivered"), ROUTE, signed_url=internal_url).status == 403


def test_a_tampered_parameter_breaks_the_signature(hooks, firestore_client) -> None:
    seed_outreach(firestore_client)
    form = status_form("delivered")
    signature = sign(TOKEN, public_webhook_url(BASE, STATUS_PATH, ROUTE), form)
    form["MessageStatus"] = "read"
    assert post(hooks, STATUS_PATH, form, ROUTE, signature=signature).status == 403


def test_shuffled_and_duplicated_callbacks_end_read_and_announce_delivery(hooks, firestore_client, events) -> None:
    seed_outreach(firestore_client)
    sequence = ["sent", "delivered", "read", "queued", "sent", "delivered", "read"]
    random.Random(7).shuffle(sequence)
    for status in sequence:
        assert post(hooks, STATUS_PATH, status_form(status), ROUTE).status == 204
    stored = firestore_client.document("salons/salon_a/outreach/out_1").get().to_dict()
    assert stored["status"] == "read"
    assert stored["delivery"]["sent_at"] is not None and stored["delivery"]["delivered_at"] is not None
    subscriber = pubsub_v1.SubscriberClient()
    pulled = subscriber.pull(subscription=events[1], max_messages=10, timeout=10).received_messages
    assert {m.message.attributes["event_type"] for m in pulled} == {"OUTREACH_DELIVERED"}


def test_an_incoming_reply_is_queued_once_however_often_twilio_posts_it(hooks, firestore_client, tasks) -> None:
    firestore_client.document("salons/salon_a").set({
        "id": "salon_a", "name": "Glow Studio", "whatsapp_sender": SALON_NUMBER,
        "created_at": NOW, "updated_at": NOW})
    form = {"MessageSid": "SM" + "b" * 32, "From": "whatsapp:+919876543210", "To": f"whatsapp:{SALON_NUMBER}",
            "Body": "Haan ji", "NumMedia": "0", "AccountSid": "AC" + "0" * 32, "ProfileName": "Priya"}
    for _ in range(3):
        response = post(hooks, INCOMING_PATH, form)
        assert response.status == 200 and "<Response" in response.body
    listed = list(tasks.client.list_tasks(parent=tasks.queue_path("autonomous-agents")))
    assert len(listed) == 1


def test_the_voice_call_offers_a_keypad_menu_and_queues_the_choice(hooks, tasks) -> None:
    query = urlencode({"decision_id": "dec_1", "salon_id": "salon_a"})
    call = {"CallSid": "CA" + "c" * 32, "CallStatus": "in-progress", "From": "+14155238886", "To": "+919876543210",
            "Direction": "outbound-api", "AccountSid": "AC" + "0" * 32}
    menu = post(hooks, VOICE_PATH, call, query)
    assert menu.status == 200 and "<Gather" in menu.body and 'numDigits="1"' in menu.body
    answered = post(hooks, VOICE_PATH, {**call, "Digits": "3"}, query)
    assert "Thank you" in answered.body
    listed = list(tasks.client.list_tasks(parent=tasks.queue_path("autonomous-agents")))
    assert len(listed) == 1
