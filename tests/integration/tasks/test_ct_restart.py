"""With ``--data-dir`` the Cloud Tasks emulator keeps queues, tasks and reserved names across a crash."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from ct_support import LOCATION, http_task
from google.api_core import exceptions
from google.cloud import tasks_v2
from localcloud.tasks.client import emulator_client
from localcloud.tasks.recorder import recording_endpoint
from localcloud.testing import run_server

pytestmark = pytest.mark.integration


def test_waiting_tasks_and_reserved_names_survive_a_killed_emulator(tmp_path: Path) -> None:
    args = ["--data-dir", str(tmp_path / "tasks")]
    queue = f"{LOCATION}/queues/notifications"
    with recording_endpoint() as endpoint:
        with run_server("tasks", args) as server:
            client = emulator_client(server.address)
            client.create_queue(
                parent=LOCATION,
                queue={"name": queue, "rate_limits": {"max_dispatches_per_second": 10}},
            )
            client.create_task(parent=queue, task=http_task(endpoint.url, name=f"{queue}/tasks/done-1"))
            endpoint.wait_for(1)
            client.pause_queue(name=queue)
            waiting = client.create_task(
                parent=queue, task=http_task(endpoint.url, name=f"{queue}/tasks/wait-1")
            )
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()

        with run_server("tasks", args) as server:
            client = emulator_client(server.address)
            restored = client.get_queue(name=queue)
            assert restored.state == tasks_v2.Queue.State.PAUSED
            assert restored.rate_limits.max_dispatches_per_second == 10
            assert [t.name for t in client.list_tasks(parent=queue)] == [waiting.name]
            with pytest.raises(exceptions.AlreadyExists, match="existed too recently"):
                client.create_task(parent=queue, task=http_task(endpoint.url, name=f"{queue}/tasks/done-1"))
            client.resume_queue(name=queue)
            delivered = endpoint.wait_for(2)

    assert [r.header("X-CloudTasks-TaskName") for r in delivered] == ["done-1", "wait-1"]
