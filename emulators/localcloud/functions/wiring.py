"""Connect event-triggered functions to the local Firestore and Pub/Sub emulators, as Eventarc would."""

from __future__ import annotations

import contextlib
import json
import logging
import urllib.request

from localcloud.functions.discovery import Endpoint

log = logging.getLogger("localcloud.functions")

FIRESTORE_EVENT_PREFIX = "google.cloud.firestore.document.v1."
PUBSUB_EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"


def function_url(base_url: str, project: str, endpoint: Endpoint) -> str:
    return f"{base_url}/{project}/{endpoint.region}/{endpoint.name}"


def register_firestore_triggers(endpoints: list[Endpoint], firestore: str, project: str, base_url: str) -> int:
    count = 0
    for endpoint in endpoints:
        trigger = endpoint.spec.get("eventTrigger", {})
        if not str(trigger.get("eventType", "")).startswith(FIRESTORE_EVENT_PREFIX):
            continue
        body = {
            "eventType": trigger["eventType"],
            "database": trigger.get("eventFilters", {}).get("database", "(default)"),
            "document": (trigger.get("eventFilterPathPatterns") or trigger.get("eventFilters", {}))["document"],
            "url": function_url(base_url, project, endpoint),
            "retry": bool(trigger.get("retry", False)),
        }
        request = urllib.request.Request(
            f"http://{firestore}/emulator/v1/projects/{project}/triggers/{endpoint.name}",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
            method="PUT",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        count += 1
    return count


def subscribe_pubsub_functions(endpoints: list[Endpoint], project: str, base_url: str) -> int:
    """Create each Pub/Sub function's topic (if needed) and a push subscription to the function."""
    from google.api_core import exceptions
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]

    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    count = 0
    for endpoint in endpoints:
        trigger = endpoint.spec.get("eventTrigger", {})
        if trigger.get("eventType") != PUBSUB_EVENT_TYPE:
            continue
        topic = str(trigger["eventFilters"]["topic"])
        if not topic.startswith("projects/"):
            topic = publisher.topic_path(project, topic)
        with contextlib.suppress(exceptions.AlreadyExists):
            publisher.create_topic(name=topic)
        subscription = subscriber.subscription_path(project, f"eventarc-{endpoint.region}-{endpoint.name}")
        push_config = {"push_endpoint": function_url(base_url, project, endpoint)}
        try:
            subscriber.create_subscription(
                request={"name": subscription, "topic": topic, "push_config": push_config, "ack_deadline_seconds": 60}
            )
        except exceptions.AlreadyExists:
            subscriber.modify_push_config(request={"subscription": subscription, "push_config": push_config})
        count += 1
    return count
