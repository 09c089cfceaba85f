"""Cloud Tasks resource names and the errors Google answers with about them."""

from __future__ import annotations

import re

from localcloud.pubsub.rpc import RpcError, already_exists, failed_precondition, invalid_argument, not_found

_PARENT = re.compile(r"^projects/(?P<project>[a-z0-9:.\-]+)/locations/(?P<location>[a-z0-9\-]+)$")
_QUEUE = re.compile(r"^(?P<parent>projects/[^/]+/locations/[^/]+)/queues/(?P<id>[A-Za-z0-9\-]{1,100})$")
_TASK = re.compile(
    r"^(?P<queue>projects/[^/]+/locations/[^/]+/queues/[^/]+)/tasks/(?P<id>[A-Za-z0-9_\-]{1,500})$"
)


def short_id(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def validate_parent(parent: str) -> str:
    if not _PARENT.match(parent or ""):
        raise invalid_argument(f"Invalid resource field value in the request: parent '{parent}'.")
    return parent


def validate_queue(name: str) -> str:
    match = _QUEUE.match(name or "")
    if not match or not _PARENT.match(match.group("parent")):
        raise invalid_argument(f"Invalid resource field value in the request: queue name '{name}'.")
    return name


def queue_of_task(task_name: str) -> str:
    match = _TASK.match(task_name or "")
    if not match:
        raise invalid_argument(f"Invalid resource field value in the request: task name '{task_name}'.")
    return match.group("queue")


def parent_of_queue(queue_name: str) -> str:
    return queue_name.rsplit("/queues/", 1)[0]


def entity_not_found() -> RpcError:
    return not_found("Requested entity was not found.")


def entity_exists() -> RpcError:
    return already_exists("Requested entity already exists")


def queue_missing_for_task() -> RpcError:
    return failed_precondition("Queue does not exist.")


def queue_recently_deleted() -> RpcError:
    return failed_precondition("The queue no longer exists, though a queue with this name existed recently.")


def queue_name_reserved() -> RpcError:
    return failed_precondition(
        "The queue cannot be created because a queue with this name existed too recently."
    )


def task_recently_existed() -> RpcError:
    return not_found(
        "The task no longer exists, though a task with this name existed recently. "
        "The task either successfully completed or was deleted."
    )


def task_name_reserved() -> RpcError:
    return already_exists("The task cannot be created because a task with this name existed too recently.")
