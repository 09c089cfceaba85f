"""Queries and aggregations through the real google-cloud-firestore client against the local emulator."""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.api_core.exceptions import InvalidArgument
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import And, FieldFilter, Or
from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
from google.cloud.firestore_v1.field_path import FieldPath
from google.cloud.firestore_v1.vector import Vector

pytestmark = pytest.mark.integration

Client = Any


def ids(snapshots: Any) -> list[str]:
    return [snapshot.id for snapshot in snapshots]


def seed(client: Client, collection: str, docs: dict[str, dict[str, Any]]) -> Any:
    batch = client.batch()
    ref = client.collection(collection)
    for doc_id, data in docs.items():
        batch.set(ref.document(doc_id), data)
    batch.commit()
    return ref


STAFF = {
    "asha": {"name": "Asha", "rating": 4.8, "years": 6, "skills": ["cut", "colour"], "city": "Pune"},
    "bala": {"name": "Bala", "rating": 4.1, "years": 2, "skills": ["cut"], "city": "Mumbai"},
    "chitra": {"name": "Chitra", "rating": 4.8, "years": 9, "skills": ["spa", "colour"], "city": "Pune"},
    "dev": {"name": "Dev", "rating": 3.9, "years": 1, "skills": [], "city": "Delhi"},
    "esha": {"name": "Esha", "rating": 4.5, "years": 4, "skills": ["nails"], "city": "Mumbai"},
}


def test_where_order_by_and_limit(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)
    query = staff.where(filter=FieldFilter("rating", ">=", 4.1)).order_by("rating", direction="DESCENDING")
    assert ids(query.stream()) == ["chitra", "asha", "esha", "bala"]
    assert ids(query.limit(2).stream()) == ["chitra", "asha"]
    assert ids(staff.where(filter=FieldFilter("city", "==", "Pune")).order_by("years").stream()) == [
        "asha",
        "chitra",
    ]


def test_limit_to_last_returns_the_tail_in_query_order(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)
    assert ids(staff.order_by("years").limit_to_last(2).get()) == ["asha", "chitra"]


def test_every_field_operator(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)

    def where(field: str, op: str, value: Any) -> list[str]:
        return ids(staff.where(filter=FieldFilter(field, op, value)).stream())

    assert where("years", "<", 4) == ["dev", "bala"]
    assert where("years", "<=", 4) == ["dev", "bala", "esha"]
    assert where("years", ">", 6) == ["chitra"]
    assert where("city", "!=", "Mumbai") == ["dev", "asha", "chitra"]
    assert where("skills", "array_contains", "colour") == ["asha", "chitra"]
    assert where("skills", "array_contains_any", ["spa", "nails"]) == ["chitra", "esha"]
    assert where("city", "in", ["Delhi", "Pune"]) == ["asha", "chitra", "dev"]
    assert where("city", "not-in", ["Delhi", "Pune"]) == ["bala", "esha"]


def test_cursors_from_document_snapshots_and_values(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)
    by_rating = staff.order_by("rating")
    asha = staff.document("asha").get()
    # rating ties (asha, chitra at 4.8) are broken by the implicit __name__ order.
    assert ids(by_rating.start_after(asha).stream()) == ["chitra"]
    assert ids(by_rating.start_at(asha).stream()) == ["asha", "chitra"]
    assert ids(by_rating.end_before(asha).stream()) == ["dev", "bala", "esha"]
    assert ids(by_rating.start_at({"rating": 4.5}).end_at({"rating": 4.8}).stream()) == [
        "esha",
        "asha",
        "chitra",
    ]
    assert ids(by_rating.start_after({"rating": 4.5}).stream()) == ["asha", "chitra"]


