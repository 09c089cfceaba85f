"""Events published with the real google-cloud-pubsub client arrive through the local Pub/Sub emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from google.cloud import pubsub_v1
from localcloud.testing import run_server
from salonflow.adapters.pubsub_events import EventType, PubSubEventPublisher, SalonEvent

pytestmark = pytest.mark.integration

PROJECT = "demo-salonflow"


@pytest.fixture(scope="module")
def pubsub_host() -> Iterator[str]:
    with run_server("pubsub", ["--project", PROJECT]) as server:
        yield server.address


@pytest.fixture
def subscription(
    pubsub_host: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[pubsub_v1.SubscriberClient, str]]:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_host)
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(PROJECT, "salon-events")
    try:
        publisher.create_topic(name=topic)
    except Exception as exc:  # AlreadyExists from an earlier test in this module
        if type(exc).__name__ != "AlreadyExists":
            raise
    name = subscriber.subscription_path(
        PROJECT, f"events-{datetime.now(UTC).timestamp():.6f}".replace(".", "-")
    )
    subscriber.create_subscription(name=name, topic=topic)
    yield subscriber, name
    subscriber.delete_subscription(subscription=name)
    subscriber.close()


def pull_all(
    subscriber: pubsub_v1.SubscriberClient, name: str, expected: int
) -> list[pubsub_v1.types.ReceivedMessage]:
    received: list[pubsub_v1.types.ReceivedMessage] = []
    for _ in range(20):
        response = subscriber.pull(subscription=name, max_messages=10, timeout=5)
        received.extend(response.received_messages)
        if response.received_messages:
            subscriber.acknowledge(subscription=name, ack_ids=[m.ack_id for m in response.received_messages])
        if len(received) >= expected:
            break
    return received


def test_a_published_event_arrives_with_its_attributes_and_documented_payload(
    subscription: tuple[pubsub_v1.SubscriberClient, str],
) -> None:
    subscriber, name = subscription
    event = SalonEvent.create(
        EventType.APPROVAL_REQUESTED,
        salon_id="salon_123",
        resource_id="apr_4Fz",
        occurred_at=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
        related={"decision_id": "dec_7"},
        data={"decision_type": "discount_offer", "priority": "high"},
    )
    result = PubSubEventPublisher(PROJECT).publish(event)

    [message] = pull_all(subscriber, name, 1)
    assert message.message.message_id == result.message_id
    assert dict(message.message.attributes) == {"salon_id": "salon_123", "event_type": "APPROVAL_REQUESTED"}
    assert SalonEvent.from_message(message.message.data, message.message.attributes) == event


def test_a_republished_change_is_recognisable_by_its_event_id(
    subscription: tuple[pubsub_v1.SubscriberClient, str],
) -> None:
    subscriber, name = subscription

    def gap_filled() -> SalonEvent:
        return SalonEvent.create(
            EventType.GAP_FILLED, salon_id="salon_123", resource_id="gap_1", occurred_at=datetime.now(UTC)
        )

    publisher = PubSubEventPublisher(PROJECT)
    results = publisher.publish_many([gap_filled(), gap_filled()])

    received = pull_all(subscriber, name, 2)
    assert len({m.message.message_id for m in received}) == 2  # Pub/Sub delivers both copies...
    event_ids = {SalonEvent.from_message(m.message.data, m.message.attributes).event_id for m in received}
    assert event_ids == {results[0].event_id}  # ...and the consumer sees they are one change
