"""Fixtures for the Firestore emulator suite: async client, firebase_admin app, named databases."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from localcloud.testing import RunningServer

PROJECT_ID = "demo-salonflow"


def emulator_url(server: RunningServer, path: str) -> str:
    return f"http://{server.address}{path}"


def http(server: RunningServer, method: str, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(emulator_url(server, path), method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def stats(server: RunningServer, database: str = "(default)") -> dict[str, Any]:
    _, body = http(server, "GET", f"/emulator/v1/projects/{PROJECT_ID}/databases/{database}:stats")
    return dict(json.loads(body))


def clear(server: RunningServer, database: str = "(default)") -> None:
    http(server, "DELETE", f"/emulator/v1/projects/{PROJECT_ID}/databases/{database}/documents")


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
