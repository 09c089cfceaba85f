"""Cloud Tasks queues and tasks through the unchanged google-cloud-tasks client."""

from __future__ import annotations

import time
import uuid

import pytest
from ct_support import LOCATION, http_task, make_queue, seconds
from google.api_core import exceptions
from google.cloud import tasks_v2
from localcloud.tasks.recorder import recording_endpoint

pytestmark = pytest.mark.integration

SPEC_QUEUES = {
    "autonomous-agents": {
        "rate_limits": {"max_concurrent_dispatches": 10, "max_dispatches_per_second": 5},
        "retry_config": {"max_attempts": 3, "min_backoff": seconds(10), "max_backoff": seconds(300)},
    },
    "notifications": {
        "rate_limits": {"max_concurrent_dispatches": 20, "max_dispatches_per_second": 10},
        "retry_config": {"max_attempts": 3},
    },
    "analytics": {"rate_limits": {"max_concurrent_dispatches": 5, "max_dispatches_per_second": 2}},
    "cleanup": {"rate_limits": {"max_concurrent_dispatches": 3, "max_dispatches_per_second": 1}},
}


def test_the_spec_queues_are_created_and_reported_with_cloud_tasks_defaults(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    created = {
        short: tasks_client.create_queue(
            parent=LOCATION, queue={"name": f"{LOCATION}/queues/{short}-{suffix}", **settings}
        )
        for short, settings in SPEC_QUEUES.items()
    }

    agents = tasks_client.get_queue(name=created["autonomous-agents"].name)
    assert agents.state == tasks_v2.Queue.State.RUNNING
    assert agents.rate_limits.max_dispatches_per_second == 5
    assert agents.rate_limits.max_concurrent_dispatches == 10
    assert agents.rate_limits.max_burst_size >= 1
    assert agents.retry_config.max_attempts == 3
    assert agents.retry_config.min_backoff.total_seconds() == 10
    assert agents.retry_config.max_backoff.total_seconds() == 300
    notifications = created["notifications"]
    assert notifications.retry_config.min_backoff.total_seconds() == pytest.approx(0.1)
    assert notifications.retry_config.max_backoff.total_seconds() == 3600
    assert notifications.retry_config.max_doublings == 16
    assert created["cleanup"].retry_config.max_attempts == 100
    listed = {q.name for q in tasks_client.list_queues(parent=LOCATION)}
    assert {q.name for q in created.values()} <= listed
    with pytest.raises(exceptions.AlreadyExists):
        tasks_client.create_queue(parent=LOCATION, queue={"name": created["cleanup"].name})


def test_a_named_task_is_created_once_and_its_name_stays_reserved_after_it_ran(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    queue = make_queue(tasks_client)
    name = f"{queue}/tasks/gap-fill-salon1-202611251000"
    tasks_client.pause_queue(name=queue)
    with recording_endpoint() as endpoint:
        created = tasks_client.create_task(parent=queue, task=http_task(endpoint.url, name=name))
        with pytest.raises(exceptions.AlreadyExists, match="Requested entity already exists"):
            tasks_client.create_task(parent=queue, task=http_task(endpoint.url, name=name))
        tasks_client.resume_queue(name=queue)
        endpoint.wait_for(1)
        time.sleep(0.2)
        with pytest.raises(exceptions.AlreadyExists, match="existed too recently"):
            tasks_client.create_task(parent=queue, task=http_task(endpoint.url, name=name))
        with pytest.raises(exceptions.NotFound, match="existed recently"):
            tasks_client.get_task(name=name)

    assert created.name == name
    assert len(endpoint.requests) == 1


def test_an_unnamed_task_gets_a_random_id_and_the_full_view_includes_the_body(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    queue = make_queue(tasks_client)
    tasks_client.pause_queue(name=queue)
    first = tasks_client.create_task(parent=queue, task=http_task("http://127.0.0.1:9/x", body=b'{"a": 1}'))
    second = tasks_client.create_task(parent=queue, task=http_task("http://127.0.0.1:9/x"))

    assert first.name.startswith(f"{queue}/tasks/") and first.name != second.name
    assert first.http_request.body == b""  # BASIC view omits the payload
    full = tasks_client.get_task(request={"name": first.name, "response_view": tasks_v2.Task.View.FULL})
    assert full.http_request.body == b'{"a": 1}'
    assert full.dispatch_deadline.total_seconds() == 600
    assert {t.name for t in tasks_client.list_tasks(parent=queue)} == {first.name, second.name}
    tasks_client.delete_task(name=second.name)
    assert [t.name for t in tasks_client.list_tasks(parent=queue)] == [first.name]


def test_errors_match_cloud_tasks_for_missing_queues_and_bad_tasks(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    missing = f"{LOCATION}/queues/does-not-exist"
    with pytest.raises(exceptions.NotFound):
        tasks_client.get_queue(name=missing)
    with pytest.raises(exceptions.FailedPrecondition, match="Queue does not exist"):
        tasks_client.create_task(parent=missing, task=http_task("http://127.0.0.1:9/x"))
    queue = make_queue(tasks_client)
    with pytest.raises(exceptions.InvalidArgument):
        tasks_client.create_task(parent=queue, task={"http_request": {"url": "not-a-url"}})
    with pytest.raises(exceptions.InvalidArgument):
        tasks_client.create_task(
            parent=queue,
            task={
                "http_request": {
                    "url": "http://x.test/",
                    "http_method": tasks_v2.HttpMethod.GET,
                    "body": b"x",
                }
            },
        )
    tasks_client.delete_queue(name=queue)
    with pytest.raises(exceptions.FailedPrecondition, match="existed recently"):
        tasks_client.get_queue(name=queue)


def test_update_queue_changes_rate_limits_and_pause_resume_report_state(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    queue = make_queue(tasks_client, rate=5)
    updated = tasks_client.update_queue(
        queue={"name": queue, "rate_limits": {"max_dispatches_per_second": 2}},
        update_mask={"paths": ["rate_limits.max_dispatches_per_second"]},
    )
    assert updated.rate_limits.max_dispatches_per_second == 2
    assert updated.rate_limits.max_concurrent_dispatches == 1000
    assert updated.retry_config.max_attempts == 5
    assert tasks_client.pause_queue(name=queue).state == tasks_v2.Queue.State.PAUSED
    paused = [
        q.name for q in tasks_client.list_queues(request={"parent": LOCATION, "filter": "state: PAUSED"})
    ]
    assert queue in paused
    assert tasks_client.resume_queue(name=queue).state == tasks_v2.Queue.State.RUNNING
