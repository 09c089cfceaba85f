"""One idempotency mechanism: a replayed handler runs its body once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore
from salonflow.adapters.firestore.governance_idempotency import IdempotencyStore, idempotent
from salonflow.governance.clock import ManualClock
from salonflow.governance.idempotency import IdempotencyInProgress, IdempotencyKeyReused, IdempotencyStatus

pytestmark = pytest.mark.integration

SALON = "salon_idem"
START = datetime(2024, 1, 15, 6, 0, tzinfo=UTC)


def test_a_replayed_event_returns_the_stored_result_without_running_again(
    firestore_client: firestore.Client,
) -> None:
    store = IdempotencyStore(firestore_client, SALON, ManualClock(START))
    runs: list[dict[str, Any]] = []

    @idempotent(lambda event: (store, f"{event['source']}:{event['id']}", event))
    def handle(event: dict[str, Any]) -> dict[str, Any]:
        runs.append(event)
        return {"sent": 1, "outreach_id": "out_1"}

    event = {"source": "//pubsub/salon-events", "id": "evt-1", "data": {"gap": "gap_1"}}
    assert handle(event) == {"sent": 1, "outreach_id": "out_1"}
    assert handle(dict(event)) == {"sent": 1, "outreach_id": "out_1"}
    assert len(runs) == 1
    record = store.status("//pubsub/salon-events:evt-1")
    assert record is not None and record.status is IdempotencyStatus.COMPLETED


def test_concurrent_deliveries_of_one_task_run_the_body_once(firestore_client: firestore.Client) -> None:
    store = IdempotencyStore(firestore_client, SALON, ManualClock(START))
    runs: list[int] = []
    started = threading.Event()
    release = threading.Event()
    outcomes: list[str] = []
    lock = threading.Lock()

    def deliver(i: int) -> None:
        try:
            with store.guard("task:send-1", {"outreach": "out_1"}) as run:
                if run.replayed:
                    outcome = "replayed"
                else:
                    runs.append(i)
                    started.set()
                    release.wait(5)
                    run.complete({"ok": True})
                    outcome = "ran"
        except IdempotencyInProgress:
            outcome = "in_progress"
        with lock:
            outcomes.append(outcome)

    first = threading.Thread(target=deliver, args=(0,))
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=deliver, args=(i,)) for i in range(1, 6)]
    for t in others:
        t.start()
    for t in others:
        t.join()
    release.set()
    first.join()
    deliver(99)

    assert runs == [0]
    assert sorted(outcomes) == ["in_progress"] * 5 + ["ran", "replayed"]


def test_a_failed_run_can_be_retried(firestore_client: firestore.Client) -> None:
    store = IdempotencyStore(firestore_client, SALON, ManualClock(START))
    attempts: list[int] = []

    @idempotent(lambda n: (store, "sched:job-1@2024-01-15T06:00", {"n": n}))
    def job(n: int) -> int:
        attempts.append(n)
        if len(attempts) == 1:
            raise RuntimeError("Twilio timed out")
        return n * 2

    with pytest.raises(RuntimeError):
        job(21)
    assert job(21) == 42
    assert job(21) == 42
    assert attempts == [21, 21]


def test_a_crashed_run_is_taken_over_after_its_lease(firestore_client: firestore.Client) -> None:
    clock = ManualClock(START)
    store = IdempotencyStore(firestore_client, SALON, clock)
    crashed = store._acquire("webhook:SM1:delivered", "hash-x")  # a run that never finished
    assert not crashed.replayed
    with pytest.raises(IdempotencyInProgress):
        store._acquire("webhook:SM1:delivered", "hash-x")
    clock.advance(timedelta(minutes=5))
    taken = store._acquire("webhook:SM1:delivered", "hash-x")
    assert not taken.replayed
    taken.complete("done")
    with pytest.raises(Exception, match="taken over"):
        crashed.complete("late")


def test_a_key_reused_with_another_payload_is_rejected(firestore_client: firestore.Client) -> None:
    store = IdempotencyStore(firestore_client, SALON, ManualClock(START))
    with store.guard("task:x", {"a": 1}) as run:
        run.complete(1)
    with pytest.raises(IdempotencyKeyReused), store.guard("task:x", {"a": 2}):
        pass


def test_an_error_after_completion_keeps_the_stored_result(firestore_client: firestore.Client) -> None:
    store = IdempotencyStore(firestore_client, SALON, ManualClock(START))
    with pytest.raises(RuntimeError), store.guard("task:y", {"a": 1}) as run:
        run.complete({"sent": True})
        raise RuntimeError("publishing the event failed after the send was recorded")
    with store.guard("task:y", {"a": 1}) as again:
        assert again.replayed and again.result == {"sent": True}