def test_paging_with_start_after_the_last_snapshot_visits_every_document_once(
    firestore_client: Client,
) -> None:
    ref = seed(firestore_client, "pages", {f"d{i:02}": {"n": i % 4} for i in range(23)})
    query = ref.order_by("n", direction="DESCENDING").limit(5)
    seen: list[str] = []
    page = list(query.stream())
    while page:
        seen.extend(ids(page))
        page = list(query.start_after(page[-1]).stream())
    assert len(seen) == 23 and len(set(seen)) == 23
    # Ties on n are broken by __name__ in the direction of the last explicit order (descending).
    assert seen[:6] == ["d19", "d15", "d11", "d07", "d03", "d22"]


def test_offset_and_projection(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)
    results = staff.order_by("name").offset(1).limit(2).select(["name", "city"]).get()
    assert [snapshot.to_dict() for snapshot in results] == [
        {"name": "Bala", "city": "Mumbai"},
        {"name": "Chitra", "city": "Pune"},
    ]
    assert staff.select([]).limit(1).get()[0].to_dict() == {}


def test_or_and_nested_composite_filters(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)
    either = Or([FieldFilter("city", "==", "Delhi"), FieldFilter("years", ">=", 9)])
    # The inequality on years orders the results by years.
    assert ids(staff.where(filter=either).stream()) == ["dev", "chitra"]
    nested = And(
        [
            FieldFilter("rating", ">", 4.0),
            Or([FieldFilter("city", "==", "Mumbai"), FieldFilter("years", ">", 8)]),
        ]
    )
    assert ids(staff.where(filter=nested).stream()) == ["bala", "esha", "chitra"]


def test_mixed_types_nan_null_and_missing_fields_order_like_firestore(firestore_client: Client) -> None:
    ref = seed(
        firestore_client,
        "mixed",
        {
            "map": {"v": {"a": 1}},
            "text": {"v": "10"},
            "nan": {"v": math.nan},
            "null": {"v": None},
            "int": {"v": 10},
            "double": {"v": 9.5},
            "bool": {"v": True},
            "array": {"v": [1, 2]},
            "missing": {"other": 1},
        },
    )
    assert ids(ref.order_by("v").stream()) == ["null", "bool", "nan", "double", "int", "text", "array", "map"]
    assert ids(ref.where(filter=FieldFilter("v", ">", 0)).stream()) == ["double", "int"]
    assert ids(ref.where(filter=FieldFilter("v", "==", None)).stream()) == ["null"]
    assert ids(ref.where(filter=FieldFilter("v", "==", math.nan)).stream()) == ["nan"]
    assert ids(ref.where(filter=FieldFilter("v", "!=", None)).stream()) == [
        "bool",
        "nan",
        "double",
        "int",
        "text",
        "array",
        "map",
    ]
    assert ids(ref.where(filter=FieldFilter("v", "==", 10.0)).stream()) == ["int"]


def test_document_ids_order_by_utf8_bytes(firestore_client: Client) -> None:
    ref = seed(firestore_client, "ids", {"b": {}, "\uffff": {}, "a": {}, "\U0001f600": {}, "A": {}, "é": {}})
    assert ids(ref.stream()) == ["A", "a", "b", "é", "\uffff", "\U0001f600"]
    assert ids(ref.order_by("__name__", direction="DESCENDING").limit(2).stream()) == ["\U0001f600", "\uffff"]


def test_collection_group_queries_find_every_collection_with_the_id(firestore_client: Client) -> None:
    salons = firestore_client.collection("salons")
    for salon, booking, price in [("s1", "b1", 500), ("s1", "b2", 900), ("s2", "b3", 700)]:
        salons.document(salon).collection("bookings").document(booking).set({"price": price})
    firestore_client.collection("bookings").document("top").set({"price": 100})
    firestore_client.collection("bookingsx").document("other").set({"price": 800})
    group = firestore_client.collection_group("bookings")
    assert ids(group.where(filter=FieldFilter("price", ">", 400)).order_by("price").stream()) == [
        "b1",
        "b3",
        "b2",
    ]
    assert sorted(ids(group.stream())) == ["b1", "b2", "b3", "top"]


