"""Streaming pull through ``SubscriberClient.subscribe``, as our workers consume events."""

from __future__ import annotations

import threading
import time

import pytest
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.subscriber.message import Message
from ps_support import make_subscription, make_topic, pull_now

pytestmark = pytest.mark.integration


def test_subscribe_delivers_every_message_to_the_callback_exactly_once_when_acked(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    subscription = make_subscription(subscriber, topic)
    seen: list[bytes] = []
    lock = threading.Lock()
    all_in = threading.Event()

    def callback(message: Message) -> None:
        with lock:
            seen.append(message.data)
            if len(seen) >= 40:
                all_in.set()
        message.ack()

    future = subscriber.subscribe(subscription, callback)
    try:
        for index in range(40):
            publisher.publish(topic, f"event-{index}".encode(), salon_id="s1")
        assert all_in.wait(10)
        time.sleep(0.3)  # anything redelivered would show up as a duplicate
    finally:
        future.cancel()
        future.result(timeout=10)

    assert sorted(seen) == sorted(f"event-{i}".encode() for i in range(40))
    assert pull_now(subscriber, subscription) == []


def test_subscribe_honours_flow_control_and_keeps_one_key_in_order(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    subscription = make_subscription(subscriber, topic, enable_message_ordering=True)
    order: list[bytes] = []
    done = threading.Event()

    def callback(message: Message) -> None:
        order.append(message.data)
        message.ack()
        if len(order) == 30:
            done.set()

    future = subscriber.subscribe(
        subscription, callback, flow_control=pubsub_v1.types.FlowControl(max_messages=3)
    )
    try:
        for index in range(30):
            publisher.publish(topic, f"{index:02d}".encode(), ordering_key="salon-7")
        assert done.wait(10)
    finally:
        future.cancel()
        future.result(timeout=10)

    assert order == [f"{i:02d}".encode() for i in range(30)]


def test_a_message_nacked_in_the_callback_is_delivered_again(
    publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = make_topic(publisher)
    dead_letters = make_topic(publisher)
    subscription = make_subscription(
        subscriber, topic, dead_letter_policy={"dead_letter_topic": dead_letters, "max_delivery_attempts": 5}
    )
    attempts: list[int | None] = []
    acked = threading.Event()

    def callback(message: Message) -> None:
        attempts.append(message.delivery_attempt)
        if len(attempts) < 3:
            message.nack()
        else:
            message.ack()
            acked.set()

    future = subscriber.subscribe(subscription, callback)
    try:
        publisher.publish(topic, b"flaky").result()
        assert acked.wait(10)
    finally:
        future.cancel()
        future.result(timeout=10)

    assert attempts == [1, 2, 3]
