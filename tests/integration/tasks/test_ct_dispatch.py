"""The Cloud Tasks emulator's dispatcher: schedule, headers, OIDC, retries and queue limits."""

from __future__ import annotations

import itertools
import time

import pytest
from ct_support import http_task, make_queue
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.protobuf import timestamp_pb2
from localcloud.tasks.oidc import decode_unverified
from localcloud.tasks.recorder import recording_endpoint

pytestmark = pytest.mark.integration

SERVICE_ACCOUNT = "salonflow-tasks@demo-salonflow.iam.gserviceaccount.com"


def test_a_task_is_posted_with_its_body_and_the_headers_cloud_tasks_sends(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    queue = make_queue(tasks_client)
    with recording_endpoint("/internal/tasks/execute") as endpoint:
        task = tasks_client.create_task(
            parent=queue,
            task=http_task(
                endpoint.url,
                name=f"{queue}/tasks/run-gap-fill",
                body=b'{"task_type": "gap_fill", "salon_id": "s1"}',
                http_request={
                    "url": endpoint.url,
                    "headers": {"Content-Type": "application/json", "X-Salon": "s1"},
                    "body": b'{"task_type": "gap_fill", "salon_id": "s1"}',
                    "oidc_token": {"service_account_email": SERVICE_ACCOUNT},
                },
            ),
        )
        received = endpoint.wait_for(1)[0]

    assert received.method == "POST" and received.path == "/internal/tasks/execute"
    assert received.body == b'{"task_type": "gap_fill", "salon_id": "s1"}'
    assert received.header("Content-Type") == "application/json"
    assert received.header("X-Salon") == "s1"
    assert received.header("User-Agent") == "Google-Cloud-Tasks"
    assert received.header("X-CloudTasks-QueueName") == queue.rsplit("/", 1)[-1]
    assert received.header("X-CloudTasks-TaskName") == "run-gap-fill"
    assert received.header("X-CloudTasks-TaskRetryCount") == "0"
    assert received.header("X-CloudTasks-TaskExecutionCount") == "0"
    assert float(received.header("X-CloudTasks-TaskETA") or 0) == pytest.approx(
        task.schedule_time.timestamp(), abs=1e-3
    )
    claims = decode_unverified((received.header("Authorization") or "").removeprefix("Bearer "))
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["aud"] == endpoint.url
    assert claims["email"] == SERVICE_ACCOUNT


def test_the_oidc_audience_is_the_configured_one_when_given(tasks_client: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks_client)
    with recording_endpoint() as endpoint:
        tasks_client.create_task(
            parent=queue,
            task={
                "http_request": {
                    "url": endpoint.url,
                    "oidc_token": {
                        "service_account_email": SERVICE_ACCOUNT,
                        "audience": "https://salonflow.example",
                    },
                }
            },
        )
        received = endpoint.wait_for(1)[0]

    claims = decode_unverified((received.header("Authorization") or "").removeprefix("Bearer "))
    assert claims["aud"] == "https://salonflow.example"


def test_a_task_scheduled_in_the_future_waits_until_its_time(tasks_client: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks_client)
    eta = time.time() + 1.2
    with recording_endpoint() as endpoint:
        tasks_client.create_task(
            parent=queue,
            task=http_task(
                endpoint.url,
                schedule_time=timestamp_pb2.Timestamp(seconds=int(eta), nanos=int(eta % 1 * 1e9)),
            ),
        )
        assert endpoint.wait_for(1, timeout_s=0.6) == []
        received = endpoint.wait_for(1)

    arrived_wall = time.time() - (time.monotonic() - received[0].at)
    assert arrived_wall >= eta - 0.05
    assert float(received[0].header("X-CloudTasks-TaskETA") or 0) == pytest.approx(eta, abs=1e-3)


def test_failed_attempts_are_retried_with_backoff_until_the_handler_succeeds(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    queue = make_queue(tasks_client, max_attempts=5, min_backoff=0.2, max_backoff=2.0)
    with recording_endpoint(statuses=[500, 503, 200]) as endpoint:
        task = tasks_client.create_task(parent=queue, task=http_task(endpoint.url))
        attempts = endpoint.wait_for(3)
        time.sleep(0.5)

    assert len(endpoint.requests) == 3
    assert [a.header("X-CloudTasks-TaskRetryCount") for a in attempts] == ["0", "1", "2"]
    assert [a.header("X-CloudTasks-TaskExecutionCount") for a in attempts] == ["0", "1", "2"]
    assert [a.header("X-CloudTasks-TaskPreviousResponse") for a in attempts] == [None, "500", "503"]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.35  # 0.2 s, then doubled
    with pytest.raises(exceptions.NotFound):
        tasks_client.get_task(name=task.name)


def test_a_task_that_keeps_failing_stops_after_max_attempts(tasks_client: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks_client, max_attempts=3, min_backoff=0.1, max_backoff=0.2)
    with recording_endpoint(statuses=[500]) as endpoint:
        task = tasks_client.create_task(parent=queue, task=http_task(endpoint.url))
        endpoint.wait_for(3)
        time.sleep(0.6)

    assert len(endpoint.requests) == 3
    with pytest.raises(exceptions.NotFound):
        tasks_client.get_task(name=task.name)


def test_a_failing_task_shows_its_attempts_while_it_waits_to_retry(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    queue = make_queue(tasks_client, max_attempts=5, min_backoff=30, max_backoff=60)
    with recording_endpoint(statuses=[404]) as endpoint:
        task = tasks_client.create_task(parent=queue, task=http_task(endpoint.url))
        endpoint.wait_for(1)
        # The emulator records the attempt's response just after the handler answered: wait for it (bounded).
        deadline = time.monotonic() + 60
        waiting = tasks_client.get_task(name=task.name)
        while waiting.response_count < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
            waiting = tasks_client.get_task(name=task.name)

    assert waiting.dispatch_count == 1 and waiting.response_count == 1
    assert waiting.last_attempt.response_status.code == 5  # NOT_FOUND
    assert waiting.schedule_time.timestamp() >= time.time() + 25


def test_dispatches_respect_max_dispatches_per_second(tasks_client: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks_client, rate=10)
    with recording_endpoint() as endpoint:
        for _ in range(25):
            tasks_client.create_task(parent=queue, task=http_task(endpoint.url))
        arrivals = [r.at for r in endpoint.wait_for(25)]

    assert len(arrivals) == 25
    # A burst of at most 10, then about 10 a second: the last 15 need at least ~1.5 s.
    assert arrivals[-1] - arrivals[0] >= 1.0
    first_half_second = [t for t in arrivals if t - arrivals[0] < 0.5]
    assert len(first_half_second) <= 10 + 5 + 2


def test_no_more_than_max_concurrent_dispatches_run_at_once(tasks_client: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks_client, concurrent=2)
    with recording_endpoint(delay_s=0.5) as endpoint:
        # Queued while paused, so a slow create_task cannot make the dispatches look sequential.
        tasks_client.pause_queue(name=queue)
        for _ in range(6):
            tasks_client.create_task(parent=queue, task=http_task(endpoint.url))
        tasks_client.resume_queue(name=queue)
        received = endpoint.wait_for(6)

    assert len(received) == 6
    assert endpoint.max_in_flight == 2


def test_a_paused_queue_holds_tasks_and_run_task_forces_one_out(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    queue = make_queue(tasks_client)
    tasks_client.pause_queue(name=queue)
    with recording_endpoint() as endpoint:
        forced = tasks_client.create_task(parent=queue, task=http_task(endpoint.url, body=b'"forced"'))
        tasks_client.create_task(parent=queue, task=http_task(endpoint.url, body=b'"held"'))
        assert endpoint.wait_for(1, timeout_s=0.4) == []
        tasks_client.run_task(name=forced.name)
        assert [r.body for r in endpoint.wait_for(1)] == [b'"forced"']
        tasks_client.resume_queue(name=queue)
        assert [r.body for r in endpoint.wait_for(2)][1] == b'"held"'


def test_purge_queue_removes_every_waiting_task(tasks_client: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks_client)
    tasks_client.pause_queue(name=queue)
    for _ in range(3):
        tasks_client.create_task(parent=queue, task=http_task("http://127.0.0.1:9/never"))
    purged = tasks_client.purge_queue(name=queue)

    assert list(tasks_client.list_tasks(parent=queue)) == []
    assert purged.purge_time.timestamp() == pytest.approx(time.time(), abs=5)
