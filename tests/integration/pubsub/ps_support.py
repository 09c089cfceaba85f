"""Helpers and fixtures shared by the Pub/Sub emulator integration tests."""

from __future__ import annotations

import uuid

from google.cloud import pubsub_v1

PROJECT = "demo-salonflow"


def unique(kind: str) -> str:
    return f"projects/{PROJECT}/{kind}/t-{uuid.uuid4().hex[:10]}"


def make_topic(publisher: pubsub_v1.PublisherClient) -> str:
    return str(publisher.create_topic(name=unique("topics")).name)


def make_subscription(subscriber: pubsub_v1.SubscriberClient, topic: str, **settings: object) -> str:
    name = unique("subscriptions")
    subscriber.create_subscription(request={"name": name, "topic": topic, **settings})
    return name


def pull_now(
    subscriber: pubsub_v1.SubscriberClient, subscription: str, max_messages: int = 10
) -> list[object]:
    response = subscriber.pull(
        request={"subscription": subscription, "max_messages": max_messages, "return_immediately": True}
    )
    return list(response.received_messages)
