"""The Pub/Sub emulator through the unchanged google-cloud-pubsub client: topics, pull, ack, nack."""

from __future__ import annotations

import time

import pytest
from google.api_core import exceptions
from google.cloud import pubsub_v1
from google.protobuf import duration_pb2
from ps_support import PROJECT, make_subscription, make_topic, pull_now, unique

pytestmark = pytest.mark.integration


def test_a_published_message_arrives_with_its_attributes_and_is_gone_once_acked(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    subscription = make_subscription(subscriber, topic)

    message_id = publisher.publish(
        topic, b'{"booking": "b1"}', salon_id="s1", event_type="BOOKING_CANCELLED"
    ).result()
    received = pull_now(subscriber, subscription)

    assert len(received) == 1
    message = received[0].message
    assert message.message_id == message_id
    assert message.data == b'{"booking": "b1"}'
    assert dict(message.attributes) == {"salon_id": "s1", "event_type": "BOOKING_CANCELLED"}
    assert abs(message.publish_time.timestamp() - time.time()) < 5
    assert received[0].delivery_attempt == 0  # only reported when a dead-letter policy exists
    subscriber.acknowledge(subscription=subscription, ack_ids=[received[0].ack_id])
    assert pull_now(subscriber, subscription) == []


def test_every_subscription_of_a_topic_gets_its_own_copy(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    first, second = make_subscription(subscriber, topic), make_subscription(subscriber, topic)
    publisher.publish(topic, b"x").result()

    assert len(pull_now(subscriber, first)) == 1
    assert len(pull_now(subscriber, second)) == 1
    listed = publisher.list_topic_subscriptions(topic=topic)
    assert sorted(listed) == sorted([first, second])


def test_missing_and_duplicate_resources_fail_with_googles_codes_and_messages(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    with pytest.raises(
        exceptions.AlreadyExists, match=r"Resource already exists in the project \(resource=t-"
    ):
        publisher.create_topic(name=topic)
    with pytest.raises(exceptions.NotFound, match=r"Resource not found \(resource=nope-topic\)"):
        publisher.get_topic(topic=f"projects/{PROJECT}/topics/nope-topic")
    with pytest.raises(exceptions.NotFound, match=r"Resource not found \(resource=nope-topic\)"):
        publisher.publish(f"projects/{PROJECT}/topics/nope-topic", b"x").result(timeout=10)
    with pytest.raises(exceptions.NotFound, match=r"Resource not found \(resource=nope-topic\)"):
        subscriber.create_subscription(
            name=unique("subscriptions"), topic=f"projects/{PROJECT}/topics/nope-topic"
        )
    with pytest.raises(exceptions.InvalidArgument):
        subscriber.create_subscription(
            request={"name": unique("subscriptions"), "topic": topic, "ack_deadline_seconds": 5}
        )
    with pytest.raises(exceptions.InvalidArgument, match=r"Invalid resource name given \(name=projects/"):
        publisher.create_topic(name=f"projects/{PROJECT}/topics/ab")  # ids need 3+ characters
    with pytest.raises(exceptions.InvalidArgument, match="Exactly-once"):
        subscriber.create_subscription(
            request={"name": unique("subscriptions"), "topic": topic, "enable_exactly_once_delivery": True}
        )


def test_a_subscription_reports_googles_defaults(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    name = make_subscription(subscriber, topic)
    stored = subscriber.get_subscription(subscription=name)

    assert stored.ack_deadline_seconds == 10
    assert stored.message_retention_duration.total_seconds() == 7 * 24 * 3600
    assert stored.state == pubsub_v1.types.Subscription.State.ACTIVE
    assert name in [s.name for s in subscriber.list_subscriptions(project=f"projects/{PROJECT}")]


def test_a_deleted_topic_leaves_its_subscriptions_detached(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    name = make_subscription(subscriber, topic)
    publisher.delete_topic(topic=topic)

    assert subscriber.get_subscription(subscription=name).topic == "_deleted-topic_"
    subscriber.delete_subscription(subscription=name)
    with pytest.raises(exceptions.NotFound):
        subscriber.get_subscription(subscription=name)


def test_a_nacked_message_comes_back_at_once_with_a_higher_delivery_attempt(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    dead_letters = make_topic(publisher)
    subscription = make_subscription(
        subscriber, topic, dead_letter_policy={"dead_letter_topic": dead_letters, "max_delivery_attempts": 5}
    )
    publisher.publish(topic, b"retry me").result()

    first = pull_now(subscriber, subscription)
    subscriber.modify_ack_deadline(
        subscription=subscription, ack_ids=[first[0].ack_id], ack_deadline_seconds=0
    )
    second = pull_now(subscriber, subscription)

    assert [m.message.message_id for m in second] == [first[0].message.message_id]
    assert (first[0].delivery_attempt, second[0].delivery_attempt) == (1, 2)
    assert second[0].ack_id != first[0].ack_id


def test_an_unacked_message_is_redelivered_once_its_ack_deadline_passes(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    subscription = make_subscription(subscriber, topic)
    publisher.publish(topic, b"slow consumer").result()
    first = pull_now(subscriber, subscription)
    # Subscriptions need >= 10 s, but ModifyAckDeadline accepts any 0..600 s: shorten this lease.
    subscriber.modify_ack_deadline(
        subscription=subscription, ack_ids=[first[0].ack_id], ack_deadline_seconds=2
    )

    assert pull_now(subscriber, subscription) == []  # still leased
    again = subscriber.pull(request={"subscription": subscription, "max_messages": 5}, timeout=10)

    assert [m.message.data for m in again.received_messages] == [b"slow consumer"]
    # The expired ack id no longer acknowledges anything; the new one does.
    subscriber.acknowledge(subscription=subscription, ack_ids=[first[0].ack_id])
    subscriber.acknowledge(subscription=subscription, ack_ids=[again.received_messages[0].ack_id])
    assert pull_now(subscriber, subscription) == []


def test_after_max_delivery_attempts_a_message_moves_to_the_dead_letter_topic(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    dead_letters = make_topic(publisher)
    dead_letter_subscription = make_subscription(subscriber, dead_letters)
    subscription = make_subscription(
        subscriber, topic, dead_letter_policy={"dead_letter_topic": dead_letters, "max_delivery_attempts": 5}
    )
    publisher.publish(topic, b"poison", salon_id="s9").result()

    attempts = []
    for _ in range(5):
        received = pull_now(subscriber, subscription)
        attempts.append(received[0].delivery_attempt)
        subscriber.modify_ack_deadline(
            subscription=subscription, ack_ids=[received[0].ack_id], ack_deadline_seconds=0
        )

    assert attempts == [1, 2, 3, 4, 5]
    assert pull_now(subscriber, subscription) == []
    forwarded = pull_now(subscriber, dead_letter_subscription)
    assert [m.message.data for m in forwarded] == [b"poison"]
    attributes = dict(forwarded[0].message.attributes)
    assert attributes["salon_id"] == "s9"
    assert attributes["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
    assert attributes["CloudPubSubDeadLetterSourceSubscription"] == subscription.rsplit("/", 1)[-1]


def test_a_retry_policy_delays_redelivery_after_a_nack(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    subscription = make_subscription(
        subscriber,
        topic,
        retry_policy={
            "minimum_backoff": duration_pb2.Duration(seconds=2),
            "maximum_backoff": duration_pb2.Duration(seconds=5),
        },
    )
    publisher.publish(topic, b"later").result()
    first = pull_now(subscriber, subscription)
    nacked_at = time.monotonic()
    subscriber.modify_ack_deadline(
        subscription=subscription, ack_ids=[first[0].ack_id], ack_deadline_seconds=0
    )

    assert pull_now(subscriber, subscription) == []
    again = subscriber.pull(request={"subscription": subscription, "max_messages": 1}, timeout=10)
    assert [m.message.data for m in again.received_messages] == [b"later"]
    assert time.monotonic() - nacked_at >= 1.9


def test_one_ordering_key_is_delivered_in_order_and_redelivered_in_order_after_a_nack(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    subscription = make_subscription(subscriber, topic, enable_message_ordering=True)
    for index in range(6):
        publisher.publish(topic, f"k{index}".encode(), ordering_key="salon-1")
    publisher.publish(topic, b"other", ordering_key="salon-2").result()
    publisher.publish(topic, b"k-last", ordering_key="salon-1").result()

    first = pull_now(subscriber, subscription, max_messages=2)
    assert [m.message.data for m in first] == [b"k0", b"k1"]
    # While salon-1's batch is leased, only the other key may flow.
    assert [m.message.data for m in pull_now(subscriber, subscription)] == [b"other"]

    subscriber.modify_ack_deadline(
        subscription=subscription, ack_ids=[first[0].ack_id], ack_deadline_seconds=0
    )
    redelivered = pull_now(subscriber, subscription, max_messages=100)

    expected = [b"k0", b"k1", b"k2", b"k3", b"k4", b"k5", b"k-last"]
    assert [m.message.data for m in redelivered] == expected
    assert all(m.message.ordering_key == "salon-1" for m in redelivered)


def test_a_filtered_subscription_only_receives_matching_messages(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    gaps_only = make_subscription(subscriber, topic, filter='attributes.event_type = "GAP_DETECTED"')
    publisher.publish(topic, b"cancelled", event_type="BOOKING_CANCELLED").result()
    publisher.publish(topic, b"gap", event_type="GAP_DETECTED").result()

    assert [m.message.data for m in pull_now(subscriber, gaps_only)] == [b"gap"]
    assert (
        subscriber.get_subscription(subscription=gaps_only).filter == 'attributes.event_type = "GAP_DETECTED"'
    )
    with pytest.raises(exceptions.InvalidArgument):
        make_subscription(subscriber, topic, filter="attributes.event_type = GAP")
