"""Push subscriptions: Google's push body, retries with backoff, OIDC, and CloudEvents for functions."""

from __future__ import annotations

import base64
import itertools
import json
import time

import pytest
from cloudevents.http import from_http
from firebase_functions import pubsub_fn
from google.cloud import pubsub_v1
from google.protobuf import duration_pb2
from localcloud.tasks.oidc import decode_unverified
from localcloud.tasks.recorder import recording_endpoint
from ps_support import make_subscription, make_topic

pytestmark = pytest.mark.integration

FAST_RETRY = {
    "minimum_backoff": duration_pb2.Duration(nanos=200_000_000),
    "maximum_backoff": duration_pb2.Duration(seconds=1),
}


def test_a_push_subscription_posts_googles_push_body_and_stops_after_a_2xx(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    with recording_endpoint("/push/events") as endpoint:
        subscription = make_subscription(subscriber, topic, push_config={"push_endpoint": endpoint.url})
        message_id = publisher.publish(topic, b'{"x": 1}', salon_id="s1", event_type="GAP_DETECTED").result()
        delivered = endpoint.wait_for(1)
        time.sleep(0.3)

    assert len(endpoint.requests) == 1
    request = delivered[0]
    assert request.method == "POST" and request.path == "/push/events"
    assert request.header("Content-Type") == "application/json"
    body = json.loads(request.body)
    assert body["subscription"] == subscription
    message = body["message"]
    assert base64.b64decode(message["data"]) == b'{"x": 1}'
    assert message["attributes"] == {"salon_id": "s1", "event_type": "GAP_DETECTED"}
    assert message["messageId"] == message["message_id"] == message_id
    assert message["publishTime"] == message["publish_time"]
    assert message["publishTime"].endswith("Z")
    assert "deliveryAttempt" not in body


def test_a_failing_endpoint_is_retried_with_backoff_until_it_answers_2xx(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    dead_letters = make_topic(publisher)
    with recording_endpoint(statuses=[500, 503, 204]) as endpoint:
        make_subscription(
            subscriber,
            topic,
            push_config={"push_endpoint": endpoint.url},
            retry_policy=FAST_RETRY,
            dead_letter_policy={"dead_letter_topic": dead_letters, "max_delivery_attempts": 5},
        )
        publisher.publish(topic, b"eventually", ordering_key="").result()
        delivered = endpoint.wait_for(3)
        time.sleep(0.5)

    assert len(endpoint.requests) == 3
    assert [json.loads(r.body)["deliveryAttempt"] for r in delivered] == [1, 2, 3]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(delivered)]
    assert gaps[0] >= 0.15  # minimum_backoff 0.2 s
    assert gaps[1] >= 0.3  # doubled


def test_push_sends_an_oidc_token_for_the_configured_service_account(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    with recording_endpoint("/internal/events") as endpoint:
        make_subscription(
            subscriber,
            topic,
            push_config={
                "push_endpoint": endpoint.url,
                "oidc_token": {"service_account_email": "events@demo-salonflow.iam.gserviceaccount.com"},
            },
        )
        publisher.publish(topic, b"secured").result()
        delivered = endpoint.wait_for(1)

    authorization = delivered[0].header("Authorization") or ""
    assert authorization.startswith("Bearer ")
    claims = decode_unverified(authorization.removeprefix("Bearer "))
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["aud"] == endpoint.url
    assert claims["email"] == "events@demo-salonflow.iam.gserviceaccount.com"


@pytest.mark.parametrize("mode", ["cloudevent-binary", "cloudevent-structured"])
def test_a_cloudevent_push_is_what_a_pubsub_triggered_firebase_function_accepts(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient, mode: str
) -> None:
    topic = make_topic(publisher)
    with recording_endpoint("/functions/onSalonEvent") as endpoint:
        subscription = make_subscription(
            subscriber,
            topic,
            push_config={"push_endpoint": endpoint.url, "attributes": {"x-localcloud-format": mode}},
        )
        message_id = publisher.publish(topic, b'{"gap": "g1"}', salon_id="s1", ordering_key="").result()
        delivered = endpoint.wait_for(1)

    raw = from_http(delivered[0].headers, delivered[0].body)
    assert raw["type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert raw["source"] == f"//pubsub.googleapis.com/{topic}"
    assert raw["id"] == message_id
    received = []

    @pubsub_fn.on_message_published(topic=topic.rsplit("/", 1)[-1])
    def on_salon_event(event: object) -> None:
        received.append(event)

    on_salon_event(raw)

    event = received[0]
    assert event.data.message.json == {"gap": "g1"}
    assert event.data.message.attributes == {"salon_id": "s1"}
    assert event.data.message.message_id == message_id
    assert event.data.subscription == subscription


def test_modify_push_config_turns_a_push_subscription_back_into_pull(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    with recording_endpoint(statuses=[500]) as endpoint:
        subscription = make_subscription(
            subscriber, topic, push_config={"push_endpoint": endpoint.url}, retry_policy=FAST_RETRY
        )
        publisher.publish(topic, b"stuck").result()
        endpoint.wait_for(1)
        subscriber.modify_push_config(subscription=subscription, push_config={})
        response = subscriber.pull(request={"subscription": subscription, "max_messages": 1}, timeout=10)

    assert [m.message.data for m in response.received_messages] == [b"stuck"]
    assert not subscriber.get_subscription(subscription=subscription).push_config.push_endpoint


def test_an_ordered_push_subscription_delivers_one_key_in_order_even_through_failures(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    with recording_endpoint(statuses=[500, 200], delay_s=0.02) as endpoint:
        make_subscription(
            subscriber,
            topic,
            push_config={"push_endpoint": endpoint.url},
            enable_message_ordering=True,
            retry_policy=FAST_RETRY,
        )
        for index in range(8):
            publisher.publish(topic, f"{index}".encode(), ordering_key="salon-3")
        publisher.publish(topic, b"end", ordering_key="salon-3").result()
        delivered = endpoint.wait_for(10)

    payloads = [base64.b64decode(json.loads(r.body)["message"]["data"]) for r in delivered]
    # The first push fails and is retried before anything later of the key goes out.
    assert payloads == [b"0", b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"end"]
    assert endpoint.max_in_flight == 1
