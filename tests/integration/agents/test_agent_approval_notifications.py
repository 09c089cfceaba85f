"""The salon-events consumer tells approvers about an approval nobody has told them about, exactly once."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cloudevents.http import from_json
from firebase_functions import pubsub_fn
from salonflow.adapters.pubsub_events import EventType, SalonEvent
from salonflow.domain.approvals import Approval
from salonflow.domain.enums import ApprovalPriority, DecisionType, SalonRole
from salonflow.domain.salon import ApproverContact
from salonflow.entrypoints.events import on_salon_event
from test_agent_seed import SALON, at, ports, seed_salon

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "cloudevents" / "pubsub_message_published.json"
TEMPLATE = "HX" + "a" * 32
OWNER_PHONE = "+919876512345"


def cloud_event(event: SalonEvent, delivery: str) -> Any:
    """The CloudEvent Eventarc delivers for a Pub/Sub message, parsed by the firebase-functions SDK."""
    raw = json.loads(FIXTURE.read_text())
    raw["id"] = raw["data"]["message"]["messageId"] = delivery
    raw["data"]["message"]["data"] = base64.b64encode(event.to_message_data()).decode()
    raw["data"]["message"]["attributes"] = event.attributes()
    received: list[Any] = []

    @pubsub_fn.on_message_published(topic="salon-events")
    def handler(parsed: Any) -> None:
        received.append(parsed)

    handler(from_json(json.dumps(raw)))  # a structured-mode CloudEvent, as Eventarc pushes it
    return received[0]


def approval_requested(approval_id: str, event_id_suffix: str = "") -> SalonEvent:
    return SalonEvent.create(EventType.APPROVAL_REQUESTED, salon_id=SALON, resource_id=approval_id,
                             occurred_at=at(10), related={"approval_id": approval_id},
                             data={"priority": "urgent"}, change_key=event_id_suffix)


def test_an_urgent_approval_recorded_elsewhere_reaches_the_owner_once_however_often_the_event_comes(
        firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client, approvers=[ApproverContact(
        name="Anita", phone=OWNER_PHONE, role=SalonRole.OWNER)], whatsapp_templates={"approval_request": TEMPLATE})
    repos.approvals.create(Approval(
        id="apr_api_1", salon_id=SALON, decision_id="dec_api_1", agent_name="owner_manual",
        action_type=DecisionType.DISCOUNT_OFFER, action_summary="30% off for Priya's 4 pm colour",
        priority=ApprovalPriority.URGENT, expires_at=at(10) + timedelta(minutes=15),
        created_at=at(10), updated_at=at(10)))
    service_ports, sender, _ = ports()

    first = approval_requested("apr_api_1")
    assert on_salon_event(cloud_event(first, "m1"), firestore_client, at(10), lambda: service_ports) == "counted"
    # Pub/Sub redelivers the same message, and the agent's own process publishes a second event for it.
    assert on_salon_event(cloud_event(first, "m1"), firestore_client, at(10), lambda: service_ports) == "replayed"
    on_salon_event(cloud_event(approval_requested("apr_api_1", "again"), "m2"), firestore_client, at(10),
                   lambda: service_ports)

    assert [m["to"] for m in sender.messages] == [OWNER_PHONE]
    assert sender.messages[0]["template"].content_sid == TEMPLATE
    stored = repos.approvals.get("apr_api_1")
    assert stored is not None and stored.notifications_sent.whatsapp is True
    counters = firestore_client.document(f"salons/{SALON}/event_counters/{at(10).date().isoformat()}").get()
    assert counters.to_dict()["events"] == {EventType.APPROVAL_REQUESTED.value: 2}


def test_an_approval_already_answered_notifies_nobody(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client, approvers=[ApproverContact(
        name="Anita", phone=OWNER_PHONE, role=SalonRole.OWNER)], whatsapp_templates={"approval_request": TEMPLATE})
    repos.approvals.create(Approval(
        id="apr_old", salon_id=SALON, decision_id="dec_old", agent_name="owner_manual",
        action_type=DecisionType.DISCOUNT_OFFER, action_summary="expired already",
        expires_at=at(9, 30), created_at=at(9, 15), updated_at=at(9, 15)))
    service_ports, sender, _ = ports()
    on_salon_event(cloud_event(approval_requested("apr_old"), "m3"), firestore_client, at(10),
                   lambda: service_ports)
    assert sender.messages == []
