"""What the Cloud Tasks emulator reports it has in hand: tasks due soon and tasks being dispatched."""

from __future__ import annotations

import time

import pytest
from ct_support import http_task, make_queue
from google.cloud import tasks_v2
from google.protobuf import timestamp_pb2
from localcloud.activity import grpc_pending
from localcloud.tasks.recorder import recording_endpoint
from localcloud.testing import RunningServer

pytestmark = pytest.mark.integration


def test_tasks_count_while_due_within_the_horizon_or_dispatching_and_not_when_later_or_paused(
    tasks_emulator: RunningServer, tasks_client: tasks_v2.CloudTasksClient
) -> None:
    host = tasks_emulator.address
    later = make_queue(tasks_client)
    tasks_client.create_task(parent=later, task=http_task(
        "http://127.0.0.1:9/unused", schedule_time=timestamp_pb2.Timestamp(seconds=int(time.time()) + 3600)))
    paused = make_queue(tasks_client)
    tasks_client.pause_queue(name=paused)
    tasks_client.create_task(parent=paused, task=http_task("http://127.0.0.1:9/unused"))
    assert grpc_pending(host, {"horizon_s": 60}) == 0
    assert grpc_pending(host, {"horizon_s": 7200}) == 1

    queue = make_queue(tasks_client)
    with recording_endpoint(held=True) as endpoint:
        tasks_client.create_task(parent=queue, task=http_task(endpoint.url))
        endpoint.wait_for(1)
        assert grpc_pending(host, {"horizon_s": 60}) == 1  # dispatched, no answer yet

        endpoint.release()
        deadline = time.monotonic() + 60
        while grpc_pending(host, {"horizon_s": 60}) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert grpc_pending(host, {"horizon_s": 60}) == 0
