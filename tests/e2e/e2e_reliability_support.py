"""Helpers for the reliability e2e tests: waiting until the local cloud is idle, calling the internal
task endpoint as Cloud Tasks does, reading Firestore counters, and a stack that survives a restart."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from e2e_support import SALON_ID, Stack
from google.cloud import firestore
from localcloud.quiet import wait_until_idle
from localcloud.stack import SANDBOX_WHATSAPP_FROM
from localcloud.tasks.client import emulator_client
from localcloud.tasks.oidc import unsigned_id_token
from salonflow_demo.cloud import salon_cloud
from salonflow_demo.seed import SalonDataset, build_salon, write_salon

EXECUTE_PATH = "/internal/tasks/execute"


def http_json(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
              raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload or b"null")
        except ValueError:
            return error.code, payload.decode(errors="replace")


def settle(stack: Stack, timeout_s: float = 90.0) -> None:
    """Wait until what the test set off is done (as ``make demo``'s ``Day.settle``)."""
    wait_until_idle(stack.cloud, timeout_s)


def execute_url(stack: Stack) -> str:
    return stack.cloud.function_url("internal") + EXECUTE_PATH


def task_token(stack: Stack, audience: str, email: str | None = None) -> str:
    """The OIDC token the Cloud Tasks emulator attaches (unsigned, local mode), by default for our tasks
    service account."""
    return unsigned_id_token(audience=audience, email=email or stack.cloud.env["TASKS_SERVICE_ACCOUNT"],
                             now=datetime.now(UTC))


def deliver_task(stack: Stack, payload: dict[str, Any], task_name: str, *, authorized: bool = True,
                 retry_count: int = 0, email: str | None = None) -> tuple[int, Any]:
    """POST a task to the internal endpoint with the headers Cloud Tasks sends."""
    url = execute_url(stack)
    headers = {"X-CloudTasks-TaskName": task_name, "X-CloudTasks-QueueName": "autonomous-agents",
               "X-CloudTasks-TaskRetryCount": str(retry_count)}
    if authorized:
        headers["Authorization"] = f"Bearer {task_token(stack, url, email)}"
    return http_json("POST", url, payload, headers)


def firestore_stats(stack: Stack) -> dict[str, int]:
    project = stack.cloud.env["GOOGLE_CLOUD_PROJECT"]
    return dict(http_json("GET", f"{stack.cloud.url('firestore')}/emulator/v1/projects/{project}"
                                 f"/databases/(default):stats")[1])


def docs(stack: Stack, collection: str, **equals: Any) -> list[dict[str, Any]]:
    query: Any = stack.client.collection("salons", SALON_ID, collection)
    for field, value in equals.items():
        query = query.where(filter=firestore.FieldFilter(field, "==", value))
    return [snap.to_dict() or {} for snap in query.stream()]


def idempotency_records(stack: Stack, key_part: str) -> list[dict[str, Any]]:
    return [r for r in docs(stack, "idempotency_keys") if key_part in str(r.get("key", ""))]


def sent_offers(stack: Stack, **equals: Any) -> list[dict[str, Any]]:
    return [o for o in docs(stack, "outreach", **equals) if (o.get("delivery") or {}).get("message_id")]


def cancel_booking(stack: Stack, booking_id: str, now: datetime, late: bool) -> None:
    stack.client.document(f"salons/{SALON_ID}/bookings/{booking_id}").update(
        {"status": "cancelled", "cancelled_at": now, "late_cancellation": late, "updated_at": now})


@contextlib.contextmanager
def persistent_stack(data_dir: Path, clock_file: Path, dataset: SalonDataset, *,
                     seed: bool) -> Iterator[Stack]:
    """The local cloud on a data directory: seeded only on the first start, reopened as it was after that."""
    def write(client: firestore.Client) -> None:
        if seed:
            write_salon(client, dataset)
            client.document(f"salons/{SALON_ID}").update({"autonomy.gap_fill": "full_auto", "holdout_share": 0.0})

    with salon_cloud(data_dir=data_dir, extra_env={"SALONFLOW_CLOCK_FILE": str(clock_file)}, seed=write) as cloud:
        client = firestore.Client(project=cloud.env["GOOGLE_CLOUD_PROJECT"])
        yield Stack(cloud, clock_file, client, dataset, events_subscription="")


def restart_dataset(day: date, clock_file: Path) -> SalonDataset:
    dataset = build_salon(11, salon_id=SALON_ID, day=day, staff=2, customers=60, history_days=60,
                          whatsapp_sender=SANDBOX_WHATSAPP_FROM.removeprefix("whatsapp:"))
    clock_file.write_text((dataset.as_of + timedelta(hours=9)).isoformat())
    return dataset


def queue_path(stack: Stack, queue: str) -> str:
    return f"projects/{stack.cloud.env['GOOGLE_CLOUD_PROJECT']}/locations/asia-south1/queues/{queue}"


def queued_tasks(stack: Stack, queue: str = "autonomous-agents") -> list[tuple[Any, dict[str, Any]]]:
    """(task, JSON payload) of every task waiting in ``queue``, with its body."""
    tasks = emulator_client(stack.cloud.env["CLOUD_TASKS_EMULATOR_HOST"])
    listed = tasks.list_tasks(request={"parent": queue_path(stack, queue), "response_view": "FULL"})
    return [(task, json.loads(task.http_request.body or b"{}")) for task in listed]


def run_task_now(stack: Stack, name: str) -> None:
    """Cloud Tasks' RunTask: dispatch a scheduled task now, as it would be dispatched at its time."""
    emulator_client(stack.cloud.env["CLOUD_TASKS_EMULATOR_HOST"]).run_task(name=name)
