"""Cloud Tasks adapter: HTTP tasks to our internal endpoints, deduplicated by task name.

* Task names are a hash of a caller-chosen dedupe key (e.g. ``"gap_fill|salon_123|2026-11-25T09:05"``),
  so enqueueing the same work twice is a no-op: Cloud Tasks answers ALREADY_EXISTS, which
  we report as ``EnqueueStatus.DUPLICATE``. Hashing also spreads names over the keyspace,
  which Cloud Tasks needs for throughput with named tasks. A name stays reserved for a while
  after the task ran (about an hour, longer in some cases), so keys must name the work,
  not the attempt.
* Every task carries an OIDC token for the configured service account; the internal
  endpoints accept only that.
* ``CLOUD_TASKS_EMULATOR_HOST=host:port`` points the real client at the local emulator
  over an insecure gRPC channel.
* google-cloud-tasks and grpc are imported on first use (cold starts).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from salonflow.ports import EnqueueResult, EnqueueStatus

if TYPE_CHECKING:
    from google.cloud.tasks_v2 import CloudTasksClient, Queue


@dataclass(frozen=True)
class QueueConfig:
    name: str
    max_concurrent_dispatches: int
    max_dispatches_per_second: float
    max_attempts: int
    min_backoff: timedelta
    max_backoff: timedelta


# The spec's queue table. Where it gives no retry config (analytics, cleanup, the
# notifications backoff) we use autonomous-agents' values, as terraform/main.tf does.
QUEUE_CONFIGS: dict[str, QueueConfig] = {
    config.name: config
    for config in (
        QueueConfig("autonomous-agents", 10, 5, 3, timedelta(seconds=10), timedelta(seconds=300)),
        QueueConfig("notifications", 20, 10, 3, timedelta(seconds=10), timedelta(seconds=300)),
        QueueConfig("analytics", 5, 2, 3, timedelta(seconds=10), timedelta(seconds=300)),
        QueueConfig("cleanup", 3, 1, 3, timedelta(seconds=10), timedelta(seconds=300)),
    )
}


@dataclass(frozen=True)
class TaskRoute:
    queue: str
    path: str


# The spec's task-type table: which queue carries a task type and which endpoint handles it.
TASK_ROUTES: dict[str, TaskRoute] = {
    "gap_fill": TaskRoute("autonomous-agents", "/internal/tasks/execute"),
    "no_show_prevention": TaskRoute("autonomous-agents", "/internal/tasks/execute"),
    "waitlist_promotion": TaskRoute("autonomous-agents", "/internal/tasks/execute"),
    "retention_check": TaskRoute("autonomous-agents", "/internal/tasks/execute"),
    "send_whatsapp": TaskRoute("notifications", "/internal/tasks/send-notification"),
    "aggregate_daily": TaskRoute("analytics", "/internal/tasks/analytics"),
    "expired_approvals": TaskRoute("cleanup", "/internal/tasks/cleanup"),
    "expired_outreach": TaskRoute("cleanup", "/internal/tasks/cleanup"),
}


def task_id_for(dedupe_key: str) -> str:
    if not dedupe_key:
        raise ValueError("a dedupe key is required: it is what makes a duplicate enqueue a no-op")
    return "t-" + hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CloudTasksConfig:
    project_id: str
    location: str
    target_base_url: str  # where the internal endpoints live, e.g. the `internal` function's URL
    service_account_email: str
    oidc_audience: str | None = None  # None: Cloud Tasks uses the target URL as audience
    emulator_host: str | None = None
    timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CloudTasksConfig:
        source = os.environ if env is None else env
        return cls(
            project_id=source.get("GCP_PROJECT_ID")
            or source.get("GOOGLE_CLOUD_PROJECT")
            or source["GCLOUD_PROJECT"],
            location=source.get("GCP_REGION", "asia-south1"),
            target_base_url=source["INTERNAL_TASKS_BASE_URL"],
            service_account_email=source["TASKS_SERVICE_ACCOUNT"],
            oidc_audience=source.get("TASKS_OIDC_AUDIENCE") or None,
            emulator_host=source.get("CLOUD_TASKS_EMULATOR_HOST") or None,
        )


def build_client(emulator_host: str | None) -> CloudTasksClient:
    from google.cloud import tasks_v2

    if emulator_host:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


class CloudTasksQueue:
    """Implements :class:`salonflow.ports.TaskQueue` on google-cloud-tasks."""

    def __init__(self, config: CloudTasksConfig, client: CloudTasksClient | None = None) -> None:
        self._config = config
        self._client = client

    @property
    def client(self) -> CloudTasksClient:
        if self._client is None:
            self._client = build_client(self._config.emulator_host)
        return self._client

    def queue_path(self, queue: str) -> str:
        return f"projects/{self._config.project_id}/locations/{self._config.location}/queues/{queue}"

    def task_name(self, queue: str, dedupe_key: str) -> str:
        return f"{self.queue_path(queue)}/tasks/{task_id_for(dedupe_key)}"

    def build_task(
        self,
        queue: str,
        path: str,
        payload: Mapping[str, Any],
        *,
        dedupe_key: str,
        schedule_time: datetime | None = None,
        dispatch_deadline: timedelta | None = None,
    ) -> dict[str, Any]:
        """The task as the API receives it (a dict the client turns into ``tasks_v2.Task``)."""
        if schedule_time is not None and schedule_time.tzinfo is None:
            raise ValueError("schedule_time must be timezone-aware")
        oidc: dict[str, str] = {"service_account_email": self._config.service_account_email}
        if self._config.oidc_audience:
            oidc["audience"] = self._config.oidc_audience
        task: dict[str, Any] = {
            "name": self.task_name(queue, dedupe_key),
            "http_request": {
                "http_method": "POST",
                "url": self._config.target_base_url.rstrip("/") + "/" + path.lstrip("/"),
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8"),
                "oidc_token": oidc,
            },
        }
        if schedule_time is not None:
            task["schedule_time"] = schedule_time
        if dispatch_deadline is not None:
            task["dispatch_deadline"] = dispatch_deadline
        return task

    def enqueue(
        self,
        queue: str,
        path: str,
        payload: Mapping[str, Any],
        *,
        dedupe_key: str,
        schedule_time: datetime | None = None,
        dispatch_deadline: timedelta | None = None,
    ) -> EnqueueResult:
        from google.api_core import exceptions
        from google.cloud import tasks_v2

        task = self.build_task(
            queue,
            path,
            payload,
            dedupe_key=dedupe_key,
            schedule_time=schedule_time,
            dispatch_deadline=dispatch_deadline,
        )
        try:
            created = self.client.create_task(
                parent=self.queue_path(queue), task=tasks_v2.Task(task), timeout=self._config.timeout_s
            )
        except exceptions.AlreadyExists:
            return EnqueueResult(EnqueueStatus.DUPLICATE, task["name"])
        return EnqueueResult(EnqueueStatus.CREATED, created.name)

    def enqueue_task_type(
        self,
        task_type: str,
        payload: Mapping[str, Any],
        *,
        dedupe_key: str,
        schedule_time: datetime | None = None,
    ) -> EnqueueResult:
        """Enqueue one of the spec's task types on its queue, to its handler."""
        route = TASK_ROUTES[task_type]
        return self.enqueue(
            route.queue,
            route.path,
            {"task_type": task_type, **payload},
            dedupe_key=f"{task_type}|{dedupe_key}",
            schedule_time=schedule_time,
        )

    # ------------------------------------------------------------------ queues

    def queue_message(self, config: QueueConfig) -> Queue:
        from google.cloud import tasks_v2

        return tasks_v2.Queue(
            name=self.queue_path(config.name),
            rate_limits=tasks_v2.RateLimits(
                max_dispatches_per_second=config.max_dispatches_per_second,
                max_concurrent_dispatches=config.max_concurrent_dispatches,
            ),
            retry_config=tasks_v2.RetryConfig(
                max_attempts=config.max_attempts,
                min_backoff=config.min_backoff,
                max_backoff=config.max_backoff,
            ),
        )

    def ensure_queues(self, configs: Iterable[QueueConfig] = QUEUE_CONFIGS.values()) -> dict[str, str]:
        """Create each queue, or bring an existing one to its configured limits. Returns name -> action."""
        from google.api_core import exceptions
        from google.protobuf import field_mask_pb2

        parent = f"projects/{self._config.project_id}/locations/{self._config.location}"
        actions: dict[str, str] = {}
        for config in configs:
            queue = self.queue_message(config)
            try:
                self.client.create_queue(parent=parent, queue=queue, timeout=self._config.timeout_s)
                actions[config.name] = "created"
            except exceptions.AlreadyExists:
                mask = field_mask_pb2.FieldMask(paths=["rate_limits", "retry_config"])
                self.client.update_queue(queue=queue, update_mask=mask, timeout=self._config.timeout_s)
                actions[config.name] = "updated"
        return actions
