"""Push subscriptions: the HTTP request for one delivery (pure) and the worker that sends it.

A 2xx answer acknowledges the message; anything else, a timeout after the ack deadline or
a connection error nacks it, and the subscription's retry policy (or, without one, a
push backoff of 100 ms doubling to 60 s) decides when it goes out again.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.pubsub import config, names
from localcloud.pubsub.broker import Broker, PushDelivery
from localcloud.pubsub.delivery import RetryPolicy
from localcloud.tasks.oidc import unsigned_id_token

LOG = logging.getLogger("localcloud.pubsub.push")

CLOUDEVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
PUSH_DEFAULT_BACKOFF = RetryPolicy(minimum_backoff_s=0.1, maximum_backoff_s=60.0)
MAX_IN_FLIGHT_PER_SUBSCRIPTION = 16


@dataclass(frozen=True)
class HttpRequest:
    url: str
    headers: dict[str, str]
    body: bytes


def message_json(message: Any) -> dict[str, Any]:
    """The ``message`` object of Google's push body (camelCase and snake_case ids, as sent)."""
    published = message.publish_time.ToJsonString()
    body: dict[str, Any] = {
        "data": base64.b64encode(message.data).decode("ascii"),
        "messageId": message.message_id,
        "message_id": message.message_id,
        "publishTime": published,
        "publish_time": published,
    }
    if message.attributes:
        body["attributes"] = dict(message.attributes)
    if message.ordering_key:
        body["orderingKey"] = message.ordering_key
    return body


def build_request(subscription: Any, received: Any, *, topic: str, now: datetime) -> HttpRequest:
    """The HTTP request Google would send for ``received`` on push ``subscription``."""
    push_config = subscription.push_config
    endpoint = push_config.push_endpoint
    message = received.message
    headers: dict[str, str] = {
        "User-Agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"
    }
    if push_config.HasField("oidc_token") and push_config.oidc_token.service_account_email:
        token = push_config.oidc_token
        headers["Authorization"] = "Bearer " + unsigned_id_token(
            audience=token.audience or endpoint, email=token.service_account_email, now=now
        )
    chosen = push_config.attributes.get(config.FORMAT_ATTRIBUTE, config.FORMAT_PUSH)
    if push_config.HasField("no_wrapper"):
        headers["Content-Type"] = "application/octet-stream"
        if push_config.no_wrapper.write_metadata:
            headers.update({f"x-goog-pubsub-{k}": v for k, v in message.attributes.items()})
            headers["x-goog-pubsub-message-id"] = message.message_id
            headers["x-goog-pubsub-publish-time"] = message.publish_time.ToJsonString()
            headers["x-goog-pubsub-subscription-name"] = subscription.name
            if message.ordering_key:
                headers["x-goog-pubsub-ordering-key"] = message.ordering_key
        return HttpRequest(endpoint, headers, bytes(message.data))
    envelope: dict[str, Any] = {"message": message_json(message), "subscription": subscription.name}
    if chosen == config.FORMAT_PUSH:
        if received.delivery_attempt:
            envelope["deliveryAttempt"] = received.delivery_attempt
        headers["Content-Type"] = "application/json"
        return HttpRequest(endpoint, headers, json.dumps(envelope).encode())
    # The CloudEvent Eventarc delivers to a Pub/Sub-triggered function (firebase-functions
    # ``pubsub_fn.on_message_published``): data is the push envelope without deliveryAttempt.
    attributes = {
        "specversion": "1.0",
        "type": CLOUDEVENT_TYPE,
        "source": f"//pubsub.googleapis.com/{topic}",
        "id": message.message_id,
        "time": message.publish_time.ToJsonString(),
    }
    if chosen == config.FORMAT_CLOUDEVENT_BINARY:
        headers.update({f"ce-{k}": v for k, v in attributes.items()})
        headers["Content-Type"] = "application/json"
        return HttpRequest(endpoint, headers, json.dumps(envelope).encode())
    structured = {**attributes, "datacontenttype": "application/json", "data": envelope}
    headers["Content-Type"] = "application/cloudevents+json"
    return HttpRequest(endpoint, headers, json.dumps(structured).encode())


def send(request: HttpRequest, timeout_s: float) -> int:
    """POST ``request``; the HTTP status, or 0 when no answer came."""
    http_request = urllib.request.Request(
        request.url, data=request.body, headers=request.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout_s) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError) as error:
        LOG.info("push to %s failed: %s", request.url, error)
        return 0


class PushWorker:
    """Moves messages of push subscriptions to their endpoints on a small thread pool."""

    def __init__(
        self,
        broker: Broker,
        *,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        workers: int = 8,
    ) -> None:
        self._broker = broker
        self._wall = wall
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pubsub-push")
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self._thread = threading.Thread(target=self._run, name="pubsub-push-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._broker.wake()
        self._thread.join(timeout=2)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _count(self, subscription: str) -> int:
        with self._lock:
            return self._in_flight.get(subscription, 0)

    def _run(self) -> None:
        while not self._broker.stopped:
            deliveries = self._broker.next_push_deliveries(self._count, MAX_IN_FLIGHT_PER_SUBSCRIPTION, 30.0)
            for delivery in deliveries:
                with self._lock:
                    name = delivery.subscription.name
                    self._in_flight[name] = self._in_flight.get(name, 0) + 1
                self._pool.submit(self._deliver, delivery)

    def _deliver(self, delivery: PushDelivery) -> None:
        subscription = delivery.subscription
        try:
            received = self._broker.received_message(subscription, delivery.lease)
            topic = subscription.topic if subscription.topic != names.DELETED_TOPIC else ""
            request = build_request(subscription, received, topic=topic, now=self._wall())
            status = send(request, timeout_s=float(subscription.ack_deadline_seconds))
            success = 200 <= status < 300
            # Without a retry policy Google still backs off pushes to a failing endpoint.
            self._broker.push_outcome(subscription.name, delivery.lease.ack_id, success, PUSH_DEFAULT_BACKOFF)
        finally:
            with self._lock:
                self._in_flight[subscription.name] -= 1
            self._broker.wake()
