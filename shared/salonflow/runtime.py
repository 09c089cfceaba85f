"""Wiring for the deployed functions: adapters built once per instance, on first use.

``functions/main.py`` declares the triggers; everything here turns a platform event into a call
of the entry-point services. Imports of Google and Twilio clients stay inside functions so that
importing ``main`` costs only what the invoked function needs.
"""

from __future__ import annotations

import functools
import logging
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Request, Response

    from salonflow.api.app import AutonomousApi
    from salonflow.entrypoints.internal import InternalTasks
    from salonflow.entrypoints.webhooks import TwilioWebhooks
    from salonflow.ports import EventPublisher, TaskQueue

log = logging.getLogger("salonflow")


def now() -> datetime:
    """The functions' clock. The local cloud may steer it through ``SALONFLOW_CLOCK_FILE`` (an RFC 3339
    instant in a file) so a demo can play a whole salon day in minutes; Google never sets it."""
    clock_file = os.environ.get("SALONFLOW_CLOCK_FILE")
    if clock_file and os.environ.get("SALONFLOW_LOCAL_CLOUD") == "1":
        with open(clock_file, encoding="utf-8") as source:
            return datetime.fromisoformat(source.read().strip())
    return datetime.now(UTC)


def firestore() -> Any:
    from salonflow.adapters.firebase_app import firestore_client

    return firestore_client()


@functools.cache
def task_queue() -> TaskQueue:
    from salonflow.adapters.cloud_tasks import CloudTasksConfig, CloudTasksQueue

    return CloudTasksQueue(CloudTasksConfig.from_env())


@functools.cache
def event_publisher() -> EventPublisher:
    from salonflow.adapters.pubsub_events import PubSubEventPublisher

    return PubSubEventPublisher.from_env()


@functools.cache
def service_ports() -> Any:
    """The service layer's side-effect ports: Twilio, Pub/Sub, Cloud Tasks, push, and our public URLs."""
    from salonflow.adapters.push_offline import push_notifier
    from salonflow.adapters.twilio_messaging import TwilioConfig, TwilioMessenger
    from salonflow.adapters.twilio_webhooks import STATUS_PATH, VOICE_PATH, public_webhook_url
    from salonflow.services.ports import ServicePorts

    base = os.environ["PUBLIC_WEBHOOK_BASE_URL"]
    return ServicePorts(messages=TwilioMessenger(TwilioConfig.from_env()), events=event_publisher(),
                        tasks=task_queue(), push=push_notifier(),
                        status_callback_url=public_webhook_url(base, STATUS_PATH),
                        voice_url=public_webhook_url(base, VOICE_PATH))


# --- HTTP functions -------------------------------------------------------------------------------

@functools.cache
def _api() -> AutonomousApi:
    from salonflow.api.app import AutonomousApi
    from salonflow.api.auth import firebase_token_verifier
    from salonflow.api.context import ApiDeps

    return AutonomousApi(ApiDeps(firestore=firestore, clock=now, ports=service_ports), firebase_token_verifier)


def autonomous_api(req: Request) -> Response:
    from flask import Response

    from salonflow.api.http import ApiRequest

    request = ApiRequest(method=req.method, path=req.path, query=req.args.to_dict(flat=False),
                         headers=dict(req.headers.items()), body=req.get_data())
    result = _api().handle(request)
    return Response(result.encoded(), status=result.status, mimetype="application/json",
                    headers=dict(result.headers))


@functools.cache
def _webhooks() -> TwilioWebhooks:
    from salonflow.entrypoints.webhooks import TwilioWebhooks, WebhookConfig

    return TwilioWebhooks(WebhookConfig.from_env(), firestore=firestore, queue=task_queue,
                          events=event_publisher, clock=now)


def twilio_webhooks(req: Request) -> Response:
    from flask import Response

    result = _webhooks().handle(req.path, req.query_string.decode(), dict(req.headers.items()), req.get_data())
    return Response(result.body, status=result.status, mimetype=result.content_type)


@functools.cache
def _internal() -> InternalTasks:
    from salonflow.entrypoints.internal import InternalTasks
    from salonflow.entrypoints.task_auth import TaskAuthConfig
    from salonflow.entrypoints.task_routes import route_task

    return InternalTasks(TaskAuthConfig.from_env(), firestore=firestore, clock=now, route=route_task)


def internal_tasks(req: Request) -> Response:
    import json

    from flask import Response

    result = _internal().handle(req.path, dict(req.headers.items()), req.get_data(), req.url)
    return Response(json.dumps(result.body, default=str), status=result.status, mimetype="application/json")


# --- schedules, triggers, events ------------------------------------------------------------------

def fan_out(agent_name: str, schedule_time: datetime) -> None:
    from salonflow.entrypoints.scheduling import fan_out as fan_out_due

    result = fan_out_due(firestore(), task_queue(), agent_name, schedule_time)
    log.info("fan-out %s", result.summary())


def booking_changed(event: Any) -> None:
    from salonflow.entrypoints.triggers import on_booking_written

    on_booking_written(event, task_queue())


def approval_changed(event: Any) -> None:
    from salonflow.entrypoints.triggers import on_approval_updated

    on_approval_updated(event, task_queue())


def salon_event(event: Any) -> None:
    from salonflow.entrypoints.events import on_salon_event

    on_salon_event(event, firestore(), now(), service_ports)
