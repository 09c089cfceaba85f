"""Listing, bulk writes, recursive delete, named databases, async and firebase_admin clients, HTTP extras."""

from __future__ import annotations

import urllib.error
from typing import Any

import pytest
from fs_helpers import PROJECT_ID, clear, http, stats
from google.api_core import exceptions
from google.cloud import firestore
from localcloud.testing import RunningServer

pytestmark = pytest.mark.integration


def test_list_documents_shows_missing_parents_of_subcollections(firestore_client: Any) -> None:
    salons = firestore_client.collection("salons")
    salons.document("real").set({"name": "Real"})
    salons.document("phantom").collection("staff").document("p").set({"name": "Priya"})
    listed = {ref.id: ref for ref in salons.list_documents()}
    assert set(listed) == {"phantom", "real"}
    assert not listed["phantom"].get().exists
    assert [c.id for c in listed["phantom"].collections()] == ["staff"]


def test_list_documents_pages_through_every_document_in_name_order(firestore_client: Any) -> None:
    coll = firestore_client.collection("paged")
    ids = [f"d{i:02d}" for i in range(7)]
    for doc_id in ids:
        coll.document(doc_id).set({"id": doc_id})
    assert [ref.id for ref in coll.list_documents(page_size=3)] == ids
    api = firestore_client._firestore_api
    page = api.list_documents(
        request={
            "parent": f"{firestore_client._database_string}/documents",
            "collection_id": "paged",
            "page_size": 3,
        },
        metadata=firestore_client._rpc_metadata,
    )
    first_page = next(iter(page.pages))
    assert [d.name.rsplit("/", 1)[1] for d in first_page.documents] == ids[:3]
    assert first_page.next_page_token


def test_collections_lists_root_and_subcollection_ids(firestore_client: Any) -> None:
    firestore_client.document("b_coll/x").set({})
    firestore_client.document("a_coll/y/sub2/z").set({})
    firestore_client.document("a_coll/y/sub1/z").set({})
    assert [c.id for c in firestore_client.collections()] == ["a_coll", "b_coll"]
    assert [c.id for c in firestore_client.document("a_coll/y").collections(page_size=1)] == ["sub1", "sub2"]


def test_bulk_writer_applies_every_write_and_reports_failures_per_write(firestore_client: Any) -> None:
    coll = firestore_client.collection("bulk")
    coll.document("exists").set({"v": 0})
    failures: list[Any] = []
    bulk = firestore_client.bulk_writer()

    def give_up(error: Any, _writer: Any) -> bool:
        failures.append(error)
        return False  # no retry: the failure is the point

    bulk.on_write_error(give_up)
    for i in range(30):
        bulk.set(coll.document(f"d{i}"), {"i": i})
    bulk.create(coll.document("exists"), {"v": 1})
    bulk.close()
    assert len(list(coll.stream())) == 31
    assert len(failures) == 1 and failures[0].code == 6  # ALREADY_EXISTS, the rest still applied


def test_batch_write_is_not_atomic_and_returns_a_status_per_write(firestore_client: Any) -> None:
    from google.cloud.firestore_v1.types import common, document, write

    root = f"{firestore_client._database_string}/documents"
    response = firestore_client._firestore_api.batch_write(
        request={
            "database": firestore_client._database_string,
            "writes": [
                write.Write(update=document.Document(name=f"{root}/bw/ok")),
                write.Write(
                    update=document.Document(name=f"{root}/bw/missing"),
                    current_document=common.Precondition(exists=True),
                ),
            ],
        },
        metadata=firestore_client._rpc_metadata,
    )
    assert [s.code for s in response.status] == [0, 5]
    assert response.status[1].message == f"No document to update: {root}/bw/missing"
    assert response.write_results[0].update_time
    assert firestore_client.document("bw/ok").get().exists


def test_recursive_delete_removes_a_collection_and_everything_below(firestore_client: Any) -> None:
    salons = firestore_client.collection("salons")
    for i in range(5):
        salon = salons.document(f"s{i}")
        salon.set({"i": i})
        salon.collection("staff").document("a").set({"n": 1})
        salon.collection("staff").document("a").collection("shifts").document("mon").set({"n": 1})
    firestore_client.document("keep/me").set({"n": 1})
    deleted = firestore_client.recursive_delete(salons)
    assert deleted == 15
    assert list(firestore_client.collection_group("staff").stream()) == []
    assert [c.id for c in firestore_client.collections()] == ["keep"]


def test_named_databases_are_created_on_first_use_and_isolated(
    firestore_client: Any, other_db_client: Any
) -> None:
    other_db_client.document("a/b").set({"db": "other"})
    firestore_client.document("a/b").set({"db": "default"})
    assert other_db_client.document("a/b").get().to_dict() == {"db": "other"}
    assert firestore_client.document("a/b").get().to_dict() == {"db": "default"}
    assert [s.id for s in other_db_client.collection("a").stream()] == ["b"]


