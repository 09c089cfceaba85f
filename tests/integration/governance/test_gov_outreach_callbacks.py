"""Twilio status callbacks, shuffled and duplicated, end in the right state."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import firestore
from salonflow.adapters.firestore.governance_outreach import OutreachStatusStore

pytestmark = pytest.mark.integration

SALON = "salon_cb"
T0 = datetime(2024, 1, 15, 6, 0, tzinfo=UTC)
EVENTS = [("queued", T0), ("sent", T0 + timedelta(seconds=1)), ("delivered", T0 + timedelta(seconds=3)),
          ("read", T0 + timedelta(seconds=9))]


def seed(client: firestore.Client, outreach_id: str, sid: str) -> None:
    client.collection("salons", SALON, "outreach").document(outreach_id).set({
        "id": outreach_id, "salon_id": SALON, "status": "pending", "attempts": 1, "last_attempt_at": T0,
        "delivery": {"message_id": sid, "sent_at": None, "delivered_at": None, "read_at": None, "error": None},
    })


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_shuffled_duplicated_concurrent_callbacks_end_read_with_every_timestamp(
    firestore_client: firestore.Client, seed_value: int,
) -> None:
    seed(firestore_client, "out_a", "SM_a")
    store = OutreachStatusStore(firestore_client, SALON)
    callbacks = EVENTS * 3
    random.Random(seed_value).shuffle(callbacks)

    threads = [threading.Thread(target=store.apply_callback, args=("out_a", status, at))
               for status, at in callbacks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    doc = firestore_client.collection("salons", SALON, "outreach").document("out_a").get().to_dict()
    assert doc is not None
    assert doc["status"] == "read"
    assert (doc["delivery"]["sent_at"], doc["delivery"]["delivered_at"], doc["delivery"]["read_at"]) == (
        EVENTS[1][1], EVENTS[2][1], EVENTS[3][1])


def test_a_late_sent_and_a_duplicate_write_nothing(firestore_client: firestore.Client) -> None:
    seed(firestore_client, "out_b", "SM_b")
    store = OutreachStatusStore(firestore_client, SALON)
    store.apply_callback("out_b", "delivered", EVENTS[2][1])
    store.apply_callback("out_b", "sent", EVENTS[1][1])  # fills sent_at only
    before = firestore_client.collection("salons", SALON, "outreach").document("out_b").get()
    assert store.apply_callback("out_b", "delivered", EVENTS[2][1]).changes == {}
    assert store.apply_callback("out_b", "sent", EVENTS[1][1]).changes == {}
    after = firestore_client.collection("salons", SALON, "outreach").document("out_b").get()
    assert after.update_time == before.update_time
    assert after.get("status") == "delivered"


def test_a_failure_after_sent_is_final(firestore_client: firestore.Client) -> None:
    seed(firestore_client, "out_c", "SM_c")
    store = OutreachStatusStore(firestore_client, SALON)
    for status in ("sent", "undelivered", "delivered", "read"):
        store.apply_callback("out_c", status, T0 + timedelta(seconds=5), error_code=30003)
    doc = firestore_client.collection("salons", SALON, "outreach").document("out_c").get().to_dict()
    assert doc is not None and doc["status"] == "failed"
    assert doc["delivery"]["error"] == "twilio_undelivered:30003"


def test_a_send_stuck_without_a_provider_record_is_marked_unknown_not_resent(
    firestore_client: firestore.Client,
) -> None:
    seed(firestore_client, "out_d", "")
    store = OutreachStatusStore(firestore_client, SALON)
    update = store.apply_reconciliation("out_d", None, None, T0 + timedelta(minutes=15))
    doc = firestore_client.collection("salons", SALON, "outreach").document("out_d").get().to_dict()
    assert update.status.value == "failed"
    assert doc is not None and doc["delivery"]["error"] == "send_outcome_unknown"
    assert doc["attempts"] == 1


def test_recording_the_send_after_fast_callbacks_keeps_what_they_reported_and_each_report_is_logged_once(
    firestore_client: firestore.Client,
) -> None:
    from salonflow.observability import log

    recorder = log.Recorder()
    log.add_sink(recorder)
    try:
        store = OutreachStatusStore(firestore_client, SALON)
        seed(firestore_client, "out_fast", "")
        store.apply_callback("out_fast", "delivered", T0 + timedelta(seconds=2))  # before our own write lands
        store.record_send("out_fast", "SM_fast", "queued", T0 + timedelta(seconds=3))
        store.apply_callback("out_fast", "delivered", T0 + timedelta(seconds=4))  # Twilio retries the callback
        seed(firestore_client, "out_failed", "")
        store.apply_callback("out_failed", "undelivered", T0 + timedelta(seconds=2), 30005)
        store.record_send("out_failed", "SM_failed", "queued", T0 + timedelta(seconds=3))
    finally:
        log.remove_sink(recorder)
    outreach = firestore_client.collection("salons", SALON, "outreach")
    fast = outreach.document("out_fast").get().to_dict() or {}
    assert (fast["status"], fast["delivery"]["message_id"]) == ("delivered", "SM_fast")
    assert fast["delivery"]["sent_at"] == T0 + timedelta(seconds=3)  # learned late, filled in
    failed = outreach.document("out_failed").get().to_dict() or {}
    assert (failed["status"], failed["delivery"]["message_id"]) == ("failed", "SM_failed")
    assert [(e["outreach_id"], e["result"]) for e in recorder.entries] == [
        ("out_fast", "delivered"), ("out_failed", "undelivered")]