def test_subcollection_queries_stay_under_their_parent(firestore_client: Client) -> None:
    salons = firestore_client.collection("salons")
    salons.document("s1").collection("staff").document("x").set({"n": 1})
    salons.document("s2").collection("staff").document("y").set({"n": 1})
    assert ids(salons.document("s1").collection("staff").stream()) == ["x"]


def test_recursive_delete_uses_kindless_name_bounded_queries(firestore_client: Client) -> None:
    salons = firestore_client.collection("salons")
    salons.document("s1").set({"name": "one"})
    salons.document("s1").collection("staff").document("x").set({"n": 1})
    salons.document("s1").collection("staff").document("x").collection("notes").document("n").set({"n": 1})
    firestore_client.collection("salonsx").document("keep").set({"n": 1})
    firestore_client.collection("salons-archive").document("keep").set({"n": 1})
    deleted = firestore_client.recursive_delete(salons)
    assert deleted == 3
    assert ids(firestore_client.collection("salonsx").stream()) == ["keep"]
    assert ids(firestore_client.collection("salons-archive").stream()) == ["keep"]
    assert ids(firestore_client.collection_group("notes").stream()) == []


def test_count_sum_and_avg_aggregations(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)
    query = staff.where(filter=FieldFilter("city", "in", ["Pune", "Mumbai"]))
    results = query.count(alias="n").get()
    assert results[0][0].alias == "n" and results[0][0].value == 4
    total = query.sum("years", alias="years").get()[0][0].value
    average = query.avg("rating", alias="rating").get()[0][0].value
    assert total == 21 and isinstance(total, int)
    assert average == pytest.approx((4.8 + 4.1 + 4.8 + 4.5) / 4)
    assert staff.limit(2).count().get()[0][0].value == 2


def test_avg_over_no_documents_is_null_on_the_wire(firestore_client: Client) -> None:
    # The Python client decodes results as ``integer_value or double_value`` and so shows 0.0 for null;
    # the raw RunAggregationQuery response shows what the server sent.
    staff = seed(firestore_client, "staff", STAFF)
    aggregation = (
        staff.where(filter=FieldFilter("city", "==", "Nowhere"))
        .avg("rating", alias="a")
        .sum("years", alias="s")
    )
    parent, _ = staff._parent_info()
    request = {"parent": parent, "structured_aggregation_query": aggregation._to_protobuf()}
    (response,) = list(firestore_client._firestore_api.run_aggregation_query(request=request))
    fields = response.result.aggregate_fields
    assert type(fields["a"]).pb(fields["a"]).WhichOneof("value_type") == "null_value"
    assert type(fields["s"]).pb(fields["s"]).WhichOneof("value_type") == "integer_value"


def test_several_aggregations_in_one_request_get_default_aliases(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)
    aggregation = staff.count().sum("years").avg("years", alias="mean")
    values = {result.alias: result.value for result in aggregation.get()[0]}
    assert values == {"field_1": 5, "field_2": 22, "mean": 4.4}


def test_invalid_queries_are_rejected_with_invalid_argument(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)
    with pytest.raises(InvalidArgument, match="NOT_IN"):
        list(staff.where(filter=FieldFilter("city", "not-in", [str(i) for i in range(11)])).stream())
    with pytest.raises(InvalidArgument):
        list(staff.where(filter=FieldFilter("a", "!=", 1)).where(filter=FieldFilter("b", "!=", 2)).stream())
    with pytest.raises(InvalidArgument, match="disjunctions"):
        list(
            staff.where(filter=FieldFilter("a", "in", list(range(20))))
            .where(filter=FieldFilter("b", "in", [1, 2]))
            .stream()
        )


