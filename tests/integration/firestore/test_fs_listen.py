"""Listen: on_snapshot for documents and queries sees adds, changes and removes in order."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.types import firestore as firestore_types

pytestmark = pytest.mark.integration
WAIT_S = 5


class Snapshots:
    """Collects on_snapshot callbacks so a test can wait for each one in turn."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()

    def __call__(self, snapshot: Any, changes: list[Any], read_time: Any) -> None:
        self._queue.put((snapshot, changes, read_time))

    def next(self) -> tuple[Any, list[Any], Any]:
        item: tuple[Any, list[Any], Any] = self._queue.get(timeout=WAIT_S)
        return item

    def quiet(self, seconds: float = 0.3) -> bool:
        try:
            self._queue.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


def _kinds(changes: list[Any]) -> list[tuple[str, str]]:
    return [(change.type.name, change.document.id) for change in changes]


def test_a_document_listener_sees_creation_changes_and_deletion(firestore_client: Any) -> None:
    ref = firestore_client.document("live/doc")
    seen = Snapshots()
    watch = ref.on_snapshot(seen)
    try:
        docs, _, _ = seen.next()
        assert docs == []  # the Python client reports a missing document as no documents
        ref.set({"v": 1})
        (snap,), _, _ = seen.next()
        assert snap.to_dict() == {"v": 1}
        ref.update({"v": 2})
        (snap,), _, _ = seen.next()
        assert snap.to_dict() == {"v": 2}
        ref.delete()
        docs, changes, _ = seen.next()
        assert docs == []
        assert _kinds(changes) == [("REMOVED", "doc")]
    finally:
        watch.unsubscribe()


def test_a_query_listener_sees_adds_modifies_and_removes_in_order(firestore_client: Any) -> None:
    bookings = firestore_client.collection("bookings")
    bookings.document("a").set({"staff": "priya", "at": 1})
    bookings.document("z").set({"staff": "ravi", "at": 1})
    query = bookings.where(filter=firestore.FieldFilter("staff", "==", "priya")).order_by("at")
    seen = Snapshots()
    watch = query.on_snapshot(seen)
    try:
        docs, changes, _ = seen.next()
        assert [d.id for d in docs] == ["a"]
        assert _kinds(changes) == [("ADDED", "a")]

        bookings.document("b").set({"staff": "priya", "at": 0})
        docs, changes, _ = seen.next()
        assert [d.id for d in docs] == ["b", "a"]
        assert _kinds(changes) == [("ADDED", "b")]

        bookings.document("a").update({"at": 5})
        docs, changes, _ = seen.next()
        assert _kinds(changes) == [("MODIFIED", "a")]
        assert docs[1].get("at") == 5

        bookings.document("b").update({"staff": "ravi"})  # leaves the query but still exists
        docs, changes, _ = seen.next()
        assert [d.id for d in docs] == ["a"]
        assert _kinds(changes) == [("REMOVED", "b")]

        bookings.document("a").delete()
        docs, changes, _ = seen.next()
        assert docs == []
        assert _kinds(changes) == [("REMOVED", "a")]

        bookings.document("z").update({"at": 2})  # never matched: no snapshot
        assert seen.quiet()
    finally:
        watch.unsubscribe()


def test_an_ordered_listener_leaves_out_a_document_without_the_order_field_until_it_gets_one(
    firestore_client: Any,
) -> None:
    # The listener is kept up to date from each commit's changed documents (no re-read): a document
    # that matches the filter but lacks the order_by field is not in the index, so not in the results.
    shifts = firestore_client.collection("shifts")
    shifts.document("s1").set({"staff": "priya", "start": 9})
    seen = Snapshots()
    watch = shifts.where(filter=firestore.FieldFilter("staff", "==", "priya")).order_by("start").on_snapshot(seen)
    try:
        docs, _, _ = seen.next()
        assert [d.id for d in docs] == ["s1"]
        shifts.document("s2").set({"staff": "priya"})
        assert seen.quiet()
        shifts.document("s2").update({"start": 8})
        docs, changes, _ = seen.next()
        assert [d.id for d in docs] == ["s2", "s1"]
        assert _kinds(changes) == [("ADDED", "s2")]
        shifts.document("s1").update({"start": firestore.DELETE_FIELD})
        docs, changes, _ = seen.next()
        assert [d.id for d in docs] == ["s2"]
        assert _kinds(changes) == [("REMOVED", "s1")]
    finally:
        watch.unsubscribe()


