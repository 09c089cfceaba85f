"""Helpers shared by the Cloud Tasks emulator integration tests."""

from __future__ import annotations

import uuid
from typing import Any

from google.cloud import tasks_v2
from google.protobuf import duration_pb2

LOCATION = "projects/demo-salonflow/locations/asia-south1"


def seconds(value: float) -> duration_pb2.Duration:
    whole = int(value)
    return duration_pb2.Duration(seconds=whole, nanos=round((value - whole) * 1e9))


def make_queue(
    client: tasks_v2.CloudTasksClient,
    *,
    rate: float = 500,
    concurrent: int = 1000,
    max_attempts: int = 5,
    min_backoff: float = 0.1,
    max_backoff: float = 1.0,
    max_doublings: int = 16,
) -> str:
    name = f"{LOCATION}/queues/q-{uuid.uuid4().hex[:10]}"
    client.create_queue(
        parent=LOCATION,
        queue={
            "name": name,
            "rate_limits": {"max_dispatches_per_second": rate, "max_concurrent_dispatches": concurrent},
            "retry_config": {
                "max_attempts": max_attempts,
                "min_backoff": seconds(min_backoff),
                "max_backoff": seconds(max_backoff),
                "max_doublings": max_doublings,
            },
        },
    )
    return name


def http_task(url: str, *, name: str | None = None, body: bytes = b"{}", **extra: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "http_request": {
            "url": url,
            "http_method": tasks_v2.HttpMethod.POST,
            "headers": {"Content-Type": "application/json"},
            "body": body,
        },
        **extra,
    }
    if name:
        task["name"] = name
    return task
