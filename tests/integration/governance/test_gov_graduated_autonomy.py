"""Graduated autonomy fed by customers: opt-outs answering a full_auto type's messages take it back to
supervised, through the real inbound handler and the real Firestore emulator; the hourly review lets old
opt-outs age out, and a repeated STOP counts once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore
from salonflow.domain import AutonomousDecision, Customer, DecisionApproval, Outreach, Salon, ids
from salonflow.entrypoints.inbound import handle_inbound
from salonflow.governance.graduation import WINDOW
from salonflow.governance.types import ConsentChannel, ConsentSource, MessageCategory
from salonflow.services.autonomy import review_autonomy

pytestmark = pytest.mark.integration

SALON = "salon_ladder"
NOW = datetime(2024, 1, 15, 6, 0, tzinfo=UTC)  # 11:30 IST


def seed(client: firestore.Client, customers: int, sent_at: datetime = NOW - timedelta(hours=2)) -> None:
    salon = Salon.model_validate({"id": SALON, "name": "Ladder", "created_at": NOW, "updated_at": NOW,
                                  "autonomy": {"gap_fill": "full_auto"}})
    client.document(f"salons/{SALON}").set(salon.to_firestore())
    for n in range(customers):
        customer = Customer(id=f"cust_{n}", salon_id=SALON, name=f"Customer {n}", phone=f"+9198765432{n:02d}",
                            created_at=NOW, updated_at=NOW)
        for category in MessageCategory:
            customer = customer.with_consent([ConsentChannel.WHATSAPP], category, True, ConsentSource.IN_SALON, NOW)
        client.document(f"salons/{SALON}/customers/{customer.id}").set(customer.to_firestore())
        decision = AutonomousDecision.model_validate({
            "id": f"dec_{n}", "salon_id": SALON, "agent_name": "gap_fill_agent", "decision_type": "gap_fill",
            "autonomy_level": "full_auto", "action_taken": "outreach_initiated",
            "approval": DecisionApproval.not_required(), "created_at": sent_at, "updated_at": sent_at,
            "expires_at": sent_at + timedelta(minutes=15)})
        client.document(f"salons/{SALON}/autonomous_decisions/{decision.id}").set(decision.to_firestore())
        outreach = Outreach.model_validate({
            "id": ids.outreach_id(SALON, customer.id, "gap_fill_offer", sent_at), "salon_id": SALON,
            "customer_id": customer.id, "customer_name": customer.name, "customer_phone": customer.phone,
            "outreach_type": "gap_fill", "channel": "whatsapp", "message": "A slot is free at 2 PM",
            "trigger_id": "gap_1", "trigger_type": "gap", "decision_id": decision.id,
            "expires_at": sent_at + timedelta(minutes=15), "created_at": sent_at, "updated_at": sent_at})
        client.document(f"salons/{SALON}/outreach/{outreach.id}").set(outreach.to_firestore())


def stop(client: firestore.Client, n: int, now: datetime = NOW) -> dict[str, Any]:
    payload = {"salon_id": SALON, "from_phone": f"+9198765432{n:02d}", "body": "STOP", "channel": "whatsapp"}
    return handle_inbound(client, payload, now, ports=None)


def gap_fill(client: firestore.Client) -> tuple[str, dict[str, Any]]:
    level = (client.document(f"salons/{SALON}").get().to_dict() or {})["autonomy"]["gap_fill"]
    standing = client.document(f"salons/{SALON}/autonomy_standings/gap_fill").get().to_dict() or {}
    return level, standing


def test_three_opt_outs_on_a_full_auto_types_messages_take_it_back_to_supervised_and_say_why(
        firestore_client: firestore.Client) -> None:
    seed(firestore_client, customers=3)
    for n in range(2):
        assert stop(firestore_client, n)["handled"] == "consent"
    assert stop(firestore_client, 1)["handled"] == "consent"  # a repeated STOP is no new opt-out
    level, standing = gap_fill(firestore_client)
    assert level == "full_auto" and len(standing["opt_outs"]) == 2

    stop(firestore_client, 2)
    level, standing = gap_fill(firestore_client)
    assert level == "supervised"
    assert standing["reason"] == "gap_fill back to supervised: 3 opt-outs or complaints on 3 messages in 14 days"
    rows = [s.to_dict() for s in firestore_client.collection(f"salons/{SALON}/audit_logs").stream()]
    [demotion] = [r for r in rows if r["resource_type"] == "autonomy"]
    assert demotion["actor"] == "system:graduation"
    assert demotion["details"]["before"] == {"level": "full_auto"}
    assert demotion["details"]["evidence"]["opt_outs"] == 3


def test_an_opt_out_long_after_our_last_message_is_not_held_against_it(firestore_client: firestore.Client) -> None:
    seed(firestore_client, customers=1, sent_at=NOW - timedelta(days=5))
    assert stop(firestore_client, 0)["handled"] == "consent"
    assert gap_fill(firestore_client) == ("full_auto", {})


def test_the_hourly_review_drops_opt_outs_older_than_the_window_and_writes_only_on_change(
        firestore_client: firestore.Client) -> None:
    seed(firestore_client, customers=2)
    stop(firestore_client, 0)
    stop(firestore_client, 1)
    assert len(gap_fill(firestore_client)[1]["opt_outs"]) == 2

    later = NOW + WINDOW + timedelta(hours=1)
    assert review_autonomy(firestore_client, SALON, later) == []  # nothing moved a level
    level, standing = gap_fill(firestore_client)
    assert level == "full_auto" and standing["opt_outs"] == []
    written = standing["updated_at"]
    review_autonomy(firestore_client, SALON, later + timedelta(hours=1))
    assert gap_fill(firestore_client)[1]["updated_at"] == written
