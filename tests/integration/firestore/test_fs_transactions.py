"""Transactions: pessimistic locks, contention, ABORTED within a bounded wait, read-only and read_time reads."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import firestore
from localcloud.testing import RunningServer, run_server

pytestmark = pytest.mark.integration
PROJECT_ID = "demo-salonflow"


def test_counter_increments_from_several_threads_end_exact(firestore_client: Any) -> None:
    counter = firestore_client.document("counters/shared")
    counter.set({"n": 0})
    threads, per_thread = 8, 6
    failures: list[BaseException] = []

    def worker() -> None:
        client = firestore.Client(project=PROJECT_ID)

        @firestore.transactional
        def bump(transaction: Any) -> None:
            snapshot = client.document("counters/shared").get(transaction=transaction)
            transaction.update(snapshot.reference, {"n": snapshot.get("n") + 1})

        try:
            for _ in range(per_thread):
                bump(client.transaction())
        except BaseException as exc:
            failures.append(exc)
        finally:
            client.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    assert not failures
    assert counter.get().get("n") == threads * per_thread


def test_a_transaction_sees_its_reads_locked_until_it_commits(firestore_client: Any) -> None:
    ref = firestore_client.document("locks/doc")
    ref.set({"v": "before"})
    transaction = firestore_client.transaction()
    transaction._begin()
    assert ref.get(transaction=transaction).get("v") == "before"
    done = threading.Event()

    def outside_write() -> None:
        ref.set({"v": "outside"})
        done.set()

    thread = threading.Thread(target=outside_write)
    thread.start()
    assert not done.wait(0.3), "a plain write must wait for the transaction's lock"
    transaction.set(ref, {"v": "inside"})
    transaction._commit()
    thread.join(5)
    assert done.is_set()
    assert ref.get().get("v") == "outside"


def test_rollback_releases_locks_and_discards_writes(firestore_client: Any) -> None:
    ref = firestore_client.document("locks/rb")
    ref.set({"v": 1})
    transaction = firestore_client.transaction()
    transaction._begin()
    ref.get(transaction=transaction)
    transaction.set(ref, {"v": 2})
    transaction._rollback()
    started = time.monotonic()
    ref.set({"v": 3})
    assert time.monotonic() - started < 1
    assert ref.get().get("v") == 3


def test_read_only_transaction_reads_one_snapshot(firestore_client: Any) -> None:
    ref = firestore_client.document("snap/a")
    ref.set({"v": 1})
    transaction = firestore_client.transaction(read_only=True)
    transaction._begin()
    assert ref.get(transaction=transaction).get("v") == 1
    ref.set({"v": 2})  # never blocked by a read-only transaction
    assert ref.get(transaction=transaction).get("v") == 1
    results = list(firestore_client.collection("snap").stream(transaction=transaction))
    assert [s.get("v") for s in results] == [1]
    transaction._commit()
    with pytest.raises(ValueError):
        transaction.set(ref, {"v": 3})


def test_reads_at_a_past_read_time_see_the_old_version(firestore_client: Any) -> None:
    ref = firestore_client.document("history/a")
    first = ref.set({"v": 1})
    firestore_client.document("history/b").set({"v": 10})
    ref.set({"v": 2})
    firestore_client.document("history/b").delete()
    at = first.update_time
    assert ref.get(read_time=at).get("v") == 1
    assert ref.get().get("v") == 2
    old = list(firestore_client.collection("history").stream(read_time=at))
    assert [s.id for s in old] == ["a"]
    later = list(firestore_client.collection("history").order_by("v").stream())
    assert [s.get("v") for s in later] == [2]


def test_transactional_reads_by_query_see_data_and_commit(firestore_client: Any) -> None:
    for i in range(3):
        firestore_client.document(f"bookings/{i}").set({"slot": i, "taken": False})

    @firestore.transactional
    def take_first_free(transaction: Any) -> str:
        free = firestore_client.collection("bookings").where(
            filter=firestore.FieldFilter("taken", "==", False)
        )
        first = next(iter(free.order_by("slot").limit(1).stream(transaction=transaction)))
        transaction.update(first.reference, {"taken": True})
        return str(first.id)

    assert take_first_free(firestore_client.transaction()) == "0"
    assert take_first_free(firestore_client.transaction()) == "1"


def test_errors_inside_a_transaction_surface_unchanged(firestore_client: Any) -> None:
    @firestore.transactional
    def update_missing(transaction: Any) -> None:
        transaction.update(firestore_client.document("nowhere/x"), {"a": 1})

    with pytest.raises(exceptions.NotFound):
        update_missing(firestore_client.transaction())


@pytest.fixture(scope="module")
def short_lock_emulator() -> Iterator[RunningServer]:
    with run_server("firestore", ["--project", PROJECT_ID, "--lock-timeout", "0.5"]) as server:
        yield server


def test_contention_with_an_idle_older_transaction_is_aborted_within_the_lock_timeout(
    short_lock_emulator: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(os.environ, "FIRESTORE_EMULATOR_HOST", short_lock_emulator.address)
    client = firestore.Client(project=PROJECT_ID)
    ref = client.document("contended/doc")
    ref.set({"n": 0})
    older = client.transaction()
    older._begin()
    ref.get(transaction=older)  # holds the lock and then idles
    younger = client.transaction()
    younger._begin()
    ref.get(transaction=younger)
    younger.update(ref, {"n": 1})
    started = time.monotonic()
    with pytest.raises(exceptions.Aborted) as raised:
        younger._commit()
    assert time.monotonic() - started < 3
    assert raised.value.message == "Too much contention on these documents. Please try again."
    # The older transaction wins: committing wounds nobody it must wait for, and its write lands.
    older.update(ref, {"n": 2})
    older._commit()
    assert ref.get().get("n") == 2
    client.close()


def test_an_older_transaction_reading_a_document_wounds_the_younger_holder(
    short_lock_emulator: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(os.environ, "FIRESTORE_EMULATOR_HOST", short_lock_emulator.address)
    client = firestore.Client(project=PROJECT_ID)
    ref = client.document("contended/wound")
    ref.set({"n": 0})
    older = client.transaction()
    older._begin()
    younger = client.transaction()
    younger._begin()
    ref.get(transaction=younger)
    started = time.monotonic()
    ref.get(transaction=older)  # no waiting on the younger holder
    older.update(ref, {"n": 1})
    older._commit()
    assert time.monotonic() - started < 0.4
    younger.update(ref, {"n": 99})
    with pytest.raises(exceptions.Aborted):
        younger._commit()
    assert ref.get().get("n") == 1
    client.close()


def test_a_younger_transaction_reading_a_locked_document_waits_and_sees_the_committed_value(
    firestore_client: Any,
) -> None:
    ref = firestore_client.document("queue/doc")
    ref.set({"n": 0})
    older = firestore_client.transaction()
    older._begin()
    younger = firestore_client.transaction()
    younger._begin()
    ref.get(transaction=older)
    seen: list[int] = []
    reader = threading.Thread(target=lambda: seen.append(ref.get(transaction=younger).get("n")))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive(), "the younger reader must queue behind the older holder"
    older.update(ref, {"n": 1})
    older._commit()
    reader.join(5)
    assert seen == [1]
    younger.update(ref, {"n": seen[0] + 1})
    younger._commit()
    assert ref.get().get("n") == 2


def test_transactions_locking_documents_in_opposite_orders_never_deadlock(firestore_client: Any) -> None:
    first, second = firestore_client.document("pair/a"), firestore_client.document("pair/b")
    first.set({"n": 0})
    second.set({"n": 0})
    both_read_one = threading.Barrier(2, timeout=5)
    failures: list[BaseException] = []

    def worker(order: tuple[Any, Any]) -> None:
        client = firestore.Client(project=PROJECT_ID)
        attempts = 0

        @firestore.transactional
        def move(transaction: Any) -> None:
            nonlocal attempts
            attempts += 1
            one = client.document(order[0].path).get(transaction=transaction)
            if attempts == 1:
                both_read_one.wait()  # each holds one document and now wants the other
            two = client.document(order[1].path).get(transaction=transaction)
            transaction.update(one.reference, {"n": one.get("n") + 1})
            transaction.update(two.reference, {"n": two.get("n") + 1})

        try:
            move(client.transaction())
        except BaseException as exc:
            failures.append(exc)
        finally:
            client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(o,)) for o in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not failures
    assert time.monotonic() - started < 5
    assert first.get().get("n") == second.get().get("n") == 2
