"""A cancelled booking is filled through the whole local stack: Firestore trigger, Cloud Tasks, our
functions, governance, the Twilio sandbox and back through a signed WhatsApp reply."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from e2e_support import SALON_ID, Stack, eventually, start_stack
from salonflow_demo.seed_picks import booking_to_cancel

DAY = date(2026, 12, 1)  # a Tuesday


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(Path(tmp_path_factory.mktemp("e2e")), DAY,
                           salon_changes={"autonomy.gap_fill": "full_auto", "holdout_share": 0.0})


def test_a_cancellation_is_offered_on_whatsapp_and_filled_by_a_yes(stack: Stack) -> None:
    now = stack.dataset.as_of + timedelta(hours=10)  # 10:00 in the salon
    stack.set_clock(now)
    booking = booking_to_cancel(stack.dataset, now, min_lead=timedelta(hours=2))
    assert booking is not None
    cancelled = booking.cancelled(now)
    stack.client.document(f"salons/{SALON_ID}/bookings/{booking.id}").update(
        {"status": "cancelled", "cancelled_at": now, "late_cancellation": cancelled.late_cancellation,
         "updated_at": now})

    def gap_for_slot() -> dict | None:
        for snap in stack.client.collection(f"salons/{SALON_ID}/gaps").where("staff_id", "==", booking.staff_id).stream():
            gap = snap.to_dict()
            if gap["start_time"] <= booking.start_time < gap["end_time"]:
                return gap
        return None

    gap = eventually(gap_for_slot, what="the gap of the cancelled booking")
    offers = eventually(lambda: [o.to_dict() for o in stack.client.collection(f"salons/{SALON_ID}/outreach")
                                 .where("trigger_id", "==", gap["id"]).stream()
                                 if o.to_dict().get("delivery", {}).get("message_id")],
                        what="an offer sent for the gap")
    first = offers[0]
    sent = eventually(lambda: stack.messages_to(first["customer_phone"]), what="the offer in the sandbox")
    assert sent[0]["to"] == f"whatsapp:{first['customer_phone']}"

    stack.sandbox("POST", "/_sandbox/reply", {"from": first["customer_phone"], "body": "Haan ji"})

    filled = eventually(lambda: (g := gap_for_slot()) and g["status"] == "filled" and g, what="the gap filled")
    new_booking = stack.client.document(f"salons/{SALON_ID}/bookings/{filled['filled_by']}").get().to_dict()
    assert new_booking["customer_id"] == first["customer_id"]
    decision = stack.client.document(f"salons/{SALON_ID}/autonomous_decisions/{first['decision_id']}").get().to_dict()
    assert decision["outcome"]["status"] == "success"
    assert decision["revenue_impact"]["actual"] > 0
    published = eventually(lambda: [e for e in stack.events() if e["event_type"] == "GAP_FILLED"],
                           what="GAP_FILLED on salon-events")
    assert published[0]["resource_id"] == gap["id"]
