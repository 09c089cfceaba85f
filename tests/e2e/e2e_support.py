"""The whole local stack for end-to-end tests: emulators, Twilio sandbox, our functions, a steerable clock."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from google.cloud import firestore, pubsub_v1
from localcloud.stack import SANDBOX_WHATSAPP_FROM, LocalCloud
from salonflow_demo.cloud import salon_cloud
from salonflow_demo.run import KOLKATA, demo_day
from salonflow_demo.seed import SalonDataset, build_salon, write_salon

T = TypeVar("T")
SALON_ID = "salon_e2e"


def upcoming_tuesday() -> date:
    """A full working day that is still ahead in the salon's timezone. The steered clock plays it, but Cloud
    Tasks (like Google's) moves a schedule time in the past to real now: a fixed date would start running
    every deferred task at once the day it went by."""
    return demo_day(datetime.now(KOLKATA).date())


@dataclass
class Stack:
    cloud: LocalCloud
    clock_file: Path
    client: firestore.Client
    dataset: SalonDataset
    events_subscription: str

    def set_clock(self, moment: datetime) -> None:
        self.clock_file.write_text(moment.isoformat())

    def sandbox(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.cloud.url("twilio") + path, data=data, method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def messages_to(self, phone: str) -> list[dict[str, Any]]:
        return list(self.sandbox("GET", "/_sandbox/messages?" + urlencode({"to": f"whatsapp:{phone}"}))["messages"])

    def run_schedule(self, function: str, at: datetime) -> Any:
        request = urllib.request.Request(
            f"{self.cloud.url('functions')}/_localcloud/scheduler/{function}",
            data=json.dumps({"schedule_time": at.isoformat()}).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def events(self) -> list[dict[str, Any]]:
        subscriber = pubsub_v1.SubscriberClient()
        pulled = subscriber.pull(subscription=self.events_subscription, max_messages=100, timeout=5)
        if pulled.received_messages:
            subscriber.acknowledge(subscription=self.events_subscription,
                                   ack_ids=[m.ack_id for m in pulled.received_messages])
        return [json.loads(m.message.data) for m in pulled.received_messages]


def eventually(probe: Callable[[], T | None], *, timeout_s: float = 45.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_stack(tmp: Path, day: date, *, customers: int = 80, staff: int = 3,
                salon_changes: dict[str, Any] | None = None) -> Iterator[Stack]:
    clock_file = tmp / "clock"
    dataset = build_salon(11, salon_id=SALON_ID, day=day, staff=staff, customers=customers, history_days=120,
                          whatsapp_sender=SANDBOX_WHATSAPP_FROM.removeprefix("whatsapp:"))
    clock_file.write_text((dataset.as_of + timedelta(hours=9)).isoformat())
    def seed(client: firestore.Client) -> None:
        write_salon(client, dataset)
        if salon_changes:
            client.document(f"salons/{SALON_ID}").update(salon_changes)

    with salon_cloud(extra_env={"SALONFLOW_CLOCK_FILE": str(clock_file)}, seed=seed) as cloud:
        client = firestore.Client(project=cloud.env["GOOGLE_CLOUD_PROJECT"])
        subscriber = pubsub_v1.SubscriberClient()
        subscription = subscriber.subscription_path(cloud.env["GOOGLE_CLOUD_PROJECT"], "e2e-observer")
        subscriber.create_subscription(name=subscription, topic=subscription.replace(
            "subscriptions/e2e-observer", "topics/salon-events"))
        yield Stack(cloud, clock_file, client, dataset, subscription)
