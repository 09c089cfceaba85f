"""The local cloud provisioned as Terraform provisions Google Cloud: the event topic and the task queues."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from localcloud.stack import LocalCloud, local_cloud

ROOT = Path(__file__).resolve().parents[2]


def provision(env: dict[str, str]) -> dict[str, Any]:
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import pubsub_v1
    from salonflow.adapters.cloud_tasks import CloudTasksConfig, CloudTasksQueue
    from salonflow.adapters.pubsub_events import TOPIC_ID

    queues = CloudTasksQueue(CloudTasksConfig.from_env(env)).ensure_queues()
    publisher = pubsub_v1.PublisherClient()
    with contextlib.suppress(AlreadyExists):
        publisher.create_topic(name=publisher.topic_path(env["GOOGLE_CLOUD_PROJECT"], TOPIC_ID))
    return {"queues": queues, "topic": TOPIC_ID}


@contextlib.contextmanager
def salon_cloud(*, fixed_ports: bool = False, data_dir: Path | None = None, schedules: bool = False,
                extra_env: dict[str, str] | None = None,
                seed: Callable[[Any], object] | None = None) -> Iterator[LocalCloud]:
    """The local cloud running our functions, with its topic and queues, and this process pointed at it.

    ``seed(client)`` writes existing salon data before the functions start listening, as a salon's
    data would already be there when it switches the agents on (not replayed through the triggers).
    """
    previous = dict(os.environ)
    if extra_env:
        os.environ.update(extra_env)
    try:
        def prepare(env: dict[str, str]) -> None:
            os.environ.update(env)
            provision(env)
            if seed is not None:
                from google.cloud import firestore

                seed(firestore.Client(project=env["GOOGLE_CLOUD_PROJECT"]))

        # Firestore enforces our index file, so a query production would refuse fails here too.
        with local_cloud(fixed_ports=fixed_ports, functions_source=ROOT / "functions", data_dir=data_dir,
                         indexes=ROOT / "firestore.indexes.json",
                         schedules=schedules, before_functions=prepare, rules=ROOT / "firestore.rules",
                         web_app=ROOT / "console" / "dist") as cloud:
            yield cloud
    finally:
        os.environ.clear()
        os.environ.update(previous)


def logged_events(cloud: LocalCloud) -> list[dict[str, Any]]:
    """The metric events the functions logged so far, read from the functions host's captured output: what
    Cloud Logging would receive and the log-based metrics count."""
    from localcloud.functions.logs import fetch_lines
    from salonflow.observability.log import parse_lines

    return parse_lines(fetch_lines(cloud.url("functions")))
