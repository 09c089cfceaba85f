"""Behaviour that Google's own Pub/Sub client system tests and samples rely on (checked against our emulator)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import pubsub_v1
from ps_support import PROJECT, make_subscription, make_topic, pull_now

pytestmark = pytest.mark.integration


def test_a_publish_request_of_several_megabytes_is_accepted_and_delivered(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    # Two 3 MB messages go out in one PublishRequest (~6 MB): above gRPC's default 4 MiB, below Pub/Sub's 10 MiB.
    topic = make_topic(publisher)
    subscription = make_subscription(subscriber, topic)
    big = b"x" * (3 * 1000 * 1000)
    settings = pubsub_v1.types.BatchSettings(max_bytes=9 * 1000 * 1000, max_latency=0.5, max_messages=10)
    client = pubsub_v1.PublisherClient(batch_settings=settings)
    futures = [client.publish(topic, big, n=str(n)) for n in range(2)]

    assert all(isinstance(f.result(timeout=10), str) for f in futures)
    # One message per pull: the emulator-mode client channel keeps gRPC's 4 MiB receive limit.
    received = [pull_now(subscriber, subscription, max_messages=1)[0] for _ in range(2)]
    assert sorted(m.message.attributes["n"] for m in received) == ["0", "1"]  # type: ignore[attr-defined]
    assert all(len(m.message.data) == len(big) for m in received)  # type: ignore[attr-defined]


def test_a_detached_subscription_keeps_existing_but_loses_its_messages_and_refuses_pulls(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    subscription = make_subscription(subscriber, topic)
    sibling = make_subscription(subscriber, topic)
    publisher.publish(topic, b"before").result(timeout=10)

    publisher.detach_subscription(request={"subscription": subscription})
    publisher.publish(topic, b"after").result(timeout=10)

    assert subscriber.get_subscription(subscription=subscription).detached
    with pytest.raises(exceptions.FailedPrecondition):
        subscriber.pull(
            request={"subscription": subscription, "max_messages": 10, "return_immediately": True}
        )
    # The other subscription of the topic is untouched.
    assert sorted(m.message.data for m in pull_now(subscriber, sibling)) == [b"after", b"before"]  # type: ignore[attr-defined]


def test_detaching_an_unknown_subscription_answers_not_found(publisher: pubsub_v1.PublisherClient) -> None:
    with pytest.raises(exceptions.NotFound):
        publisher.detach_subscription(request={"subscription": f"projects/{PROJECT}/subscriptions/nope-404"})
