"""Fixtures for the Firestore emulator suite: async client, firebase_admin app, named databases."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fs_helpers import PROJECT_ID, clear
from localcloud.testing import RunningServer, environment, run_server


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[RunningServer]:
    """This suite tests the query engine itself (any field, any combination, as Google's conformance
    tests do against Google's emulator), so its emulator enforces no index file; index enforcement has
    its own tests (test_fs_index_enforcement.py) and the rest of the project's tests run with firestore.indexes.json."""
    os.environ.setdefault("GOOGLE_CLOUD_PROJECT", PROJECT_ID)
    with run_server("firestore", ["--project", PROJECT_ID]) as server, \
            environment("FIRESTORE_EMULATOR_HOST", server.address):
        yield server


@pytest.fixture
def other_db_client(firestore_emulator: RunningServer) -> Iterator[Any]:
    """A client on the named database ``other`` (created on first use), emptied first."""
    from google.cloud import firestore

    clear(firestore_emulator, "other")
    client = firestore.Client(project=PROJECT_ID, database="other")
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
async def async_client(firestore_client: Any) -> AsyncIterator[Any]:
    """An AsyncClient on the same emptied emulator as ``firestore_client``."""
    from google.cloud import firestore

    client = firestore.AsyncClient(project=PROJECT_ID)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def admin_app(firestore_emulator: RunningServer) -> Iterator[Any]:
    import firebase_admin
    from firebase_admin import credentials
    from google.auth.credentials import AnonymousCredentials

    class EmulatorCredential(credentials.Base):  # type: ignore[misc]
        def get_credential(self) -> AnonymousCredentials:
            return AnonymousCredentials()

    app = firebase_admin.initialize_app(
        EmulatorCredential(), options={"projectId": PROJECT_ID}, name="fs-emulator-tests"
    )
    try:
        yield app
    finally:
        firebase_admin.delete_app(app)
