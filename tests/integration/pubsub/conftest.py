"""Fixtures for the Pub/Sub emulator integration tests: one emulator per test module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from google.cloud import pubsub_v1
from localcloud.testing import RunningServer, run_server
from ps_support import PROJECT


@pytest.fixture(scope="module")
def pubsub_emulator() -> Iterator[RunningServer]:
    with run_server("pubsub", ["--project", PROJECT]) as server:
        previous = os.environ.get("PUBSUB_EMULATOR_HOST")
        os.environ["PUBSUB_EMULATOR_HOST"] = server.address
        try:
            yield server
        finally:
            if previous is None:
                os.environ.pop("PUBSUB_EMULATOR_HOST", None)
            else:
                os.environ["PUBSUB_EMULATOR_HOST"] = previous


@pytest.fixture(scope="module")
def publisher(pubsub_emulator: RunningServer) -> pubsub_v1.PublisherClient:
    options = pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
    return pubsub_v1.PublisherClient(publisher_options=options)


@pytest.fixture(scope="module")
def subscriber(pubsub_emulator: RunningServer) -> Iterator[pubsub_v1.SubscriberClient]:
    client = pubsub_v1.SubscriberClient()
    yield client
    client.close()
