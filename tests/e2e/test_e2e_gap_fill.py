"""A cancelled booking is filled through the whole local stack: Firestore trigger, Cloud Tasks, our
functions, governance, the Twilio sandbox and back through a signed WhatsApp reply."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_support import SALON_ID, Stack, eventually, start_stack, upcoming_tuesday
from localcloud.auth import emulator_id_token
from salonflow_demo.seed_picks import booking_to_cancel

DAY = upcoming_tuesday()  # a full working day, still ahead of real time


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


def _api(stack: Stack, method: str, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
    url = f"{stack.cloud.function_url('autonomous')}{path}"
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method=method,
                                     headers={"content-type": "application/json",
                                              **({"authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_a_manager_sends_a_reminder_by_hand_through_the_api_once_however_often_it_is_posted(stack: Stack) -> None:
    now = stack.dataset.as_of + timedelta(hours=11)
    stack.set_clock(now)
    project = stack.cloud.env["GOOGLE_CLOUD_PROJECT"]
    manager = emulator_id_token("uid_manager", project, {"salon_roles": {SALON_ID: "manager"}})
    staff = emulator_id_token("uid_staff", project, {"salon_roles": {SALON_ID: "staff"}})
    booking = booking_to_cancel(stack.dataset, now, min_lead=timedelta(hours=3))
    assert booking is not None
    customer = stack.dataset.customers_by_id[booking.customer_id]
    request = {"request_id": "remind-0001-abcdef", "customer_id": customer.id, "outreach_type": "no_show_prevention",
               "intent": "appointment_reminder", "booking_id": booking.id, "service_id": booking.service_id,
               "staff_id": booking.staff_id, "time_slot": booking.start_time.isoformat(), "note": "asked at the desk"}
    query = f"?salon_id={SALON_ID}"

    assert _api(stack, "POST", "/autonomous/outreach" + query, staff, request)[0] == 403
    assert _api(stack, "POST", "/autonomous/outreach" + query, None, request)[0] == 401
    status, created = _api(stack, "POST", "/autonomous/outreach" + query, manager, request)
    assert status == 201 and created["result"] == "sent", created
    again_status, again = _api(stack, "POST", "/autonomous/outreach" + query, manager, request)
    assert again_status == 200 and again["decision_id"] == created["decision_id"]
    messages = eventually(lambda: stack.messages_to(customer.phone), what="the reminder in the sandbox")
    assert len([m for m in messages if m["sid"] == created_sid(stack, created["outreach_id"])]) == 1
    assert len(stack.messages_to(customer.phone)) == len(messages)
    status, listed = _api(stack, "GET", f"/autonomous/outreach{query}&customer_id={customer.id}", staff)
    assert status == 200 and created["outreach_id"] in [o["id"] for o in listed["items"]]
    bad_status, bad = _api(stack, "POST", "/autonomous/outreach" + query, manager, {**request, "message": "hi"})
    assert bad_status == 422 and bad["error"]["code"] == "validation_failed"


def created_sid(stack: Stack, outreach_id: str) -> str:
    doc = stack.client.document(f"salons/{SALON_ID}/outreach/{outreach_id}").get().to_dict()
    return str(doc["delivery"]["message_id"])