def test_vector_search_with_find_nearest(firestore_client: Client) -> None:
    ref = seed(
        firestore_client,
        "embeddings",
        {
            "cut": {"v": Vector([1.0, 0.0]), "kind": "service"},
            "colour": {"v": Vector([0.7, 0.7]), "kind": "service"},
            "spa": {"v": Vector([0.0, 1.0]), "kind": "service"},
            "note": {"v": Vector([1.0, 0.1]), "kind": "note"},
        },
    )
    query = ref.where(filter=FieldFilter("kind", "==", "service")).find_nearest(
        vector_field="v",
        query_vector=Vector([0.9, 0.2]),
        distance_measure=DistanceMeasure.EUCLIDEAN,
        limit=2,
        distance_result_field="distance",
    )
    results = query.get()
    assert ids(results) == ["cut", "colour"]
    assert results[0].get("distance") == pytest.approx(math.hypot(0.1, 0.2))


async def test_the_async_client_runs_the_same_queries(firestore_client: Client) -> None:
    seed(firestore_client, "staff", STAFF)
    client = firestore.AsyncClient(project=firestore_client.project)
    try:
        query = client.collection("staff").where(filter=FieldFilter("years", ">", 3)).order_by("years")
        assert [snapshot.id async for snapshot in query.stream()] == ["esha", "asha", "chitra"]
        count = await client.collection("staff").count().get()
        assert count[0][0].value == 5
    finally:
        client.close()


def test_duplicate_and_empty_aggregations_are_invalid_arguments(firestore_client: Client) -> None:
    from google.cloud.firestore_v1.aggregation import AggregationQuery

    staff = seed(firestore_client, "staff", STAFF)
    with pytest.raises(InvalidArgument, match="Aggregation aliases contain duplicate alias"):
        staff.count(alias="total").count(alias="total").get()
    with pytest.raises(InvalidArgument, match="Aggregations can not be empty"):
        AggregationQuery(staff.limit(10)).get()


