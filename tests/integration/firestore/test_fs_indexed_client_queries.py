"""Equality queries the emulator answers from its field indexes, through the official client.

Each query is compared with the same query read at ``read_time``: reads at a time go through the
version history, a scan of the whole collection with no index, so the two must agree document for
document after every kind of write the client can send.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest
from fs_helpers import clear
from google.cloud.firestore_v1.base_query import FieldFilter
from localcloud.testing import RunningServer
from test_fs_persistence import client_of, emulator

STATUSES = ["open", "booked", "cancelled", None]


def booking(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "staff_id": f"s{i % 7}",
        "customer_id": f"c{rng.randrange(40)}",
        "status": rng.choice(STATUSES),
        "price": rng.choice([500, 500.0, 750, 1200.5]),
        "start": i * 10,
        "approval": {"status": rng.choice(["pending", "approved"])},
        "tags": rng.sample(["vip", "new", "late", "no-show"], k=rng.randrange(3)),
    }


def queries(collection: Any) -> list[Any]:
    return [
        collection.where(filter=FieldFilter("status", "==", "open")),
        collection.where(filter=FieldFilter("status", "==", None)),
        collection.where(filter=FieldFilter("price", "==", 500)),  # 500 and 500.0 alike
        collection.where(filter=FieldFilter("staff_id", "in", ["s1", "s3", "s3"]))
        .where(filter=FieldFilter("start", ">=", 200)),
        collection.where(filter=FieldFilter("customer_id", "in", ["c1", "c2", "c5"]))
        .where(filter=FieldFilter("approval.status", "==", "pending"))
        .order_by("start", direction="DESCENDING")
        .limit(3),
        collection.where(filter=FieldFilter("tags", "array_contains", "vip")),
        collection.where(filter=FieldFilter("tags", "array_contains_any", ["late", "no-show"]))
        .where(filter=FieldFilter("status", "==", "booked")),
    ]


def latest_commit_time(client: Any, marker: Any) -> Any:
    """A read time that includes everything written so far: the update time of a fresh write (a server
    timestamp, so the write always changes the document and gets a new update time)."""
    from google.cloud import firestore

    return marker.set({"at": firestore.SERVER_TIMESTAMP}).update_time


def assert_indexed_equals_scanned(client: Any, collection: Any) -> None:
    read_time = latest_commit_time(client, client.collection("markers").document("m"))
    for query in queries(collection):
        indexed = [(snap.id, snap.to_dict()) for snap in query.get()]
        scanned = [(snap.id, snap.to_dict()) for snap in query.get(read_time=read_time)]
        assert indexed == scanned


def test_indexed_queries_agree_with_a_scan_through_sets_updates_deletes_transactions_and_batch_writes(
    firestore_client: Any,
) -> None:
    from google.cloud import firestore

    rng = random.Random(4)
    bookings = firestore_client.collection("salons").document("s").collection("bookings")
    batch = firestore_client.batch()
    for i in range(300):
        batch.set(bookings.document(f"b{i:03d}"), booking(i, rng))
    batch.commit()
    assert_indexed_equals_scanned(firestore_client, bookings)

    for i in range(0, 300, 7):  # move documents between the indexed values
        bookings.document(f"b{i:03d}").update({"status": rng.choice(STATUSES), "approval.status": "pending",
                                               "price": firestore.Increment(0.0)})
    for i in range(1, 300, 11):
        bookings.document(f"b{i:03d}").delete()
    for i in range(2, 300, 13):
        bookings.document(f"b{i:03d}").set(  # some were deleted just above: merging creates them again
            {"tags": firestore.ArrayUnion(["vip"]), "status": firestore.DELETE_FIELD}, merge=True
        )
    assert_indexed_equals_scanned(firestore_client, bookings)

    @firestore.transactional
    def reopen(transaction: Any) -> None:
        cancelled = list(bookings.where(filter=FieldFilter("status", "==", "cancelled")).limit(5)
                         .stream(transaction=transaction))
        for snapshot in cancelled:
            transaction.update(snapshot.reference, {"status": "open"})

    reopen(firestore_client.transaction())
    writer = firestore_client.bulk_writer()  # BatchWrite
    for i in range(3, 300, 5):
        writer.set(bookings.document(f"b{i:03d}"), booking(i + 1, rng))
    writer.close()
    assert_indexed_equals_scanned(firestore_client, bookings)


def test_a_recursive_delete_and_a_cleared_database_leave_nothing_for_the_indexes_to_find(
    firestore_client: Any, firestore_emulator: RunningServer
) -> None:
    rng = random.Random(5)
    salon = firestore_client.collection("salons").document("gone")
    bookings = salon.collection("bookings")
    for i in range(40):
        bookings.document(f"b{i}").set(booking(i, rng))
    group = firestore_client.collection_group("bookings").where(filter=FieldFilter("staff_id", "==", "s1"))
    assert len(group.get()) == len(bookings.where(filter=FieldFilter("staff_id", "==", "s1")).get()) > 0
    firestore_client.recursive_delete(salon)
    assert group.get() == [] and queries_find_nothing(bookings)

    for i in range(40):
        bookings.document(f"b{i}").set(booking(i, rng))
    clear(firestore_emulator)
    assert group.get() == [] and queries_find_nothing(bookings)
    bookings.document("again").set({"staff_id": "s1"})
    assert [snap.id for snap in group.get()] == ["again"]


def queries_find_nothing(collection: Any) -> bool:
    return all(query.get() == [] for query in queries(collection))


def test_a_listener_on_an_indexed_query_with_a_limit_follows_documents_moving_in_and_out(
    firestore_client: Any,
) -> None:
    rng = random.Random(6)
    bookings = firestore_client.collection("bookings")
    for i in range(30):
        bookings.document(f"b{i:02d}").set({**booking(i, rng), "status": "open" if i % 3 else "booked"})
    query = bookings.where(filter=FieldFilter("status", "==", "open")).order_by("start").limit(4)
    seen: list[list[str]] = []
    changed = threading.Event()

    def on_snapshot(snapshots: Any, _changes: Any, _read_time: Any) -> None:
        seen.append([snap.id for snap in snapshots])
        changed.set()

    watch = query.on_snapshot(on_snapshot)
    try:
        for step in (lambda: bookings.document("b01").update({"status": "booked"}),
                     lambda: bookings.document("b00").update({"status": "open"}),
                     lambda: bookings.document("b02").delete()):
            changed.wait(10)
            changed.clear()
            step()
        expected = [snap.id for snap in query.get()]
        assert expected == ["b00", "b04", "b05", "b07"]
        for _ in range(50):
            if seen and seen[-1] == expected:
                break
            changed.wait(0.2)
            changed.clear()
        assert seen[-1] == expected
    finally:
        watch.unsubscribe()


def test_equality_queries_find_the_documents_a_restart_replayed_from_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(8)
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        bookings = client.collection("bookings")
        for i in range(60):
            bookings.document(f"b{i:02d}").set(booking(i, rng))
        assert_indexed_equals_scanned(client, bookings)  # the indexes exist before the restart
        bookings.document("b00").delete()
        expected = [[snap.id for snap in query.get()] for query in queries(bookings)]
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        bookings = client.collection("bookings")
        assert [[snap.id for snap in query.get()] for query in queries(bookings)] == expected
        bookings.document("b00").set({"status": "open", "staff_id": "s1", "start": 1000})
        assert "b00" in [snap.id for snap in bookings.where(filter=FieldFilter("status", "==", "open")).get()]
        assert_indexed_equals_scanned(client, bookings)
