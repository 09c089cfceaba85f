"""The Cloud Tasks adapter with the real google-cloud-tasks client against the local Cloud Tasks emulator."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from localcloud.testing import run_server
from salonflow.adapters.cloud_tasks import QUEUE_CONFIGS, CloudTasksConfig, CloudTasksQueue, task_id_for
from salonflow.ports import EnqueueStatus

pytestmark = pytest.mark.integration

PROJECT = "demo-salonflow"
SERVICE_ACCOUNT = "salon-flow-api@demo-salonflow.iam.gserviceaccount.com"


class TaskEndpoint:
    """Our internal endpoint's stand-in: records each dispatched task and answers 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with endpoint.lock:
                    endpoint.received.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                            "at": time.monotonic(),
                        }
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def wait_for(self, count: int, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} dispatches, got {len(self.received)}")


@pytest.fixture(scope="module")
def tasks_host() -> Iterator[str]:
    with run_server("tasks", ["--project", PROJECT]) as server:
        yield server.address


@pytest.fixture
def endpoint() -> Iterator[TaskEndpoint]:
    receiver = TaskEndpoint()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def adapter(tasks_host: str, endpoint: TaskEndpoint, location: str) -> CloudTasksQueue:
    # A location per test keeps queues apart inside the one emulator process.
    return CloudTasksQueue(
        CloudTasksConfig(
            project_id=PROJECT,
            location=location,
            target_base_url=endpoint.base_url + "/internal",
            service_account_email=SERVICE_ACCOUNT,
            emulator_host=tasks_host,
        )
    )


def test_ensure_queues_creates_the_specs_queues_and_then_updates_them(
    tasks_host: str, endpoint: TaskEndpoint
) -> None:
    queue = adapter(tasks_host, endpoint, "asia-south1")
    assert queue.ensure_queues() == {name: "created" for name in QUEUE_CONFIGS}
    assert queue.ensure_queues() == {name: "updated" for name in QUEUE_CONFIGS}
    stored = queue.client.get_queue(name=queue.queue_path("notifications"))
    assert stored.rate_limits.max_concurrent_dispatches == 20
    assert stored.rate_limits.max_dispatches_per_second == 10
    assert stored.retry_config.max_attempts == 3


def test_a_duplicate_enqueue_is_a_no_op_and_the_task_runs_once_with_an_oidc_token(
    tasks_host: str, endpoint: TaskEndpoint
) -> None:
    queue = adapter(tasks_host, endpoint, "europe-west1")
    queue.ensure_queues([QUEUE_CONFIGS["autonomous-agents"]])
    key = "gap_fill|salon_123|2026-11-25T09:05"
    payload = {"salon_id": "salon_123", "agent": "gap_fill_agent"}

    first = queue.enqueue("autonomous-agents", "/internal/tasks/execute", payload, dedupe_key=key)
    again = queue.enqueue("autonomous-agents", "/internal/tasks/execute", payload, dedupe_key=key)

    assert first.status is EnqueueStatus.CREATED
    assert again.status is EnqueueStatus.DUPLICATE
    assert first.task_name == again.task_name == queue.task_name("autonomous-agents", key)
    [dispatch] = endpoint.wait_for(1)
    time.sleep(0.3)
    assert len(endpoint.received) == 1
    assert dispatch["path"] == "/internal/internal/tasks/execute"
    assert json.loads(dispatch["body"]) == payload
    assert dispatch["headers"]["x-cloudtasks-taskname"] == task_id_for(key)
    assert dispatch["headers"]["x-cloudtasks-queuename"] == "autonomous-agents"
    token = dispatch["headers"]["authorization"].removeprefix("Bearer ")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["email"] == SERVICE_ACCOUNT


def test_a_scheduled_task_waits_for_its_time(tasks_host: str, endpoint: TaskEndpoint) -> None:
    queue = adapter(tasks_host, endpoint, "us-central1")
    queue.ensure_queues([QUEUE_CONFIGS["cleanup"]])
    enqueued_at = time.monotonic()
    result = queue.enqueue_task_type(
        "expired_outreach",
        {"salon_id": "salon_123"},
        dedupe_key="salon_123|2026-11-25T10:00",
        schedule_time=datetime.now(UTC) + timedelta(seconds=0.8),
    )
    assert result.status is EnqueueStatus.CREATED
    [dispatch] = endpoint.wait_for(1)
    assert dispatch["at"] - enqueued_at >= 0.6
    assert dispatch["path"] == "/internal/internal/tasks/cleanup"
    assert json.loads(dispatch["body"]) == {"salon_id": "salon_123", "task_type": "expired_outreach"}
