"""What leaves the emulators on the wire: push bodies, CloudEvents, task headers, OIDC tokens."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from google.cloud.tasks_v2.types import task as task_types
from google.pubsub_v1.types import pubsub as ps
from localcloud.pubsub.push import build_request
from localcloud.tasks.http import build_attempt
from localcloud.tasks.oidc import decode_unverified, unsigned_id_token

NOW = datetime(2026, 11, 25, 4, 30, tzinfo=UTC)
TOPIC = "projects/demo-salonflow/topics/salon-events"


def push_subscription(**push: object) -> object:
    sub = ps.Subscription.pb()(name="projects/demo-salonflow/subscriptions/to-functions", topic=TOPIC)
    sub.push_config.push_endpoint = "http://127.0.0.1:5001/fn"
    for key, value in push.items():
        if key == "attributes":
            sub.push_config.attributes.update(value)  # type: ignore[arg-type]
    return sub


def received(attempt: int = 0) -> object:
    message = ps.PubsubMessage.pb()(data=b"hi", message_id="42", ordering_key="salon-1")
    message.attributes["salon_id"] = "s1"
    message.publish_time.FromDatetime(NOW)
    return ps.ReceivedMessage.pb()(ack_id="a", message=message, delivery_attempt=attempt)


def test_the_push_body_is_googles_wrapper_with_both_id_spellings() -> None:
    request = build_request(push_subscription(), received(attempt=3), topic=TOPIC, now=NOW)
    body = json.loads(request.body)

    assert body == {
        "message": {
            "data": base64.b64encode(b"hi").decode(),
            "attributes": {"salon_id": "s1"},
            "messageId": "42",
            "message_id": "42",
            "publishTime": "2026-11-25T04:30:00Z",
            "publish_time": "2026-11-25T04:30:00Z",
            "orderingKey": "salon-1",
        },
        "subscription": "projects/demo-salonflow/subscriptions/to-functions",
        "deliveryAttempt": 3,
    }


def test_a_binary_cloudevent_carries_the_eventarc_attributes_in_ce_headers() -> None:
    subscription = push_subscription(attributes={"x-localcloud-format": "cloudevent-binary"})
    request = build_request(subscription, received(attempt=2), topic=TOPIC, now=NOW)

    assert request.headers["ce-type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert request.headers["ce-source"] == f"//pubsub.googleapis.com/{TOPIC}"
    assert request.headers["ce-id"] == "42"
    assert request.headers["ce-specversion"] == "1.0"
    assert "deliveryAttempt" not in json.loads(request.body)


def test_a_structured_cloudevent_wraps_the_push_body_as_data() -> None:
    subscription = push_subscription(attributes={"x-localcloud-format": "cloudevent-structured"})
    request = build_request(subscription, received(), topic=TOPIC, now=NOW)
    event = json.loads(request.body)

    assert request.headers["Content-Type"] == "application/cloudevents+json"
    assert event["data"]["message"]["messageId"] == "42"
    assert event["time"] == "2026-11-25T04:30:00Z"


def test_task_headers_and_a_local_oidc_token_for_an_http_task() -> None:
    task = task_types.Task.pb()(name="projects/p/locations/l/queues/cleanup/tasks/expire-1")
    task.http_request.url = "http://127.0.0.1:5001/internal/tasks/cleanup"
    task.http_request.body = b"{}"
    task.http_request.headers["Host"] = "evil.example"
    task.http_request.oidc_token.service_account_email = "sa@p.iam.gserviceaccount.com"

    attempt = build_attempt(
        task,
        queue_name="projects/p/locations/l/queues/cleanup",
        retry_count=2,
        execution_count=1,
        previous_status=500,
        eta_s=1_790_000_000.25,
        now=NOW,
    )

    assert attempt.method == "POST"
    assert "Host" not in attempt.headers
    assert attempt.headers["Content-Type"] == "application/octet-stream"
    assert attempt.headers["X-CloudTasks-QueueName"] == "cleanup"
    assert attempt.headers["X-CloudTasks-TaskName"] == "expire-1"
    assert attempt.headers["X-CloudTasks-TaskRetryCount"] == "2"
    assert attempt.headers["X-CloudTasks-TaskExecutionCount"] == "1"
    assert attempt.headers["X-CloudTasks-TaskPreviousResponse"] == "500"
    assert attempt.headers["X-CloudTasks-TaskETA"] == "1790000000.250000"
    claims = decode_unverified(attempt.headers["Authorization"].removeprefix("Bearer "))
    assert claims["aud"] == "http://127.0.0.1:5001/internal/tasks/cleanup"


def test_the_local_id_token_is_unsigned_and_carries_googles_claims() -> None:
    token = unsigned_id_token(audience="https://x.example", email="sa@p.iam.gserviceaccount.com", now=NOW)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    claims = decode_unverified(token)

    assert header == {"alg": "none", "typ": "JWT"}
    assert token.endswith(".")
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["email_verified"] is True
    assert claims["exp"] == claims["iat"] + 3600 == int(NOW.timestamp()) + 3600
