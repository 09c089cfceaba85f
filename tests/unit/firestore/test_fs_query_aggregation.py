"""count / sum / avg over the documents a structured query returns."""

from __future__ import annotations

import math
from typing import Any

import pytest
from localcloud.firestore.query import QueryError, execute_aggregation
from test_fs_query_builders import ROOT, AggregationQueryPb, doc, field, make_query

DOCS = [
    doc("c/a", {"n": 1, "x": 1.5, "s": "text", "group": "g"}),
    doc("c/b", {"n": 2, "x": None, "group": "g"}),
    doc("c/c", {"n": 3, "x": 2.5}),
    doc("c/d", {"n": "4", "x": [1]}),
    doc("other/e", {"n": 100}),
]


def aggregation(query: Any = None, *specs: tuple[str, str | None, Any]) -> Any:
    """specs: (kind, alias, argument) with kind count (argument = up_to or None), sum or avg (field)."""
    pb = AggregationQueryPb()
    pb.structured_query.CopyFrom(query if query is not None else make_query())
    for kind, alias, argument in specs:
        item = pb.aggregations.add()
        if alias:
            item.alias = alias
        if kind == "count":
            item.count.SetInParent()
            if argument is not None:
                item.count.up_to.value = argument
        else:
            getattr(item, kind).field.field_path = argument
    return pb


def results(pb: Any, docs: list[Any] = DOCS) -> dict[str, Any]:
    return execute_aggregation(pb, ROOT, docs)


def plain(value: Any) -> Any:
    kind = value.WhichOneof("value_type")
    return None if kind == "null_value" else getattr(value, kind)


def test_count_counts_matching_documents_of_the_collection() -> None:
    out = results(aggregation(None, ("count", "total", None)))
    assert plain(out["total"]) == 4
    out = results(aggregation(make_query(where=field("group", "==", "g")), ("count", "total", None)))
    assert plain(out["total"]) == 2


def test_count_up_to_caps_the_count() -> None:
    out = results(aggregation(None, ("count", "a", 2), ("count", "b", 10)))
    assert (plain(out["a"]), plain(out["b"])) == (2, 4)


def test_count_respects_the_nested_query_limit_offset_and_orders() -> None:
    out = results(aggregation(make_query(limit=2, offset=3), ("count", "c", None)))
    assert plain(out["c"]) == 1
    out = results(aggregation(make_query(order=["s"]), ("count", "c", None)))
    assert plain(out["c"]) == 1


def test_sum_of_integers_is_an_integer_and_skips_non_numbers() -> None:
    out = results(aggregation(None, ("sum", "s", "n")))
    assert out["s"].WhichOneof("value_type") == "integer_value"
    assert plain(out["s"]) == 6


def test_sum_with_a_double_is_a_double() -> None:
    out = results(aggregation(None, ("sum", "s", "x")))
    assert out["s"].WhichOneof("value_type") == "double_value"
    assert plain(out["s"]) == 4.0


def test_sum_of_nothing_is_integer_zero_and_avg_of_nothing_is_null() -> None:
    out = results(aggregation(None, ("sum", "s", "missing"), ("avg", "a", "missing")))
    assert out["s"].WhichOneof("value_type") == "integer_value" and plain(out["s"]) == 0
    assert out["a"].WhichOneof("value_type") == "null_value"


def test_avg_is_always_a_double() -> None:
    out = results(aggregation(None, ("avg", "a", "n"), ("avg", "b", "x")))
    assert out["a"].WhichOneof("value_type") == "double_value" and plain(out["a"]) == 2.0
    assert plain(out["b"]) == 2.0


def test_integer_sum_overflowing_int64_becomes_a_double() -> None:
    docs = [doc("c/a", {"n": 2**63 - 1}), doc("c/b", {"n": 1})]
    out = results(aggregation(None, ("sum", "s", "n")), docs)
    assert out["s"].WhichOneof("value_type") == "double_value"
    assert plain(out["s"]) == float(2**63)


def test_nan_poisons_sum_and_avg() -> None:
    docs = [doc("c/a", {"n": 1}), doc("c/b", {"n": math.nan})]
    out = results(aggregation(None, ("sum", "s", "n"), ("avg", "a", "n")), docs)
    assert math.isnan(plain(out["s"])) and math.isnan(plain(out["a"]))


def test_infinities_follow_ieee_arithmetic() -> None:
    docs = [doc("c/a", {"n": math.inf}), doc("c/b", {"n": 1})]
    assert plain(results(aggregation(None, ("sum", "s", "n")), docs)["s"]) == math.inf
    docs.append(doc("c/c", {"n": -math.inf}))
    assert math.isnan(plain(results(aggregation(None, ("sum", "s", "n")), docs)["s"]))


def test_unnamed_aggregations_get_field_n_aliases_in_order() -> None:
    out = results(aggregation(None, ("count", "mine", 1), ("count", None, 2), ("sum", None, "n")))
    assert list(out) == ["mine", "field_1", "field_2"]


def test_duplicate_aliases_are_rejected() -> None:
    with pytest.raises(QueryError, match="Aggregation aliases contain duplicate alias x"):
        results(aggregation(None, ("count", "x", None), ("sum", "x", "n")))


def test_an_empty_aggregation_list_is_rejected() -> None:
    with pytest.raises(QueryError, match="Aggregations can not be empty"):
        results(aggregation(None))


def test_more_than_five_aggregations_are_rejected() -> None:
    with pytest.raises(QueryError, match="At most 5"):
        results(aggregation(None, *[("count", f"c{i}", None) for i in range(6)]))


def test_count_up_to_must_be_positive() -> None:
    with pytest.raises(QueryError, match="greater than zero"):
        results(aggregation(None, ("count", "c", 0)))


def test_an_invalid_nested_query_is_rejected() -> None:
    with pytest.raises(QueryError):
        results(aggregation(make_query(limit=-3), ("count", "c", None)))


def test_sum_and_avg_on_nested_fields() -> None:
    docs = [doc("c/a", {"m": {"v": 2}}), doc("c/b", {"m": {"v": 4}}), doc("c/c", {"m": 1})]
    out = results(aggregation(None, ("sum", "s", "m.v"), ("avg", "a", "m.v")), docs)
    assert (plain(out["s"]), plain(out["a"])) == (6, 3.0)
