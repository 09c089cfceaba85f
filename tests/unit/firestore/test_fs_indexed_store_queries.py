"""Queries the store answers from its field indexes give exactly what a scan of every document gives.

The reference is the query engine run over every current document of the database (what the store
did before it had indexes); the store is driven through commits, transactions, deletes, clears and a
restore, so the indexes must have followed each change.
"""

from __future__ import annotations

import datetime
import math
import random
from typing import Any

import pytest
from localcloud.firestore import protos
from localcloud.firestore.query import QueryError, compile_query, execute_query
from localcloud.firestore.store import ReadView, Store
from test_fs_query_builders import ROOT, Geo, Ref, and_, field, make_query, or_, ts, unary, val

DB = ROOT.removesuffix("/documents")
SUB_PARENT = f"{ROOT}/p/x"  # a document holding a subcollection "c" too (collection-group queries)

SCALARS: list[Any] = [
    0, 1, 1.0, -0.0, 2, 2.5, -3, 2**53, float(2**53), 2**53 + 1, math.nan, None, True, False,
    "", "1", "a", "b", b"x", ts(5), ts(5, 1), Ref("c/a"), Geo(1.0, 2.0),
]
ARRAYS: list[Any] = [[1, 2], [1.0, "a"], [None, math.nan], [], ["a", "a", 2.0], [{"x": 1}]]
MAPS: list[Any] = [{"x": 1}, {"x": 1.0}, {"x": 1, "y": "a"}, {}]
VALUES = SCALARS + ARRAYS + MAPS
FIELDS = ("a", "k", "m.n", "tags", "__name__")
DOC_IDS = [f"d{i}" for i in range(12)]


def document_path(rng: random.Random) -> str:
    collection = rng.choice(["c", "c", "c", "p/x/c", "p/y/c", "other"])
    return f"{collection}/{rng.choice(DOC_IDS)}"


def random_data(rng: random.Random) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if rng.random() < 0.8:
        data["k"] = rng.choice([0, 1, 1.0, 2, "1", None])  # few values: many equal, int and double alike
    if rng.random() < 0.7:
        data["a"] = rng.choice(VALUES)
    if rng.random() < 0.6:
        data["m"] = rng.choice([{"n": rng.choice(SCALARS)}, {"n": rng.choice(ARRAYS)}, {"o": 1}, "n"])
    if rng.random() < 0.6:
        data["tags"] = rng.choice([*ARRAYS, "a", 1])
    return data


def set_write(path: str, data: dict[str, Any], mask: list[str] | None = None) -> Any:
    write = protos.Write()
    write.update.name = f"{ROOT}/{path}"
    for key, value in data.items():
        write.update.fields[key].CopyFrom(val(value))
    if mask is not None:
        write.update_mask.field_paths.extend(mask)
    return write


def delete_write(path: str) -> Any:
    write = protos.Write()
    write.delete = f"{ROOT}/{path}"
    return write


def transform_write(path: str, rng: random.Random) -> Any:
    write = protos.Write()
    write.transform.document = f"{ROOT}/{path}"
    transform = write.transform.field_transforms.add()
    if rng.random() < 0.5:
        transform.field_path = "k"
        transform.increment.CopyFrom(val(rng.choice([1, 1.0, -1])))
    else:
        transform.field_path = "tags"
        transform.append_missing_elements.CopyFrom(val([rng.choice(["a", 1, 2.0])]).array_value)
    return write


def random_write(rng: random.Random) -> Any:
    path = document_path(rng)
    roll = rng.random()
    if roll < 0.45:
        return set_write(path, random_data(rng))
    if roll < 0.7:  # change (or remove, when absent from the data) one indexed field of the document
        data = random_data(rng)
        mask = rng.choice(["k", "a", "m.n", "tags"])
        return set_write(path, data, [mask])
    if roll < 0.85:
        return delete_write(path)
    return transform_write(path, rng)


def random_conjunct(rng: random.Random) -> Any:
    path = rng.choice(FIELDS)
    if path == "__name__":
        refs = [Ref(f"c/{rng.choice(DOC_IDS)}") for _ in range(rng.randint(1, 3))]
        return field(path, "==", refs[0]) if rng.random() < 0.5 else field(path, "in", refs)
    kind = rng.choice(["==", "==", "in", "in", "array-contains", "array-contains-any", "is-null", "is-nan",
                       ">=", "<", "!=", "not-in"])
    if kind in ("is-null", "is-nan"):
        return unary(path, kind)
    if kind == "in":
        values = [rng.choice(VALUES) for _ in range(rng.randint(1, 4))]
        return field(path, "in", values + values[:1])  # a duplicate value too
    if kind == "not-in":
        return field(path, "not-in", [rng.choice(SCALARS) for _ in range(rng.randint(1, 3))])
    if kind == "array-contains":
        return field(path, kind, rng.choice(SCALARS))
    if kind == "array-contains-any":
        return field(path, kind, [rng.choice(SCALARS) for _ in range(rng.randint(1, 3))])
    return field(path, kind, rng.choice(VALUES))


