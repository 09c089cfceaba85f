"""Fixtures for the Pub/Sub emulator integration tests: one emulator per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.cloud import pubsub_v1
from localcloud.testing import RunningServer, environment, run_server
from ps_support import PROJECT


@pytest.fixture(scope="module")
def pubsub_emulator() -> Iterator[RunningServer]:
    # A fresh emulator per module (not the session's): these tests count messages and subscriptions.
    with run_server("pubsub", ["--project", PROJECT]) as server, environment("PUBSUB_EMULATOR_HOST", server.address):
        yield server


@pytest.fixture(scope="module")
def publisher(pubsub_emulator: RunningServer) -> pubsub_v1.PublisherClient:
    options = pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
    return pubsub_v1.PublisherClient(publisher_options=options)


@pytest.fixture(scope="module")
def subscriber(pubsub_emulator: RunningServer) -> Iterator[pubsub_v1.SubscriberClient]:
    client = pubsub_v1.SubscriberClient()
    yield client
    client.close()
