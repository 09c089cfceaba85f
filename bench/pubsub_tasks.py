"""Benchmark the local Pub/Sub and Cloud Tasks emulators through the real Google clients.

Prints: start-up time and idle RSS of each server, publish throughput, end-to-end
latency of streaming pull and of push delivery, and Cloud Tasks create-to-dispatch
latency. Run with ``.venv/bin/python bench/pubsub_tasks.py``.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable

from google.cloud import pubsub_v1, tasks_v2  # type: ignore[attr-defined]
from localcloud.tasks.client import emulator_client
from localcloud.tasks.recorder import recording_endpoint
from localcloud.testing import RunningServer, run_server

PROJECT = "demo-salonflow"
LOCATION = f"projects/{PROJECT}/locations/asia-south1"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def timed_start(service: str, body: Callable[[RunningServer], None]) -> None:
    started = time.monotonic()
    with run_server(service, ["--project", PROJECT]) as server:
        print(
            f"{service}: ready in {time.monotonic() - started:.2f}s, idle RSS {rss_mb(server.process.pid):.0f} MB"
        )
        body(server)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def bench_pubsub(server: RunningServer) -> None:
    os.environ["PUBSUB_EMULATOR_HOST"] = server.address
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/bench-events").name
    pull_sub = subscriber.create_subscription(
        name=f"projects/{PROJECT}/subscriptions/bench-pull", topic=topic
    ).name

    count = 2000
    started = time.monotonic()
    futures = [publisher.publish(topic, b"x" * 200, salon_id="s1") for _ in range(count)]
    for future in futures:
        future.result()
    print(f"pubsub: published {count} messages at {count / (time.monotonic() - started):.0f}/s")

    received = threading.Event()
    seen = [0]

    def drain(message: pubsub_v1.subscriber.message.Message) -> None:
        message.ack()
        seen[0] += 1
        if seen[0] >= count:
            received.set()

    started = time.monotonic()
    future = subscriber.subscribe(pull_sub, drain)
    received.wait(60)
    print(
        f"pubsub: streaming pull drained {seen[0]} messages at {seen[0] / (time.monotonic() - started):.0f}/s"
    )
    future.cancel()
    future.result(timeout=10)

    latencies: list[float] = []
    arrived = threading.Event()
    sent_at = [0.0]

    def one(message: pubsub_v1.subscriber.message.Message) -> None:
        message.ack()
        latencies.append(time.monotonic() - sent_at[0])
        arrived.set()

    future = subscriber.subscribe(pull_sub, one)
    for _ in range(100):
        arrived.clear()
        sent_at[0] = time.monotonic()
        publisher.publish(topic, b"ping").result()
        arrived.wait(5)
    future.cancel()
    future.result(timeout=10)
    print(f"pubsub: publish -> streaming-pull callback latency {percentiles(latencies)}")

    with recording_endpoint() as endpoint:
        push_topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/bench-push").name
        subscriber.create_subscription(
            request={
                "name": f"projects/{PROJECT}/subscriptions/bench-push",
                "topic": push_topic,
                "push_config": {"push_endpoint": endpoint.url},
            }
        )
        push_latencies = []
        for index in range(100):
            sent = time.monotonic()
            publisher.publish(push_topic, b"ping").result()
            push_latencies.append(endpoint.wait_for(index + 1)[index].at - sent)
    print(f"pubsub: publish -> push POST latency {percentiles(push_latencies)}")
    subscriber.close()


def bench_tasks(server: RunningServer) -> None:
    client = emulator_client(server.address)
    queue = client.create_queue(parent=LOCATION, queue=tasks_v2.Queue(name=f"{LOCATION}/queues/bench")).name
    with recording_endpoint() as endpoint:
        latencies = []
        for index in range(100):
            sent = time.monotonic()
            client.create_task(
                parent=queue,
                task=tasks_v2.Task(http_request=tasks_v2.HttpRequest(url=endpoint.url, body=b"{}")),
            )
            latencies.append(endpoint.wait_for(index + 1)[index].at - sent)
        print(f"tasks: create_task -> HTTP dispatch latency {percentiles(latencies)}")

        count = 500
        started = time.monotonic()
        for _ in range(count):
            client.create_task(
                parent=queue,
                task=tasks_v2.Task(http_request=tasks_v2.HttpRequest(url=endpoint.url, body=b"{}")),
            )
        endpoint.wait_for(100 + count, timeout_s=60)
        elapsed = time.monotonic() - started
        print(f"tasks: created and dispatched {count} tasks at {count / elapsed:.0f}/s")


def main() -> None:
    timed_start("pubsub", bench_pubsub)
    timed_start("tasks", bench_tasks)


if __name__ == "__main__":
    main()