def random_query(rng: random.Random) -> tuple[Any, str]:
    conjuncts = [random_conjunct(rng) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.2:
        conjuncts.append(or_(random_conjunct(rng), random_conjunct(rng)))
    if rng.random() < 0.1:
        conjuncts.append(or_(random_conjunct(rng)))  # an OR of one filter is that filter
    where = conjuncts[0] if len(conjuncts) == 1 else and_(conjuncts[0], and_(*conjuncts[1:]))
    group = rng.random() < 0.25
    parent = rng.choice([ROOT, ROOT, SUB_PARENT]) if group else rng.choice([ROOT, ROOT, ROOT, SUB_PARENT])
    query = make_query(
        "c",
        where=where,
        order=rng.choice([(), ("k",), ("-a",)]),
        limit=rng.choice([None, None, 2]),
        offset=rng.choice([0, 0, 1]),
        all_descendants=group,
    )
    return query, parent


def scanned(store: Store, query: Any, parent: str) -> list[Any]:
    """What the store answered before it had indexes: the engine over every current document."""
    return execute_query(query, parent, store.export().get(DB, []))


def valid(query: Any) -> bool:
    try:
        compile_query(query)
    except QueryError:
        return False
    return True


def assert_answers_as_a_scan(store: Store, rng: random.Random, queries: int) -> int:
    checked = 0
    while checked < queries:
        query, parent = random_query(rng)
        if not valid(query):
            continue
        expected = scanned(store, query, parent)
        results, _ = store.run_query(DB, parent, query, ReadView())
        assert results == expected, (query, parent)
        listened, _ = store.query_snapshot(DB, parent, query)
        assert listened == expected
        checked += 1
    return checked


@pytest.mark.parametrize("seed", range(8))
def test_random_queries_answer_exactly_as_a_scan_while_documents_are_written_updated_and_deleted(
    seed: int,
) -> None:
    rng = random.Random(seed)
    store = Store()
    for _ in range(40):
        store.commit(DB, [random_write(rng)])
    for _ in range(25):
        store.commit(DB, [random_write(rng) for _ in range(rng.randint(1, 4))])  # one atomic commit
        assert_answers_as_a_scan(store, rng, 12)
    assert store.indexed_field_count(DB) > 0  # the index path was taken, not only the scan


@pytest.mark.parametrize("seed", range(4))
def test_a_read_write_transaction_locks_exactly_the_documents_its_indexed_query_returns(seed: int) -> None:
    rng = random.Random(100 + seed)
    store = Store()
    for _ in range(60):
        store.commit(DB, [random_write(rng)])
    for _ in range(15):
        query, parent = random_query(rng)
        if not valid(query):
            continue
        expected = scanned(store, query, parent)
        txn_id = store.begin(DB, read_only=False, read_time=None, retry=None)
        results, _ = store.run_query(DB, parent, query, ReadView(transaction=store.transaction(DB, txn_id)))
        assert results == expected
        held = store.transaction(DB, txn_id).held
        assert held == {doc.name for doc in expected}
        store.commit(DB, [random_write(rng)], transaction=txn_id)
        assert_answers_as_a_scan(store, rng, 3)


def test_a_query_at_a_past_read_time_sees_that_time_not_the_latest_indexed_values() -> None:
    store = Store()
    store.commit(DB, [set_write(f"c/d{i}", {"k": i % 3}) for i in range(9)])
    query = make_query("c", where=field("k", "==", 1))
    before, read_time = store.run_query(DB, ROOT, query, ReadView())
    store.commit(DB, [set_write("c/d1", {"k": 2}), set_write("c/d2", {"k": 1.0}), delete_write("c/d4")])
    store.commit(DB, [set_write("c/d9", {"k": 1})])
    then, _ = store.run_query(DB, ROOT, query, store.view(DB, read_time=read_time))
    assert [doc.name for doc in then] == [doc.name for doc in before]
    snapshot_txn = store.begin(DB, read_only=True, read_time=read_time, retry=None)
    in_snapshot, _ = store.run_query(DB, ROOT, query, ReadView(transaction=store.transaction(DB, snapshot_txn)))
    assert in_snapshot == then
    now, _ = store.run_query(DB, ROOT, query, ReadView())
    assert [doc.name.rsplit("/", 1)[1] for doc in now] == ["d2", "d7", "d9"]


def test_clearing_a_database_empties_its_indexes_and_later_writes_are_found_again() -> None:
    store = Store()
    store.commit(DB, [set_write(f"c/d{i}", {"k": 1}) for i in range(3)])
    query = make_query("c", where=field("k", "==", 1))
    assert len(store.run_query(DB, ROOT, query, ReadView())[0]) == 3
    store.clear(DB)
    assert store.indexed_field_count(DB) == 0
    assert store.run_query(DB, ROOT, query, ReadView())[0] == []
    store.commit(DB, [set_write("c/new", {"k": 1.0})])
    assert [doc.name for doc in store.run_query(DB, ROOT, query, ReadView())[0]] == [f"{ROOT}/c/new"]


def test_a_restored_store_answers_indexed_queries_from_the_restored_documents() -> None:
    rng = random.Random(7)
    original = Store()
    for _ in range(80):
        original.commit(DB, [random_write(rng)])
    restored = Store()
    restored.restore(original.export(), original.now())
    for _ in range(40):
        query, parent = random_query(rng)
        if valid(query):
            assert restored.run_query(DB, parent, query, ReadView())[0] == scanned(original, query, parent)
    restored.commit(DB, [random_write(rng)])
    assert_answers_as_a_scan(restored, rng, 20)


def test_an_indexed_aggregation_counts_the_same_and_is_billed_as_the_scan_was() -> None:
    store = Store()
    store.commit(DB, [set_write(f"c/d{i:04d}", {"k": i % 500}) for i in range(2500)])
    aggregation = protos.StructuredAggregationQuery()
    aggregation.structured_query.CopyFrom(make_query("c", where=field("k", "==", 7)))
    aggregation.aggregations.add().count.SetInParent()
    store.reset_stats(DB)
    result, _ = store.run_aggregation(DB, ROOT, aggregation, ReadView())
    assert result["field_1"].integer_value == 5
    assert store.stats(DB).reads == 3  # 2,500 documents in the collection: three batches of 1,000


def test_only_the_paths_equality_queries_used_are_indexed() -> None:
    store = Store()
    store.commit(DB, [set_write(f"c/d{i}", {"k": i, "a": "x", "tags": ["t"]}) for i in range(5)])
    for query in (
        make_query("c", where=field("k", ">", 1)),
        make_query("c", where=field("a", "!=", "y")),
        make_query("c", order=("k",)),
    ):
        store.run_query(DB, ROOT, query, ReadView())
    assert store.indexed_field_count(DB) == 0
    store.run_query(DB, ROOT, make_query("c", where=and_(field("k", "==", 1), field("a", "==", "x"))), ReadView())
    store.run_query(DB, ROOT, make_query("c", where=field("tags", "array-contains", "t"), all_descendants=True),
                    ReadView())
    assert store.indexed_field_count(DB) == 3  # c.k, c.a, and the collection group c's tags


def test_timestamps_written_with_microseconds_are_found_by_equality() -> None:
    store = Store()
    when = datetime.datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=datetime.UTC)
    store.commit(DB, [set_write("c/a", {"at": when}), set_write("c/b", {"at": ts(0)})])
    found, _ = store.run_query(DB, ROOT, make_query("c", where=field("at", "==", when)), ReadView())
    assert [doc.name for doc in found] == [f"{ROOT}/c/a"]


def test_a_listener_re_read_at_a_time_no_commit_followed_uses_the_indexes_and_an_older_time_the_history() -> None:
    store = Store()
    store.commit(DB, [set_write(f"c/d{i}", {"k": i % 3}) for i in range(9)])
    query = make_query("c", where=field("k", "==", 1))
    at = store.now()
    now_results, _ = store.query_snapshot(DB, ROOT, query, at=at)
    assert store.indexed_field_count(DB) == 1
    assert now_results == scanned(store, query, ROOT)
    store.commit(DB, [set_write("c/d1", {"k": 2}), set_write("c/d3", {"k": 1.0})])
    then, _ = store.query_snapshot(DB, ROOT, query, at=at)
    assert then == now_results
    assert store.query_snapshot(DB, ROOT, query, at=store.now())[0] == scanned(store, query, ROOT)
