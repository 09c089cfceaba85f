"""Fixtures for the Cloud Tasks emulator integration tests: one emulator per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.cloud import tasks_v2
from localcloud.tasks.client import emulator_client
from localcloud.testing import RunningServer, run_server


@pytest.fixture(scope="module")
def tasks_emulator() -> Iterator[RunningServer]:
    with run_server("tasks", ["--project", "demo-salonflow"]) as server:
        yield server


@pytest.fixture(scope="module")
def tasks_client(tasks_emulator: RunningServer) -> tasks_v2.CloudTasksClient:
    return emulator_client(tasks_emulator.address)
