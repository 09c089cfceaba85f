"""Shared pytest fixtures: the local cloud servers, started once per session on free ports."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from localcloud.testing import RunningServer, environment, run_server

PROJECT_ID = "demo-salonflow"
# The project's tests run against the indexes we deploy: a query production would refuse for a missing
# composite index fails here with the same FAILED_PRECONDITION.
INDEX_FILE = Path(__file__).resolve().parents[1] / "firestore.indexes.json"


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[RunningServer]:
    os.environ.setdefault("GOOGLE_CLOUD_PROJECT", PROJECT_ID)
    with run_server("firestore", ["--project", PROJECT_ID, "--indexes", str(INDEX_FILE)]) as server, \
            environment("FIRESTORE_EMULATOR_HOST", server.address):
        yield server


def clear_firestore(server: RunningServer, database: str = "(default)") -> None:
    request = urllib.request.Request(
        f"http://{server.address}/emulator/v1/projects/{PROJECT_ID}/databases/{database}/documents",
        method="DELETE",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


@pytest.fixture
def firestore_client(firestore_emulator: RunningServer) -> Iterator[object]:
    """A real google-cloud-firestore client on an emptied emulator."""
    from google.cloud import firestore

    clear_firestore(firestore_emulator)
    # Pinned per test: a session can hold two emulators (the query-engine suite's runs without --indexes),
    # and whichever started last would otherwise own FIRESTORE_EMULATOR_HOST for every later test.
    with environment("FIRESTORE_EMULATOR_HOST", firestore_emulator.address):
        client = firestore.Client(project=PROJECT_ID)
        try:
            yield client
        finally:
            client.close()


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[RunningServer]:
    with run_server("pubsub", ["--project", PROJECT_ID]) as server, \
            environment("PUBSUB_EMULATOR_HOST", server.address):
        yield server


@pytest.fixture(scope="session")
def tasks_emulator() -> Iterator[RunningServer]:
    with run_server("tasks", ["--project", PROJECT_ID]) as server:
        yield server
