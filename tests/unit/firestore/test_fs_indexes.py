"""Which queries an index file serves (``localcloud.firestore.indexes``), rule by documented rule.

Sources, cited per test:
- [types]     Firestore docs, "Index types" / "Standard edition index overview" (single-field indexes,
              automatic indexing, exemptions, composite indexes, query scope, index merging).
- [queries]   "Perform simple and compound queries" ("You can combine constraints with a logical AND by
              chaining multiple equality operators (== or array-contains). However, you must create a
              composite index to combine equality operators with the inequality operators").
- [ranges]    "Query with range and inequality filters on multiple fields" (ORDER BY decides the index;
              inequality fields are ordered implicitly).
- [order]     "Order and limit data" (an inequality filter orders by its field; ``__name__`` last).
- [or]        "OR queries" (each disjunction is its own index scan).
- [agg]       "Summarize data with aggregation queries" and "Calculate SUM and AVG aggregations" (computed
              through index scans: the aggregated field must be indexed).
- [vector]    "Search with vector embeddings" (a vector index is required, pre-filters included).
- [admin]     Admin API ``Index.fields``: ``__name__`` is appended in the direction of the last field.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from google.cloud.firestore_admin_v1.types import Index
from localcloud.firestore.errors import FirestoreError
from localcloud.firestore.index_config import IndexConfig, IndexFileError
from localcloud.firestore.indexes import IndexEnforcer
from test_fs_query_builders import AggregationQueryPb, Ref, and_, field, make_query, or_, unary, val

DATABASE = "projects/demo/databases/(default)"
PROJECT_FILE = Path(__file__).resolve().parents[3] / "firestore.indexes.json"


def composite(group: str, *fields: str, scope: str = "COLLECTION") -> dict[str, Any]:
    """An index entry; a field is ``path`` (ascending), ``-path`` (descending) or ``[]path`` (array)."""
    entries: list[dict[str, Any]] = []
    for item in fields:
        if item.startswith("[]"):
            entries.append({"fieldPath": item[2:], "arrayConfig": "CONTAINS"})
        else:
            entries.append({"fieldPath": item.lstrip("-"), "order": "DESCENDING" if item[0] == "-" else "ASCENDING"})
    return {"collectionGroup": group, "queryScope": scope, "fields": entries}


def override(group: str, path: str, *indexes: tuple[str, str]) -> dict[str, Any]:
    """A field override enabling exactly ``indexes``: (scope, ASCENDING | DESCENDING | CONTAINS)."""
    entries = [
        {"queryScope": scope, **({"arrayConfig": mode} if mode == "CONTAINS" else {"order": mode})}
        for scope, mode in indexes
    ]
    return {"collectionGroup": group, "fieldPath": path, "ttl": False, "indexes": entries}


def enforcer(indexes: list[dict[str, Any]] | None = None, overrides: list[dict[str, Any]] | None = None
             ) -> IndexEnforcer:
    return IndexEnforcer(IndexConfig.parse({"indexes": indexes or [], "fieldOverrides": overrides or []}))


def served(check: IndexEnforcer, query: Any) -> bool:
    return check.unserved(query) is None


def aggregation_served(check: IndexEnforcer, aggregation: Any) -> bool:
    return check.unserved(aggregation.structured_query, aggregation) is None


def message(check: IndexEnforcer, query: Any, database: str = DATABASE) -> str:
    with pytest.raises(FirestoreError) as refused:
        check.require(database, query)
    assert refused.value.code == "FAILED_PRECONDITION"
    return refused.value.message


def decoded(link_message: str, parameter: str) -> Any:
    blob = link_message.split(f"?{parameter}=", 1)[1].split(" ", 1)[0]
    return Index.deserialize(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)))


def fields_of(index: Any) -> list[tuple[str, str]]:
    return [
        (f.field_path, f.order.name if f.order else f.array_config.name if f.array_config else "VECTOR")
        for f in index.fields
    ]


def aggregation(query: Any, *specs: tuple[str, str | None]) -> Any:
    pb = AggregationQueryPb()
    pb.structured_query.CopyFrom(query)
    for kind, path in specs:
        item = pb.aggregations.add()
        if kind == "count":
            item.count.SetInParent()
        else:
            getattr(item, kind).field.field_path = path
    return pb


def nearest(query: Any, vector_field: str, dimension: int) -> Any:
    query.find_nearest.vector_field.field_path = vector_field
    query.find_nearest.query_vector.CopyFrom(val({"__type__": "__vector__", "value": [1.0] * dimension}))
    query.find_nearest.distance_measure = query.find_nearest.DistanceMeasure.EUCLIDEAN
    query.find_nearest.limit.value = 3
    return query


NONE = enforcer()


# ---------------------------------------------------------------------------------------------- single-field


def test_a_query_without_filters_or_with_only_a_name_order_uses_the_built_in_document_name_index() -> None:
    # [types] "An index behind every query": the document-name index is always there.
    assert served(NONE, make_query())
    assert served(NONE, make_query(order=["-__name__"]))
    assert served(NONE, make_query(where=field("__name__", ">", Ref("c/a"))))


def test_an_equality_filter_on_one_field_is_served_by_its_automatic_single_field_index() -> None:
    # [types] automatic indexing: ascending and descending single-field indexes per field.
    assert served(NONE, make_query(where=field("state", "==", "CA")))
    assert served(NONE, make_query(where=field("state", "in", ["CA", "WA"])))
    assert served(NONE, make_query(where=unary("state", "is-null")))


def test_a_range_or_an_order_on_one_field_alone_is_served_by_its_single_field_index() -> None:
    # [types] "Queries supported by single-field indexes": population < 100000, name >= "San Francisco".
    assert served(NONE, make_query(where=field("population", "<", 100000)))
    assert served(NONE, make_query(where=field("population", "<", 100000), order=["-population"]))
    assert served(NONE, make_query(order=["-population"]))


def test_array_contains_on_one_field_is_served_by_its_automatic_array_contains_index() -> None:
    # [types] automatic indexing: an array-contains index for every array field.
    assert served(NONE, make_query(where=field("regions", "array-contains", "west_coast")))
    assert served(NONE, make_query(where=field("regions", "array-contains-any", ["west_coast", "east_coast"])))


# ---------------------------------------------------------------------------------------------- index merging


def test_equality_filters_on_several_fields_are_served_by_merging_single_field_indexes() -> None:
    # [types] index merging: "Firestore can merge the indexes for simple equality filters".
    query = make_query(where=and_(field("country", "==", "USA"), field("capital", "==", False),
                                  field("state", "==", "CA"), field("population", "==", 860000)))
    assert served(NONE, query)


def test_array_contains_chained_with_equalities_needs_no_composite_index() -> None:
    # [queries] "chaining multiple equality operators (== or array-contains)".
    assert served(NONE, make_query(where=and_(field("regions", "array-contains", "west_coast"),
                                              field("capital", "==", False))))


def test_equalities_and_an_order_merge_composite_indexes_that_end_with_that_order() -> None:
    # [types] index merging example: (category, star_rating), (city, star_rating), (editors_pick, star_rating)
    # serve category == .. and city == .. and editors_pick == .. ordered by star_rating.
    check = enforcer([composite("restaurants", "category", "star_rating"),
                      composite("restaurants", "city", "star_rating"),
                      composite("restaurants", "editors_pick", "star_rating")])
    query = make_query("restaurants", where=and_(field("category", "==", "burgers"), field("city", "==", "SF"),
                                                 field("editors_pick", "==", True)), order=["star_rating"])
    assert served(check, query)
    one_missing = make_query("restaurants", where=and_(field("category", "==", "burgers"),
                                                       field("price", "==", 2)), order=["star_rating"])
    assert not served(check, one_missing)


def test_merged_indexes_must_end_with_the_query_order_in_its_direction() -> None:
    # [types] composite indexes are sorted in the order of their definition; merging reuses that order.
    check = enforcer([composite("restaurants", "category", "star_rating"),
                      composite("restaurants", "city", "-star_rating")])
    query = make_query("restaurants", where=and_(field("category", "==", "burgers"), field("city", "==", "SF")),
                       order=["star_rating"])
    assert not served(check, query)


# ---------------------------------------------------------------------------------------------- composite


def test_an_equality_with_an_order_on_another_field_needs_a_composite_index() -> None:
    # [types] composite index example: country == "USA" orderBy population needs (country, population).
    query = make_query("cities", where=field("country", "==", "USA"), order=["population"])
    assert not served(NONE, query)
    assert served(enforcer([composite("cities", "country", "population")]), query)


def test_an_equality_with_a_range_on_another_field_needs_a_composite_index() -> None:
    # [queries] "you must create a composite index to combine equality operators with the inequality operators".
    query = make_query("cities", where=and_(field("country", "==", "USA"), field("population", "<", 3800000)))
    assert not served(NONE, query)
    assert served(enforcer([composite("cities", "country", "population")]), query)


def test_equality_fields_of_a_composite_match_in_any_order_and_direction() -> None:
    # [types] equality clauses of a query can use an index's leading fields in either direction.
    check = enforcer([composite("cities", "-state", "country", "population")])
    query = make_query("cities", where=and_(field("country", "==", "USA"), field("state", "==", "CA")),
                       order=["population"])
    assert served(check, query)


def test_a_composite_index_is_never_read_backwards_so_a_descending_order_needs_its_own_index() -> None:
    # [types] "to run the same queries with a descending sort order, you need an additional composite index".
    check = enforcer([composite("cities", "country", "population")])
    assert not served(check, make_query("cities", where=field("country", "==", "USA"), order=["-population"]))
    check = enforcer([composite("cities", "country", "-population")])
    assert served(check, make_query("cities", where=field("country", "==", "USA"), order=["-population"]))


def test_the_implicit_name_order_follows_the_last_order_so_an_opposite_name_order_needs_another_index() -> None:
    # [admin] __name__ is added with the direction of the last field; [order] results end with __name__.
    check = enforcer([composite("cities", "country", "-population")])
    query = make_query("cities", where=field("country", "==", "USA"), order=["-population", "__name__"])
    assert not served(check, query)
    explicit = {"collectionGroup": "cities", "queryScope": "COLLECTION", "fields": [
        {"fieldPath": "country", "order": "ASCENDING"}, {"fieldPath": "population", "order": "DESCENDING"},
        {"fieldPath": "__name__", "order": "ASCENDING"}]}
    assert served(enforcer([explicit]), query)


def test_not_equal_and_not_in_are_inequalities_that_order_the_query_by_their_field() -> None:
    # [queries] "!=" and "not-in" are inequality operators; [order] they order by their field.
    check = enforcer([composite("cities", "country", "capital")])
    assert not served(NONE, make_query("cities", where=and_(field("country", "==", "USA"),
                                                            field("capital", "!=", False))))
    assert served(check, make_query("cities", where=and_(field("country", "==", "USA"),
                                                         field("capital", "!=", False))))
    assert served(check, make_query("cities", where=and_(field("country", "==", "USA"),
                                                         field("capital", "not-in", [False]))))
    assert served(NONE, make_query("cities", where=field("capital", "not-in", [False])))


def test_is_not_null_is_an_inequality_while_is_null_is_an_equality() -> None:
    # [queries] != null is an inequality; == null an equality.
    assert served(NONE, make_query("cities", where=and_(field("country", "==", "USA"), unary("state", "is-null"))))
    assert not served(NONE, make_query("cities", where=and_(field("country", "==", "USA"),
                                                            unary("state", "is-not-null"))))


def test_an_order_on_a_field_an_equality_pins_is_ignored() -> None:
    # Sort orders are ignored on properties with equality filters (the field has one value).
    assert served(NONE, make_query("cities", where=field("country", "==", "USA"), order=["country"]))


def test_array_contains_with_a_range_needs_a_composite_with_an_array_field() -> None:
    # [types] composite example: regions array-contains "west_coast" and population < 1000000.
    query = make_query("cities", where=and_(field("regions", "array-contains", "west_coast"),
                                            field("population", "<", 1000000)))
    assert not served(NONE, query)
    assert not served(enforcer([composite("cities", "regions", "population")]), query)
    assert served(enforcer([composite("cities", "[]regions", "population")]), query)


# ---------------------------------------------------------------------------------------------- several ranges


def test_ranges_on_several_fields_need_one_composite_ordered_by_the_fields_in_lexicographic_order() -> None:
    # [ranges] inequality fields not in ORDER BY are ordered implicitly (by field path).
    query = make_query("employees", where=and_(field("salary", ">", 100000), field("experience", ">", 0)))
    assert not served(NONE, query)
    assert served(enforcer([composite("employees", "experience", "salary")]), query)
    assert not served(enforcer([composite("employees", "salary", "experience")]), query)


def test_an_explicit_order_by_decides_the_index_order_of_several_range_fields() -> None:
    # [ranges] "the ORDER BY clause of a query determines which indexes can be used to serve the query".
    query = make_query("employees", where=and_(field("salary", ">", 100000), field("experience", ">", 0)),
                       order=["salary", "experience"])
    assert served(enforcer([composite("employees", "salary", "experience")]), query)
    assert not served(enforcer([composite("employees", "experience", "salary")]), query)


def test_equalities_come_before_the_range_fields_of_a_multiple_range_query() -> None:
    # [ranges] the index of an equality plus ranges on two fields: (equality, ranges in their order).
    query = make_query("employees", where=and_(field("dept", "==", "eng"), field("salary", ">", 100000),
                                               field("experience", ">", 0)))
    assert served(enforcer([composite("employees", "dept", "experience", "salary")]), query)


# ---------------------------------------------------------------------------------------------- scope


def test_a_collection_group_query_with_a_filter_needs_a_collection_group_index_which_is_off_by_default() -> None:
    # [types] "By default, Firestore does not maintain single-field indexes with collection group scope."
    query = make_query("landmarks", where=field("type", "==", "museum"), all_descendants=True)
    assert not served(NONE, query)
    assert served(enforcer(overrides=[override("landmarks", "type", ("COLLECTION", "ASCENDING"),
                                               ("COLLECTION_GROUP", "ASCENDING"))]), query)


def test_a_collection_group_query_ordered_by_name_alone_needs_no_index() -> None:
    # [types] the document-name index serves any scope (recursive delete, partition queries).
    assert served(NONE, make_query("landmarks", all_descendants=True))
    assert served(NONE, make_query("", all_descendants=True, order=["__name__"]))


def test_composite_indexes_serve_only_the_query_scope_they_declare() -> None:
    # [types]/[admin] a collection-scope index serves queries on one collection, a collection-group-scope
    # index queries on every collection of that id.
    query = make_query("landmarks", where=field("type", "==", "museum"), order=["name"])
    group_query = make_query("landmarks", where=field("type", "==", "museum"), order=["name"], all_descendants=True)
    collection_index = enforcer([composite("landmarks", "type", "name")])
    group_index = enforcer([composite("landmarks", "type", "name", scope="COLLECTION_GROUP")])
    assert served(collection_index, query) and not served(collection_index, group_query)
    assert served(group_index, group_query) and not served(group_index, query)


# ---------------------------------------------------------------------------------------------- exemptions


def test_a_field_whose_single_field_indexes_are_exempted_cannot_be_filtered_or_ordered_alone() -> None:
    # [types] single-field index exemptions override the automatic settings.
    check = enforcer(overrides=[override("outreach", "message")])
    assert not served(check, make_query("outreach", order=["message"]))
    assert not served(check, make_query("outreach", where=field("message", "==", "hi")))
    assert served(check, make_query("outreach", order=["status"]))  # other fields keep theirs


def test_disabling_the_ascending_index_of_a_field_makes_ordering_by_it_ascending_fail() -> None:
    # [types] an exemption lists the single-field indexes the field keeps.
    check = enforcer(overrides=[override("c", "score", ("COLLECTION", "DESCENDING"))])
    assert not served(check, make_query(order=["score"]))
    assert served(check, make_query(order=["-score"]))
    assert not served(check, make_query(where=field("score", "array-contains", 1)))


def test_a_map_fields_exemption_covers_its_subfields_unless_a_subfield_has_its_own() -> None:
    # [types] "If you create a single-field index exemption for a map field, the map's subfields inherit
    # these settings. You can, however, define single-field index exemptions for specific subfields."
    check = enforcer(overrides=[override("c", "details"),
                                override("c", "details.kind", ("COLLECTION", "ASCENDING"))])
    assert not served(check, make_query(order=["details.size"]))
    assert served(check, make_query(order=["details.kind"]))


def test_a_wildcard_exemption_covers_every_field_of_the_collection_group() -> None:
    # [types] a collection-level exemption with field path "*".
    check = enforcer(overrides=[override("logs", "*"), override("logs", "level", ("COLLECTION", "ASCENDING"))])
    assert not served(check, make_query("logs", where=field("host", "==", "a")))
    assert served(check, make_query("logs", where=field("level", "==", "error")))
    assert served(check, make_query("other", where=field("host", "==", "a")))


def test_a_composite_index_serves_a_query_on_an_exempted_field() -> None:
    # [types] exemptions govern single-field indexes only; composite indexes are declared separately.
    check = enforcer([composite("c", "kind", "message")], [override("c", "message")])
    assert served(check, make_query(where=field("kind", "==", "a"), order=["message"]))


# ---------------------------------------------------------------------------------------------- OR, IN


def test_each_disjunct_of_an_or_query_is_its_own_scan_in_the_query_order() -> None:
    # [or] each disjunction of the query's disjunctive normal form needs an index.
    query = make_query("cities", where=or_(field("country", "==", "USA"), field("capital", "==", True)),
                       order=["population"])
    assert not served(enforcer([composite("cities", "country", "population")]), query)
    assert served(enforcer([composite("cities", "country", "population"),
                            composite("cities", "capital", "population")]), query)
    assert served(NONE, make_query("cities", where=or_(field("country", "==", "USA"), field("capital", "==", True))))


def test_in_and_array_contains_any_are_equalities_served_like_equality() -> None:
    # [queries] in / array-contains-any combine like == and array-contains.
    check = enforcer([composite("cities", "country", "population")])
    assert served(check, make_query("cities", where=field("country", "in", ["USA", "Japan"]), order=["population"]))


# ---------------------------------------------------------------------------------------------- aggregations


def test_count_needs_exactly_the_index_of_its_query() -> None:
    # [agg] COUNT runs the query over its index without reading documents.
    query = make_query("cities", where=and_(field("country", "==", "USA"), field("population", ">", 1)))
    equality = make_query("cities", where=field("country", "==", "USA"))
    assert aggregation_served(NONE, aggregation(equality, ("count", None)))
    assert not aggregation_served(NONE, aggregation(query, ("count", None)))
    check = enforcer([composite("cities", "country", "population")])
    assert aggregation_served(check, aggregation(query, ("count", None)))


def test_sum_and_avg_scan_the_aggregated_fields_index_so_a_filter_needs_a_composite_with_it() -> None:
    # [agg] "Firestore computes the SUM() and AVG() results directly through index scans ... a field must
    # be indexed to calculate an aggregation."
    query = make_query("trips", where=field("type", "==", "motorcycle"))
    assert aggregation_served(NONE, aggregation(make_query("trips"), ("sum", "distance")))
    assert not aggregation_served(NONE, aggregation(query, ("sum", "distance")))
    assert not aggregation_served(NONE, aggregation(query, ("avg", "distance")))
    assert aggregation_served(NONE, aggregation(query, ("count", None)))
    check = enforcer([composite("trips", "type", "distance")])
    assert aggregation_served(check, aggregation(query, ("avg", "distance"), ("count", None)))


def test_summing_an_exempted_field_fails_even_without_filters() -> None:
    # [agg] the aggregated field must be indexed.
    check = enforcer(overrides=[override("trips", "distance")])
    query = make_query("trips")
    assert not aggregation_served(check, aggregation(query, ("sum", "distance")))
    assert aggregation_served(check, aggregation(query, ("count", None)))


# ---------------------------------------------------------------------------------------------- vector


def test_a_nearest_neighbour_search_needs_a_vector_index_of_the_query_vectors_dimension() -> None:
    # [vector] "you must create a vector index" with the embedding's dimension, pre-filter fields first.
    vector_index = {"collectionGroup": "coffee", "queryScope": "COLLECTION",
                    "fields": [{"fieldPath": "embedding", "vectorConfig": {"dimension": 3, "flat": {}}}]}
    assert not served(NONE, nearest(make_query("coffee"), "embedding", 3))
    assert served(enforcer([vector_index]), nearest(make_query("coffee"), "embedding", 3))
    assert not served(enforcer([vector_index]), nearest(make_query("coffee"), "embedding", 4))
    filtered = nearest(make_query("coffee", where=field("color", "==", "red")), "embedding", 3)
    assert not served(enforcer([vector_index]), filtered)
    with_filter = {**vector_index, "fields": [{"fieldPath": "color", "order": "ASCENDING"}, *vector_index["fields"]]}
    assert served(enforcer([with_filter]), filtered)
    refusal = message(enforcer([vector_index]), filtered)
    assert refusal.startswith("Missing vector index configuration. Please create the required index with the "
                              "following gcloud command: gcloud firestore indexes composite create --project=demo "
                              "--collection-group=coffee --query-scope=COLLECTION "
                              "--field-config=order=ASCENDING,field-path=color --field-config=vector-config=")


# ---------------------------------------------------------------------------------------------- the refusal


def test_the_refusal_is_firestores_sentence_with_a_decodable_create_composite_link() -> None:
    # The text production answers (quoted in client issue threads): "The query requires an index. You can
    # create it here: https://console.firebase.google.com/v1/r/project/{p}/firestore/indexes?create_composite=…"
    query = make_query("bookings", where=field("staff_id", "==", "s1"), order=["-start_time"])
    text = message(NONE, query)
    prefix = ("The query requires an index. You can create it here: "
              "https://console.firebase.google.com/v1/r/project/demo/firestore/indexes?create_composite=")
    assert text.startswith(prefix) and " " not in text[len(prefix):]
    index = decoded(text, "create_composite")
    assert index.name == f"{DATABASE}/collectionGroups/bookings/indexes/_"
    assert index.query_scope == Index.QueryScope.COLLECTION
    assert fields_of(index) == [("staff_id", "ASCENDING"), ("start_time", "DESCENDING"), ("__name__", "DESCENDING")]


def test_a_missing_single_field_index_is_refused_with_a_create_exemption_link() -> None:
    # Production names the disabled single-field index: "The query requires a COLLECTION_GROUP_ASC index
    # for collection X and field Y. You can create it here: …?create_exemption=…".
    text = message(NONE, make_query("agent_states", where=field("status", "==", "idle"), all_descendants=True))
    assert text.startswith("The query requires a COLLECTION_GROUP_ASC index for collection agent_states and "
                           "field status. You can create it here: https://console.firebase.google.com/v1/r/"
                           "project/demo/firestore/indexes?create_exemption=")
    index = decoded(text, "create_exemption")
    assert index.name == f"{DATABASE}/collectionGroups/agent_states/fields/status"
    assert index.query_scope == Index.QueryScope.COLLECTION_GROUP
    assert fields_of(index) == [("status", "ASCENDING")]
    exempt = enforcer(overrides=[override("outreach", "message")])
    assert message(exempt, make_query("outreach", order=["-message"])).startswith(
        "The query requires a COLLECTION_DESC index for collection outreach and field message.")


def test_ranges_on_several_fields_add_the_multiple_range_fields_guide_to_the_refusal() -> None:
    # [ranges] the refusal points to the index-selection guide when several fields have ranges.
    text = message(NONE, make_query("employees", where=and_(field("salary", ">", 1), field("experience", ">", 0))))
    assert text.endswith("https://cloud.google.com/firestore/docs/query-data/multiple-range-fields.")
    assert fields_of(decoded(text, "create_composite")) == [
        ("experience", "ASCENDING"), ("salary", "ASCENDING"), ("__name__", "ASCENDING")]


def test_a_named_database_links_its_own_console_page() -> None:
    text = message(NONE, make_query("c", where=field("a", "==", 1), order=["b"]),
                   database="projects/demo/databases/reports")
    assert "https://console.firebase.google.com/v1/r/project/demo/firestore/databases/reports/indexes?" in text
    assert decoded(text, "create_composite").name == "projects/demo/databases/reports/collectionGroups/c/indexes/_"


# ---------------------------------------------------------------------------------------------- the file


def test_the_index_file_appends_name_in_the_direction_of_the_last_field() -> None:
    # [admin] "If __name__ was not specified as the last field, it will be added automatically with the same
    # direction as that of the last field defined."
    config = IndexConfig.parse({"indexes": [composite("c", "a", "-b"), composite("c", "[]tags", "a", "[]x")]})
    assert [(f.path, f.mode) for f in config.composites[0].fields][-1] == (("__name__",), "DESCENDING")
    assert [(f.path, f.mode) for f in config.composites[1].fields][-1] == (("__name__",), "ASCENDING")


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"indexes": [{"queryScope": "COLLECTION", "fields": [{"fieldPath": "a", "order": "ASCENDING"}]}]},
         "indexes[0]: 'collectionGroup'"),
        ({"indexes": [composite("c", "a") | {"queryScope": "DATABASE"}]}, "indexes[0]: queryScope"),
        ({"indexes": [{"collectionGroup": "c", "fields": [{"fieldPath": "a", "order": "UP"}]}]},
         "indexes[0].fields[0]: unknown order"),
        ({"indexes": [{"collectionGroup": "c", "fields": [{"fieldPath": "a"}]}]}, "needs exactly one of"),
        ({"fieldOverrides": [{"collectionGroup": "c", "fieldPath": "a..b", "indexes": []}]}, "fieldOverrides[0]"),
    ],
)
def test_a_malformed_index_file_is_rejected_naming_the_entry(document: dict[str, Any], complaint: str) -> None:
    with pytest.raises(IndexFileError, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        IndexConfig.parse(document)


def test_the_projects_index_file_parses_and_serves_its_own_indexes() -> None:
    config = IndexConfig.load(PROJECT_FILE)
    check = IndexEnforcer(config)
    assert len(config.composites) >= 40
    query = make_query("bookings", where=and_(field("staff_id", "==", "s"), field("status", "==", "x"),
                                              field("start_time", ">=", 1)))
    assert served(check, query)
    assert not served(check, make_query("outreach", order=["message"]))  # exempted in the file


def test_cursors_limits_and_projections_never_change_the_answer_so_pages_share_it() -> None:
    # [order] cursors, offset and limit window the ordered results; the index stays the same.
    check = enforcer()
    first = make_query("cities", where=field("country", "==", "USA"), order=["population"], limit=2)
    later = make_query("cities", where=field("country", "==", "USA"), order=["population"], limit=2,
                       start_after=[5], offset=1, select=["name"])
    assert check.unserved(first) == check.unserved(later) is not None
    assert len(check._unserved) == 1
    query = make_query("trips", where=field("type", "==", "car"))
    assert aggregation_served(check, aggregation(query, ("count", None)))
    assert not aggregation_served(check, aggregation(query, ("sum", "distance")))
