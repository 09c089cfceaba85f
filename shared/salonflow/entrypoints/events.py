"""The ``salon-events`` consumer: approval requests reach their approvers, and live per-day counters.

1. ``approval_requested``: the approvers get the WhatsApp / push notification unless they already had it
   (``Executor.notify_approvers_once``, one idempotency record per approval). The executor notifies as it
   requests an approval; this covers approvals recorded through the API and a notification lost when the
   requesting process died. Urgent ones are pushed as urgent.
2. Every event counts into ``salons/{salon_id}/event_counters/{YYYY-MM-DD}`` (salon-local day), so the PWA's
   realtime listener sees agent activity as it happens.

Pub/Sub delivers at least once: the event id keys an idempotency record, so a redelivered event is counted
once and notifies nobody again.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from salonflow.adapters.firestore.governance_idempotency import IdempotencyStore
from salonflow.adapters.pubsub_events import EventType, SalonEvent
from salonflow.services.executor import Executor
from salonflow.services.ports import ServicePorts

COUNTERS = "event_counters"
DEFAULT_TIMEZONE = "Asia/Kolkata"


def decode(event: Any) -> SalonEvent:
    message = event.data.message
    raw = message.data
    data = base64.b64decode(raw) if isinstance(raw, str) else bytes(raw or b"")
    return SalonEvent.from_message(data, message.attributes)


def salon_day(client: Any, salon_id: str, occurred_at: datetime) -> str:
    salon = client.collection("salons").document(salon_id).get(field_paths=["timezone"])
    zone = (salon.to_dict() or {}).get("timezone", DEFAULT_TIMEZONE) if salon.exists else DEFAULT_TIMEZONE
    return occurred_at.astimezone(ZoneInfo(zone)).date().isoformat()


def on_salon_event(event: Any, client: Any, now: datetime, ports: Callable[[], ServicePorts]) -> str:
    salon_event = decode(event)
    store = IdempotencyStore(client, salon_event.salon_id)
    with store.guard(f"event:{salon_event.event_id}", salon_event.event_id) as run:
        if run.replayed:
            return "replayed"
        if salon_event.event_type is EventType.APPROVAL_REQUESTED:
            Executor(client, salon_event.salon_id, ports()).notify_approvers_once(salon_event.resource_id, now)
        day = salon_day(client, salon_event.salon_id, salon_event.occurred_at)
        client.collection("salons", salon_event.salon_id, COUNTERS).document(day).set({
            "date": day,
            "salon_id": salon_event.salon_id,
            "events": {salon_event.event_type.value: firestore.Increment(1)},
            "last_event_at": salon_event.occurred_at,
            "updated_at": now,
        }, merge=True)
        run.complete("counted")
        return "counted"
