"""The HTTP request Cloud Tasks makes for one attempt of an HTTP task (pure), and sending it."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud.tasks_v2.types import target

from localcloud.tasks import names, oidc

LOG = logging.getLogger("localcloud.tasks.http")

# Headers Cloud Tasks sets itself or strips from a task's own headers.
_RESERVED = {"host", "content-length", "user-agent", "x-cloudtasks-queuename", "x-cloudtasks-taskname"}
_RESERVED_PREFIXES = ("x-google-", "x-appengine-", "x-cloudtasks-")


@dataclass(frozen=True)
class Attempt:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


@dataclass(frozen=True)
class Outcome:
    status: int  # 0 when no HTTP response arrived (timeout, refused)

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300


def build_attempt(
    task: Any,
    *,
    queue_name: str,
    retry_count: int,
    execution_count: int,
    previous_status: int | None,
    eta_s: float,
    now: datetime,
) -> Attempt:
    request = task.http_request
    method = target.HttpMethod(request.http_method or target.HttpMethod.POST).name
    headers = {
        key: value
        for key, value in request.headers.items()
        if key.lower() not in _RESERVED and not key.lower().startswith(_RESERVED_PREFIXES)
    }
    body = bytes(request.body) if request.body else None
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/octet-stream"
    headers["User-Agent"] = "Google-Cloud-Tasks"
    headers["X-CloudTasks-QueueName"] = names.short_id(queue_name)
    headers["X-CloudTasks-TaskName"] = names.short_id(task.name)
    headers["X-CloudTasks-TaskRetryCount"] = str(retry_count)
    headers["X-CloudTasks-TaskExecutionCount"] = str(execution_count)
    headers["X-CloudTasks-TaskETA"] = f"{eta_s:.6f}"
    if previous_status is not None:
        headers["X-CloudTasks-TaskPreviousResponse"] = str(previous_status)
    if request.HasField("oidc_token") and request.oidc_token.service_account_email:
        token = request.oidc_token
        headers["Authorization"] = "Bearer " + oidc.unsigned_id_token(
            audience=token.audience or request.url, email=token.service_account_email, now=now
        )
    elif request.HasField("oauth_token") and request.oauth_token.service_account_email:
        headers["Authorization"] = "Bearer " + oidc.opaque_access_token(
            request.oauth_token.service_account_email
        )
    return Attempt(method, request.url, headers, body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Cloud Tasks treats a 3xx as a failed attempt rather than following it.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def send(attempt: Attempt, timeout_s: float) -> Outcome:
    request = urllib.request.Request(
        attempt.url, data=attempt.body, headers=attempt.headers, method=attempt.method
    )
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            response.read()
            return Outcome(int(response.status))
    except urllib.error.HTTPError as error:
        return Outcome(int(error.code))
    except (TimeoutError, OSError, ValueError) as error:
        LOG.info("task dispatch to %s failed: %s", attempt.url, error)
        return Outcome(0)
