"""What the Pub/Sub emulator reports it has in hand: the waits of the e2e tests and the demo rest on it."""

from __future__ import annotations

import time

import pytest
from google.cloud import pubsub_v1
from localcloud.activity import grpc_pending
from localcloud.tasks.recorder import recording_endpoint
from localcloud.testing import RunningServer
from ps_support import make_subscription, make_topic

pytestmark = pytest.mark.integration


def wait_for_pending(host: str, expected: int, timeout_s: float = 60.0) -> int:
    deadline = time.monotonic() + timeout_s
    while (pending := grpc_pending(host)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return pending


def test_a_pushed_message_is_pending_until_its_endpoint_answers_and_pull_backlogs_never_count(
    pubsub_emulator: RunningServer, publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    make_subscription(subscriber, topic)  # a pull subscription: its backlog waits for a reader, not for us
    with recording_endpoint(held=True) as endpoint:
        make_subscription(subscriber, topic, push_config={"push_endpoint": endpoint.url})
        publisher.publish(topic, b"one").result()
        endpoint.wait_for(1)
        assert grpc_pending(pubsub_emulator.address) == 1  # sent, and the endpoint has not answered

        endpoint.release()
        assert wait_for_pending(pubsub_emulator.address, 0) == 0