def test_count_after_a_snapshot_cursor_skips_the_earlier_documents(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", STAFF)
    query = staff.where(filter=FieldFilter("city", "in", ["Pune", "Mumbai"]))
    second = query.get()[1]
    assert query.start_at(second).count(alias="rest").get()[0][0].value == 3
    assert query.start_after(second).avg("years").get()[0][0].value == pytest.approx((9 + 4) / 2)


PHILOSOPHERS = {
    "Socrates": {
        "pets": ["Scruffy", "Snowflake"],
        "hobbies": ["pontificating", "journaling"],
        "philosophers": ["Aristotle", "Plato"],
    },
    "Aristotle": {"pets": ["Floof-Boy", "Doggy-Dog"], "hobbies": ["questioning-stuff", "meditation"]},
    "Plato": {"pets": ["Cuddles", "Sergeant-Puppers"], "hobbies": ["abstraction", "hypotheticals"]},
}


def test_recursive_queries_return_documents_and_descendants_in_name_order(firestore_client: Client) -> None:
    root = firestore_client.collection("philosophers")
    for name, subcollections in PHILOSOPHERS.items():
        root.document(name).set({"name": name})
        for sub, children in subcollections.items():
            for child in children:
                root.document(name).collection(sub).document(child).set({"name": child})
    firestore_client.collection("philosophers-x").document("Zeno").set({"name": "Zeno"})
    assert ids(root.recursive().get()) == [
        "Aristotle", "meditation", "questioning-stuff", "Doggy-Dog", "Floof-Boy",
        "Plato", "abstraction", "hypotheticals", "Cuddles", "Sergeant-Puppers",
        "Socrates", "journaling", "pontificating", "Scruffy", "Snowflake", "Aristotle", "Plato",
    ]  # fmt: skip
    assert ids(root.document("Aristotle").collection("pets").recursive().get()) == ["Doggy-Dog", "Floof-Boy"]
    chunks = [ids(chunk) for chunk in root.recursive()._chunkify(7)]
    assert [len(chunk) for chunk in chunks] == [7, 7, 3]


def test_collection_group_cursors_and_filters_on_arbitrary_document_paths(firestore_client: Client) -> None:
    paths = [
        "a/a/cg/cg-doc1",
        "a/b/a/b/cg/cg-doc2",
        "a/b/cg/cg-doc3",
        "a/b/c/d/cg/cg-doc4",
        "a/c/cg/cg-doc5",
        "cg/cg-doc6",
        "a/b/nope/nope",
    ]
    batch = firestore_client.batch()
    for path in paths:
        batch.set(firestore_client.document(path), {"x": path})
    batch.commit()
    group = firestore_client.collection_group("cg").order_by("__name__")
    doc = firestore_client.document
    assert ids(group.start_at([doc("a/b")]).end_at([doc("a/b0")]).stream()) == [  # segment order: a < c < cg
        "cg-doc2",
        "cg-doc4",
        "cg-doc3",
    ]
    assert ids(group.start_after([doc("a/b")]).end_before([doc("a/b/cg/cg-doc3")]).stream()) == [
        "cg-doc2",
        "cg-doc4",
    ]
    name = FieldPath.document_id()
    filtered = firestore_client.collection_group("cg").where(filter=FieldFilter(name, ">=", doc("a/b")))
    assert ids(filtered.where(filter=FieldFilter(name, "<=", doc("a/b0"))).stream()) == [
        "cg-doc2",
        "cg-doc4",
        "cg-doc3",
    ]


def test_queries_on_a_named_database_see_only_that_database(firestore_client: Client) -> None:
    seed(firestore_client, "staff", STAFF)
    other = firestore.Client(project=firestore_client.project, database="branch-2")
    try:
        for doc_id in list(ids(other.collection("staff").stream())):
            other.collection("staff").document(doc_id).delete()
        other.collection("staff").document("zoya").set({"years": 3})
        assert ids(other.collection("staff").where(filter=FieldFilter("years", ">", 0)).stream()) == ["zoya"]
        assert other.collection("staff").count().get()[0][0].value == 1
    finally:
        other.close()


def test_field_paths_with_special_characters_are_quoted_by_the_client(firestore_client: Client) -> None:
    ref = seed(firestore_client, "odd", {"x": {"price-inr": 10, "a.b": 1}, "y": {"price-inr": 20, "a.b": 2}})
    assert ids(ref.where(filter=FieldFilter(FieldPath("price-inr").to_api_repr(), ">", 15)).stream()) == ["y"]
    assert ids(ref.order_by(FieldPath("a.b").to_api_repr(), direction="DESCENDING").stream()) == ["y", "x"]
    assert ref.select([FieldPath("a.b").to_api_repr()]).get()[0].to_dict() == {"a.b": 1}


SORTED = {
    "a": {"k": "a", "sort": 0},
    "b": {"k": "b", "sort": 1},
    "c": {"k": "c", "sort": 1},
    "d": {"k": "d", "sort": 2},
}


def test_limit_to_last_flips_the_orders_and_reverses_the_results(firestore_client: Client) -> None:
    # The Python client flips only the orders (not the cursors) for limit_to_last, so cursors are left out.
    ref = seed(firestore_client, "sorted", SORTED)
    assert ids(ref.order_by("sort").limit_to_last(3).get()) == ["b", "c", "d"]
    assert ids(ref.order_by("sort", direction="DESCENDING").limit_to_last(2).get()) == ["b", "a"]
    assert ids(ref.order_by("sort").order_by("k", direction="DESCENDING").limit_to_last(2).get()) == [
        "b",
        "d",
    ]


def test_equal_integers_and_doubles_tie_and_fall_back_to_descending_names(firestore_client: Client) -> None:
    docs = {
        "a": {"foo": 42},
        "b": {"foo": 42.0},
        "c": {"foo": 42},
        "d": {"foo": 21},
        "e": {"foo": 21},
        "f": {"foo": 66},
        "g": {"foo": 66},
    }
    ref = seed(firestore_client, "ties", docs)
    query = ref.where(filter=FieldFilter("foo", ">", 21.0)).order_by("foo", direction="DESCENDING")
    assert ids(query.stream()) == ["g", "f", "c", "b", "a"]
    assert ids(ref.where(filter=FieldFilter("foo", "==", math.inf)).stream()) == []
