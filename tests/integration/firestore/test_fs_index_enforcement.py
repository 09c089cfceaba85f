"""Index enforcement through the real google-cloud-firestore client: an emulator started with
``--indexes`` on a temporary index file refuses what production would refuse, with production's error.

Each test cites the documented rule it exercises (see tests/unit/firestore/test_fs_indexes.py for the
sources); the unit tests cover the rules case by case, these the wire: RunQuery, RunAggregationQuery,
Listen, the FAILED_PRECONDITION status and its message, the flag itself.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.api_core.exceptions import FailedPrecondition
from google.cloud import firestore
from google.cloud.firestore_admin_v1.types import Index
from google.cloud.firestore_v1.base_query import FieldFilter, Or
from google.cloud.firestore_v1.types import firestore as firestore_types
from localcloud.testing import RunningServer, run_server

pytestmark = pytest.mark.integration

PROJECT = "demo-indexes"
INDEXES = {
    "indexes": [
        {"collectionGroup": "bookings", "queryScope": "COLLECTION", "fields": [
            {"fieldPath": "staff_id", "order": "ASCENDING"}, {"fieldPath": "start_time", "order": "ASCENDING"}]},
        {"collectionGroup": "bookings", "queryScope": "COLLECTION", "fields": [
            {"fieldPath": "status", "order": "ASCENDING"}, {"fieldPath": "start_time", "order": "ASCENDING"}]},
        {"collectionGroup": "agent_states", "queryScope": "COLLECTION_GROUP", "fields": [
            {"fieldPath": "agent_name", "order": "ASCENDING"}, {"fieldPath": "next_run", "order": "ASCENDING"}]},
    ],
    "fieldOverrides": [
        {"collectionGroup": "bookings", "fieldPath": "notes", "ttl": False, "indexes": []},
        {"collectionGroup": "bookings", "fieldPath": "price", "ttl": False,
         "indexes": [{"order": "DESCENDING", "queryScope": "COLLECTION"}]},
        {"collectionGroup": "agent_states", "fieldPath": "status", "ttl": False,
         "indexes": [{"order": "ASCENDING", "queryScope": "COLLECTION"},
                     {"order": "ASCENDING", "queryScope": "COLLECTION_GROUP"}]},
    ],
}
BOOKINGS = {
    "b1": {"staff_id": "s1", "status": "booked", "start_time": 10, "price": 500, "notes": "x", "tags": ["vip"]},
    "b2": {"staff_id": "s1", "status": "cancelled", "start_time": 20, "price": 800, "notes": "y", "tags": []},
    "b3": {"staff_id": "s2", "status": "booked", "start_time": 30, "price": 300, "notes": "z", "tags": ["vip"]},
}


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    index_file = tmp_path_factory.mktemp("indexes") / "firestore.indexes.json"
    index_file.write_text(json.dumps(INDEXES))
    with run_server("firestore", ["--project", PROJECT, "--indexes", str(index_file)]) as server:
        yield server


@pytest.fixture
def db(enforcing: RunningServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", enforcing.address)
    client = firestore.Client(project=PROJECT)
    batch = client.batch()
    for doc_id, data in BOOKINGS.items():
        batch.set(client.collection("bookings").document(doc_id), data)
    batch.set(client.document("salons/a/agent_states/gap"), {"agent_name": "gap", "status": "idle", "next_run": 5})
    batch.set(client.document("salons/b/agent_states/gap"), {"agent_name": "gap", "status": "busy", "next_run": 1})
    batch.commit()
    try:
        yield client
    finally:
        client.close()


def ids(query: Any) -> list[str]:
    return [snapshot.id for snapshot in query.stream()]


def refusal(query: Any) -> str:
    with pytest.raises(FailedPrecondition) as refused:
        list(query.stream())
    return str(refused.value.message)


def linked_index(message: str, parameter: str) -> Any:
    blob = message.split(f"?{parameter}=", 1)[1].split(" ", 1)[0]
    return Index.deserialize(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)))


def test_a_query_the_file_has_an_index_for_runs(db: Any) -> None:
    # Composite index (staff_id, start_time) serves staff_id == .. with a range on start_time.
    bookings = db.collection("bookings")
    query = bookings.where(filter=FieldFilter("staff_id", "==", "s1")).where(filter=FieldFilter("start_time", ">", 0))
    assert ids(query) == ["b1", "b2"]


def test_a_query_needing_an_undeclared_composite_index_fails_as_firestore_does(db: Any) -> None:
    # Equality plus an order on another field needs a composite index; none is declared for (staff_id, price).
    query = db.collection("bookings").where(filter=FieldFilter("staff_id", "==", "s1")).order_by(
        "price", direction="DESCENDING")
    message = refusal(query)
    assert message.startswith(
        f"The query requires an index. You can create it here: https://console.firebase.google.com/v1/r/project/"
        f"{PROJECT}/firestore/indexes?create_composite=")
    index = linked_index(message, "create_composite")
    assert index.name == f"projects/{PROJECT}/databases/(default)/collectionGroups/bookings/indexes/_"
    assert [(f.field_path, f.order.name) for f in index.fields] == [
        ("staff_id", "ASCENDING"), ("price", "DESCENDING"), ("__name__", "DESCENDING")]


def test_equality_filters_on_several_fields_run_by_merging_single_field_indexes(db: Any) -> None:
    # Index merging: equality-only queries need no composite index.
    bookings = db.collection("bookings")
    query = bookings.where(filter=FieldFilter("staff_id", "==", "s1")).where(filter=FieldFilter("status", "==", "booked"))
    assert ids(query) == ["b1"]
    assert ids(bookings.where(filter=FieldFilter("tags", "array_contains", "vip")).where(
        filter=FieldFilter("status", "==", "booked"))) == ["b1", "b3"]


def test_a_field_whose_ascending_single_field_index_is_disabled_cannot_be_ordered_ascending(db: Any) -> None:
    # fieldOverrides replace the automatic single-field indexes: price keeps only its descending one.
    bookings = db.collection("bookings")
    assert ids(bookings.order_by("price", direction="DESCENDING")) == ["b2", "b1", "b3"]
    message = refusal(bookings.order_by("price"))
    assert message.startswith("The query requires a COLLECTION_ASC index for collection bookings and field price. "
                              "You can create it here: ")
    index = linked_index(message, "create_exemption")
    assert index.name.endswith("/collectionGroups/bookings/fields/price")
    assert "notes" in refusal(bookings.where(filter=FieldFilter("notes", "==", "x")))


def test_a_collection_group_query_needs_collection_group_scope_indexes(db: Any) -> None:
    # Collection-group single-field indexes are off by default; the file enables status's.
    group = db.collection_group("agent_states")
    assert sorted(ids(group.where(filter=FieldFilter("status", "==", "idle")))) == ["gap"]
    message = refusal(group.where(filter=FieldFilter("next_run", ">", 0)))
    assert message.startswith("The query requires a COLLECTION_GROUP_ASC index for collection agent_states and "
                              "field next_run.")
    due = group.where(filter=FieldFilter("agent_name", "==", "gap")).where(filter=FieldFilter("next_run", "<=", 3))
    assert [snapshot.reference.path for snapshot in due.stream()] == ["salons/b/agent_states/gap"]


def test_ranges_on_several_fields_need_a_composite_and_the_refusal_says_so(db: Any) -> None:
    # Multiple inequality fields: one composite ordered (price, start_time); the refusal adds the guide.
    query = db.collection("bookings").where(filter=FieldFilter("start_time", ">", 0)).where(
        filter=FieldFilter("price", "<", 1000))
    message = refusal(query)
    assert "The query contains range and inequality filters on multiple fields" in message
    assert [f.field_path for f in linked_index(message, "create_composite").fields] == [
        "price", "start_time", "__name__"]


def test_not_equal_is_an_inequality_that_needs_a_composite_with_an_equality(db: Any) -> None:
    # != orders by its field: status == .. and staff_id != .. need (status, staff_id).
    query = db.collection("bookings").where(filter=FieldFilter("status", "==", "booked")).where(
        filter=FieldFilter("staff_id", "!=", "s9"))
    assert "create_composite=" in refusal(query)
    assert ids(db.collection("bookings").where(filter=FieldFilter("staff_id", "not-in", ["s2"]))) == ["b1", "b2"]


def test_each_disjunct_of_an_or_query_needs_an_index_in_the_query_order(db: Any) -> None:
    # OR: (staff_id, start_time) and (status, start_time) both exist; (tags, start_time) does not.
    bookings = db.collection("bookings")
    served = bookings.where(filter=Or([FieldFilter("staff_id", "==", "s2"), FieldFilter("status", "==", "cancelled")]))
    assert ids(served.order_by("start_time")) == ["b2", "b3"]
    unserved = bookings.where(filter=Or([FieldFilter("staff_id", "==", "s2"), FieldFilter("tags", "array_contains", "vip")]))
    assert "create_composite=" in refusal(unserved.order_by("start_time"))


def test_aggregations_need_their_querys_index_and_sum_needs_the_summed_field_indexed(db: Any) -> None:
    # COUNT uses the query's index; SUM/AVG scan the aggregated field's index.
    bookings = db.collection("bookings")
    assert bookings.where(filter=FieldFilter("status", "==", "booked")).count().get()[0][0].value == 2
    assert bookings.sum("start_time").get()[0][0].value == 60
    with pytest.raises(FailedPrecondition, match="COLLECTION_ASC index for collection bookings and field notes"):
        bookings.avg("notes").get()
    with pytest.raises(FailedPrecondition, match="create_composite="):
        bookings.where(filter=FieldFilter("status", "==", "booked")).sum("price").get()


def test_a_listener_on_a_query_without_its_index_gets_its_target_removed_with_the_error(db: Any) -> None:
    # Production refuses a listen target whose query lacks an index: REMOVE with cause FAILED_PRECONDITION.
    database = db._database_string
    query = db.collection("bookings").where(filter=FieldFilter("staff_id", "==", "s1")).order_by("price")
    target = firestore_types.Target(
        target_id=7, query=firestore_types.Target.QueryTarget(parent=f"{database}/documents",
                                                              structured_query=query._to_protobuf()))
    done = threading.Event()

    def requests() -> Iterator[Any]:
        yield firestore_types.ListenRequest(database=database, add_target=target)
        done.wait(10)

    stream = db._firestore_api._transport.listen(requests(), metadata=db._rpc_metadata)
    try:
        first = next(iter(stream))
    finally:
        done.set()
        stream.cancel()
    change = first.target_change
    assert change.target_change_type == firestore_types.TargetChange.TargetChangeType.REMOVE
    assert list(change.target_ids) == [7]
    assert change.cause.code == 9  # FAILED_PRECONDITION
    assert change.cause.message.startswith("The query requires an index.")


def test_without_the_flag_every_query_runs_as_in_googles_emulator(firestore_client: Any) -> None:
    # This suite's shared emulator has no --indexes: the query refused above runs.
    for doc_id, data in BOOKINGS.items():
        firestore_client.collection("bookings").document(doc_id).set(data)
    query = firestore_client.collection("bookings").where(filter=FieldFilter("staff_id", "==", "s1")).order_by(
        "price", direction="DESCENDING")
    assert ids(query) == ["b2", "b1"]


def test_an_index_file_the_firebase_cli_would_not_deploy_stops_the_emulator_before_ready(tmp_path: Path) -> None:
    broken = tmp_path / "firestore.indexes.json"
    broken.write_text(json.dumps({"indexes": [{"collectionGroup": "c", "fields": [{"fieldPath": "a"}]}]}))
    result = subprocess.run(
        [sys.executable, "-m", "localcloud", "firestore", "--port", "0", "--indexes", str(broken)],
        capture_output=True, text=True, timeout=60, env={**os.environ},
    )
    assert result.returncode == 2 and "ready" not in result.stdout
    assert "indexes[0].fields[0]: needs exactly one of order, arrayConfig, vectorConfig" in result.stderr