def test_a_limited_query_listener_pulls_in_the_next_document_when_one_leaves(firestore_client: Any) -> None:
    queue_ref = firestore_client.collection("queue")
    for i in range(3):
        queue_ref.document(f"q{i}").set({"pos": i})
    seen = Snapshots()
    watch = queue_ref.order_by("pos").limit(2).on_snapshot(seen)
    try:
        docs, _, _ = seen.next()
        assert [d.id for d in docs] == ["q0", "q1"]
        queue_ref.document("q0").delete()
        docs, changes, _ = seen.next()
        assert [d.id for d in docs] == ["q1", "q2"]
        assert sorted(_kinds(changes)) == [("ADDED", "q2"), ("REMOVED", "q0")]
    finally:
        watch.unsubscribe()


def test_a_batch_of_writes_arrives_as_one_snapshot(firestore_client: Any) -> None:
    coll = firestore_client.collection("batchy")
    seen = Snapshots()
    watch = coll.on_snapshot(seen)
    try:
        docs, _, _ = seen.next()
        assert docs == []
        batch = firestore_client.batch()
        for i in range(3):
            batch.set(coll.document(f"d{i}"), {"i": i})
        batch.commit()
        docs, changes, _ = seen.next()
        assert len(docs) == 3 and len(changes) == 3
    finally:
        watch.unsubscribe()


def _listen(client: Any, requests: list[Any], stop_after: int) -> list[Any]:
    """Drive the raw Listen RPC: send ``requests``, collect ``stop_after`` responses."""
    done = threading.Event()

    def request_stream() -> Any:
        yield from requests
        done.wait(WAIT_S)

    responses = []
    stream = client._firestore_api._transport.listen(request_stream(), metadata=client._rpc_metadata)
    try:
        for response in stream:
            responses.append(response)
            if len(responses) >= stop_after:
                break
    finally:
        done.set()
        stream.cancel()
    return responses


def _change_type(response: Any) -> str:
    kind = response._pb.WhichOneof("response_type")
    if kind == "target_change":
        return (
            f"{firestore_types.TargetChange.TargetChangeType(response.target_change.target_change_type).name}"
            + (f"{list(response.target_change.target_ids)}")
        )
    return kind


def test_several_targets_on_one_stream_and_removal(firestore_client: Any) -> None:
    firestore_client.document("multi/a").set({"x": 1})
    firestore_client.document("multi/b").set({"x": 2})
    database = firestore_client._database_string
    root = f"{database}/documents"
    requests = [
        firestore_types.ListenRequest(
            database=database,
            add_target=firestore_types.Target(
                target_id=1, documents=firestore_types.Target.DocumentsTarget(documents=[f"{root}/multi/a"])
            ),
        ),
        firestore_types.ListenRequest(
            database=database,
            add_target=firestore_types.Target(
                target_id=2,
                query=firestore_types.Target.QueryTarget(
                    parent=root, structured_query={"from_": [{"collection_id": "multi"}]}
                ),
            ),
        ),
        firestore_types.ListenRequest(database=database, remove_target=1),
    ]
    responses = _listen(firestore_client, requests, stop_after=10)
    kinds = [_change_type(r) for r in responses]
    assert kinds == [
        "ADD[1]",
        "document_change",
        "CURRENT[1]",
        "NO_CHANGE[]",
        "ADD[2]",
        "document_change",
        "document_change",
        "CURRENT[2]",
        "NO_CHANGE[]",
        "REMOVE[1]",
    ]


def test_resuming_with_a_token_sends_only_what_changed(firestore_client: Any) -> None:
    firestore_client.document("resume/keep").set({"v": 1})
    firestore_client.document("resume/change").set({"v": 1})
    firestore_client.document("resume/gone").set({"v": 1})
    database = firestore_client._database_string
    root = f"{database}/documents"
    target = firestore_types.Target(
        target_id=7,
        query=firestore_types.Target.QueryTarget(
            parent=root, structured_query={"from_": [{"collection_id": "resume"}]}
        ),
    )
    first = _listen(
        firestore_client, [firestore_types.ListenRequest(database=database, add_target=target)], 6
    )
    token = first[-1].target_change.resume_token
    assert token
    firestore_client.document("resume/change").set({"v": 2})
    firestore_client.document("resume/gone").delete()
    firestore_client.document("resume/new").set({"v": 1})
    target.resume_token = token
    again = _listen(
        firestore_client, [firestore_types.ListenRequest(database=database, add_target=target)], 6
    )
    kinds = [_change_type(r) for r in again]
    assert kinds[0] == "ADD[7]"
    changed = {r.document_change.document.name.rsplit("/", 1)[1] for r in again if "document_change" in r}
    deleted = {r.document_delete.document.rsplit("/", 1)[1] for r in again if "document_delete" in r}
    assert changed == {"change", "new"}
    assert deleted == {"gone"}
    assert kinds[-2:] == ["CURRENT[7]", "NO_CHANGE[]"]
