"""With ``--data-dir`` the Pub/Sub emulator keeps topics, subscriptions and unacked messages across a crash."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from google.cloud import pubsub_v1
from localcloud.testing import run_server
from ps_support import PROJECT, pull_now

pytestmark = pytest.mark.integration


def clients(address: str) -> tuple[pubsub_v1.PublisherClient, pubsub_v1.SubscriberClient]:
    os.environ["PUBSUB_EMULATOR_HOST"] = address
    return pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()


def test_unacknowledged_messages_survive_a_killed_emulator_and_acked_ones_stay_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "unset")
    topic = f"projects/{PROJECT}/topics/durable-events"
    subscription = f"projects/{PROJECT}/subscriptions/durable-worker"
    data_dir = ["--project", PROJECT, "--data-dir", str(tmp_path / "pubsub")]

    with run_server("pubsub", data_dir) as server:
        publisher, subscriber = clients(server.address)
        publisher.create_topic(name=topic)
        subscriber.create_subscription(
            request={"name": subscription, "topic": topic, "ack_deadline_seconds": 30}
        )
        ids = [publisher.publish(topic, f"m{i}".encode(), salon_id="s1").result() for i in range(3)]
        first = pull_now(subscriber, subscription, max_messages=1)
        subscriber.acknowledge(subscription=subscription, ack_ids=[first[0].ack_id])
        pull_now(subscriber, subscription, max_messages=1)  # leased, never acked
        subscriber.close()
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()

    with run_server("pubsub", data_dir) as server:
        publisher, subscriber = clients(server.address)
        assert subscriber.get_subscription(subscription=subscription).ack_deadline_seconds == 30
        remaining = pull_now(subscriber, subscription)
        assert sorted(m.message.message_id for m in remaining) == sorted(ids[1:])
        assert {m.message.attributes["salon_id"] for m in remaining} == {"s1"}
        later = publisher.publish(topic, b"after restart").result()
        assert later not in ids
        subscriber.close()
