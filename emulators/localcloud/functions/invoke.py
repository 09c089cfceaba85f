"""Turn an incoming HTTP request into a call of one firebase function, as Cloud Functions does."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request

from localcloud.functions.discovery import Endpoint

log = logging.getLogger("localcloud.functions")

PUBSUB_EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"


def make_function_app(endpoint: Endpoint, project: str) -> Flask:
    """A Flask app that serves one function at ``/`` and any sub-path, like its Cloud Run service."""
    app = Flask(f"localcloud-fn-{endpoint.name}")

    def handle(rest: str = "") -> Any:
        if endpoint.kind in ("httpsTrigger", "scheduleTrigger", "taskQueueTrigger", "callableTrigger"):
            return endpoint.function(request._get_current_object())  # type: ignore[attr-defined]
        if endpoint.kind == "eventTrigger":
            return _deliver_event(endpoint, project)
        return Response(f"unsupported trigger for {endpoint.name}", status=501)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
    app.add_url_rule("/", "root", handle, methods=methods)
    app.add_url_rule("/<path:rest>", "rest", handle, methods=methods)
    return app


def _deliver_event(endpoint: Endpoint, project: str) -> Response:
    from cloudevents.http import CloudEvent, from_http

    body = request.get_data()
    if "ce-type" in {key.lower() for key, _ in request.headers.items()} or "cloudevents" in (request.content_type or ""):
        event = from_http(dict(request.headers), body)
    else:
        # A plain Pub/Sub push body: wrap it the way Eventarc does for Pub/Sub-triggered functions.
        event = CloudEvent(_pubsub_attributes(endpoint, project, json.loads(body)), _pubsub_data(json.loads(body)))
    try:
        endpoint.function(event)
    except Exception:
        # Cloud Functions retries an event when the function raises (when retry is enabled).
        log.exception("function %s failed on event %s", endpoint.name, event["id"])
        return Response("function error", status=500)
    return Response(status=204)


def _pubsub_attributes(endpoint: Endpoint, project: str, push: dict[str, Any]) -> dict[str, Any]:
    message = push.get("message", {})
    topic = endpoint.spec["eventTrigger"].get("eventFilters", {}).get("topic", "")
    return {
        "id": message.get("messageId") or message.get("message_id"),
        "source": f"//pubsub.googleapis.com/{topic}",
        "type": PUBSUB_EVENT_TYPE,
        "time": message.get("publishTime") or datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
    }


def _pubsub_data(push: dict[str, Any]) -> dict[str, Any]:
    message = dict(push.get("message", {}))
    # Eventarc sends both spellings; the SDK reads the snake_case ones.
    message.setdefault("message_id", message.get("messageId"))
    message.setdefault("publish_time", message.get("publishTime"))
    message.setdefault("data", base64.b64encode(b"").decode())
    return {"message": message, "subscription": push.get("subscription", "")}