def test_aggregations_count_sum_and_avg(firestore_client: Any) -> None:
    coll = firestore_client.collection("agg")
    for i in range(4):
        coll.document(f"d{i}").set({"n": i})
    query = coll.where(filter=firestore.FieldFilter("n", ">=", 1))
    assert query.count(alias="c").get()[0][0].value == 3
    assert query.sum("n").get()[0][0].value == 6
    assert query.avg("n").get()[0][0].value == 2.0


async def test_the_async_client_reads_writes_queries_and_runs_transactions(async_client: Any) -> None:
    ref = async_client.document("async/doc")
    await ref.set({"n": 1})
    await ref.update({"n": firestore.Increment(1)})
    assert (await ref.get()).to_dict() == {"n": 2}

    @firestore.async_transactional
    async def double(transaction: Any) -> None:
        snapshot = await ref.get(transaction=transaction)
        transaction.update(ref, {"n": snapshot.get("n") * 2})

    await double(async_client.transaction())
    assert [s.get("n") async for s in async_client.collection("async").stream()] == [4]
    await ref.delete()
    assert not (await ref.get()).exists


def test_firebase_admin_firestore_client_works_against_the_emulator(
    admin_app: Any, firestore_client: Any
) -> None:
    from firebase_admin import firestore as admin_firestore

    db = admin_firestore.client(admin_app)
    db.collection("admin").document("x").set({"by": "firebase_admin"})
    assert firestore_client.document("admin/x").get().to_dict() == {"by": "firebase_admin"}
    with pytest.raises(exceptions.AlreadyExists):
        db.collection("admin").document("x").create({})


def test_http_extras_clear_a_database_and_count_reads_writes_and_deletes(
    firestore_emulator: RunningServer, firestore_client: Any
) -> None:
    assert http(firestore_emulator, "GET", "/") == (200, b"Ok")
    http(firestore_emulator, "DELETE", f"/emulator/v1/projects/{PROJECT_ID}/databases/(default):stats")
    ref = firestore_client.document("stats/a")
    ref.set({"v": 1})
    ref.get()
    ref.delete()
    counts = stats(firestore_emulator)
    assert (counts["documentsWritten"], counts["documentsRead"], counts["documentsDeleted"]) == (1, 1, 1)
    ref.set({"v": 2})
    clear(firestore_emulator)
    assert not ref.get().exists
    with pytest.raises(urllib.error.HTTPError) as raised:
        http(firestore_emulator, "GET", "/emulator/v1/nothing")
    assert raised.value.code == 404


def test_partition_query_splits_a_collection_group_into_ordered_ranges(firestore_client: Any) -> None:
    parents = ["", "abc/123/", "def/456/"]
    batch = firestore_client.batch()
    expected = []
    for i in range(300):
        path = f"{parents[i % 3]}parts/doc{i:03d}"
        batch.set(firestore_client.document(path), {"i": i})
        expected.append(path)
    batch.commit()
    group = firestore_client.collection_group("parts")
    partitions = list(group.get_partitions(3))
    assert len(partitions) == 3  # split every 128 documents, at most partition_count - 1 times
    found = [s.reference.path for p in partitions for s in p.query().stream()]
    assert found == sorted(expected, key=lambda path: path.split("/"))
    assert len(list(firestore_client.collection_group("nothing").get_partitions(3))) == 1


def test_explain_options_report_the_index_and_execution_stats(firestore_client: Any) -> None:
    from google.cloud.firestore_v1.query_profile import ExplainOptions

    coll = firestore_client.collection("explained")
    for i in range(3):
        coll.document(f"d{i}").set({"a": 1, "b": i})
    query = coll.where(filter=firestore.FieldFilter("a", "in", [1, 2]))
    planned = query.get(explain_options=ExplainOptions(analyze=False))
    assert list(planned) == []
    index = planned.get_explain_metrics().plan_summary.indexes_used[0]
    assert (index["properties"], index["query_scope"]) == ("(a ASC, __name__ ASC)", "Collection")
    analyzed = query.get(explain_options=ExplainOptions(analyze=True))
    stats = analyzed.get_explain_metrics().execution_stats
    assert stats.results_returned == len(analyzed) == 3
    assert stats.read_operations == 3 and stats.execution_duration.total_seconds() > 0
    assert {"billing_details", "documents_scanned", "index_entries_scanned"} <= set(stats.debug_stats)
    counted = query.count().get(explain_options=ExplainOptions(analyze=True))
    assert counted[0][0].value == 3
    assert counted.get_explain_metrics().execution_stats.read_operations == 1
