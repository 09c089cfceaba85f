"""The internal task endpoints Cloud Tasks calls: authenticate, deduplicate by task, dispatch.

Cloud Tasks may run a task twice; the task name (``X-CloudTasks-TaskName``) keys an idempotency
record in the task's salon, so a second delivery returns the first result without running again.
Handlers raise to ask Cloud Tasks for a retry (non-2xx); a malformed payload is a 400.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from salonflow.adapters.firestore.governance_idempotency import IdempotencyStore
from salonflow.entrypoints.task_auth import TaskAuthConfig, TaskAuthError, verify_task_caller
from salonflow.governance.idempotency import IdempotencyInProgress, IdempotencyKeyReused

log = logging.getLogger("salonflow.internal")

TASK_PATHS = ("/internal/tasks/execute", "/internal/tasks/send-notification", "/internal/tasks/analytics",
              "/internal/tasks/cleanup")

TaskHandler = Callable[[Mapping[str, Any], datetime], Mapping[str, Any]]


class BadTask(ValueError):
    """A payload no retry can fix."""


@dataclass(frozen=True)
class TaskResponse:
    status: int
    body: Mapping[str, Any]


@dataclass(frozen=True)
class InternalTasks:
    auth: TaskAuthConfig
    firestore: Callable[[], Any]
    clock: Callable[[], datetime]
    route: Callable[[str, Mapping[str, Any]], TaskHandler]

    def handle(self, path: str, headers: Mapping[str, str], body: bytes, url: str) -> TaskResponse:
        lowered = {key.lower(): value for key, value in headers.items()}
        if path.rstrip("/") not in TASK_PATHS:
            return TaskResponse(404, {"error": f"no task endpoint {path}"})
        try:
            verify_task_caller(lowered.get("authorization"), url, self.auth)
        except TaskAuthError as error:
            return TaskResponse(403, {"error": str(error)})
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict) or not isinstance(payload.get("salon_id"), str):
                raise BadTask("a task payload is a JSON object with a salon_id")
            handler = self.route(path.rstrip("/"), payload)
        except (ValueError, BadTask) as error:
            return TaskResponse(400, {"error": str(error)})
        task_name = lowered.get("x-cloudtasks-taskname")
        if not task_name:
            return TaskResponse(400, {"error": "missing X-CloudTasks-TaskName"})
        store = IdempotencyStore(self.firestore(), payload["salon_id"], self.clock)
        try:
            with store.guard(f"task:{task_name}", payload) as run:
                if run.replayed:
                    return TaskResponse(200, {"replayed": True, "result": run.result})
                result = dict(handler(payload, self.clock()))
                run.complete(result)
                return TaskResponse(200, {"replayed": False, "result": result})
        except IdempotencyInProgress:
            # The other delivery is still running: ask Cloud Tasks to come back later.
            return TaskResponse(409, {"error": "this task is already running"})
        except IdempotencyKeyReused:
            return TaskResponse(400, {"error": "task name reused with a different payload"})
        except BadTask as error:
            return TaskResponse(400, {"error": str(error)})
