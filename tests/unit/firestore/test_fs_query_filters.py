"""Field, unary and composite filters, checked against the behaviour of Google's Firestore backend."""

from __future__ import annotations

import math

import pytest
from localcloud.firestore.query import document_matches
from test_fs_query_builders import (
    ROOT,
    Ref,
    and_,
    doc,
    field,
    ids,
    make_query,
    or_,
    unary,
)

# The zip documents of the Firestore SDK conformance tests for != and not-in.
ZIPS = [
    doc("c/a", {"zip": math.nan}),
    doc("c/b", {"zip": 91102}),
    doc("c/c", {"zip": 98101}),
    doc("c/d", {"zip": "98101"}),
    doc("c/e", {"zip": [98101]}),
    doc("c/f", {"zip": [98101, 98102]}),
    doc("c/g", {"zip": ["98101", {"zip": 98101}]}),
    doc("c/h", {"zip": {"code": 500}}),
    doc("c/i", {"code": 500}),
    doc("c/j", {"zip": None}),
]


def where(filter_: object) -> object:
    return make_query(where=filter_)


def test_not_equal_skips_missing_and_null_fields_and_orders_by_the_field() -> None:
    assert ids(where(field("zip", "!=", 98101)), ZIPS) == ["a", "b", "d", "e", "f", "g", "h"]


def test_not_equal_to_a_map_matches_every_other_type() -> None:
    assert ids(where(field("zip", "!=", {"code": 500})), ZIPS) == ["a", "b", "c", "d", "e", "f", "g"]


def test_is_not_null_skips_missing_and_null() -> None:
    assert ids(where(unary("zip", "is-not-null")), ZIPS) == ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_is_not_nan_skips_nan_null_and_missing() -> None:
    assert ids(where(unary("zip", "is-not-nan")), ZIPS) == ["b", "c", "d", "e", "f", "g", "h"]


def test_not_in_skips_listed_values_missing_and_null() -> None:
    query = where(field("zip", "not-in", [98101, 98103, [98101, 98102]]))
    assert ids(query, ZIPS) == ["a", "b", "d", "e", "g", "h"]


def test_not_in_with_null_matches_nothing() -> None:
    assert ids(where(field("zip", "not-in", [None])), ZIPS) == []


def test_not_in_with_nan_excludes_nan_documents() -> None:
    assert ids(where(field("zip", "not-in", [math.nan, 98101])), ZIPS) == ["b", "d", "e", "f", "g", "h"]


def test_is_null_and_is_nan_match_exactly_those_values() -> None:
    assert ids(where(unary("zip", "is-null")), ZIPS) == ["j"]
    assert ids(where(unary("zip", "is-nan")), ZIPS) == ["a"]


def test_equality_matches_integers_and_doubles_alike() -> None:
    docs = [
        doc("c/int", {"n": 1}),
        doc("c/dbl", {"n": 1.0}),
        doc("c/str", {"n": "1"}),
        doc("c/x", {"n": 1.5}),
    ]
    assert ids(where(field("n", "==", 1)), docs) == ["dbl", "int"]
    assert ids(where(field("n", "==", 1.0)), docs) == ["dbl", "int"]


def test_equality_on_maps_and_arrays_is_deep() -> None:
    docs = [
        doc("c/a", {"m": {"x": [1, 2]}}),
        doc("c/b", {"m": {"x": [1]}}),
        doc("c/c", {"m": {"x": [1, 2], "y": 0}}),
    ]
    assert ids(where(field("m", "==", {"x": [1, 2]})), docs) == ["a"]


def test_equality_on_a_nested_field_path() -> None:
    docs = [doc("c/a", {"m": {"x": 1}}), doc("c/b", {"m": {"x": 2}}), doc("c/c", {"m": 1})]
    assert ids(where(field("m.x", "==", 1)), docs) == ["a"]


def test_zero_and_negative_zero_are_equal_in_filters() -> None:
    docs = [doc("c/pos", {"n": 0.0}), doc("c/neg", {"n": -0.0}), doc("c/int", {"n": 0})]
    assert ids(where(field("n", "==", -0.0)), docs) == ["int", "neg", "pos"]


MIXED = [
    doc("c/null", {"v": None}),
    doc("c/bool", {"v": True}),
    doc("c/nan", {"v": math.nan}),
    doc("c/one", {"v": 1}),
    doc("c/two", {"v": 2.0}),
    doc("c/big", {"v": 2**62}),
    doc("c/str", {"v": "abc"}),
    doc("c/bytes", {"v": b"abc"}),
    doc("c/arr", {"v": [1]}),
    doc("c/map", {"v": {"a": 1}}),
    doc("c/none", {"other": 1}),
]


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (">", 1, ["two", "big"]),
        (">=", 1, ["one", "two", "big"]),
        ("<", 2, ["nan", "one"]),
        ("<=", 2, ["nan", "one", "two"]),
        (">", -math.inf, ["one", "two", "big"]),
        (">=", "", ["str"]),
        ("<", "b", ["str"]),
        ("<", b"b", ["bytes"]),
        (">", False, ["bool"]),
        (">", [0], ["arr"]),
        (">=", {}, ["map"]),
    ],
)
def test_range_filters_only_match_values_of_the_same_type(
    op: str, value: object, expected: list[str]
) -> None:
    assert ids(where(field("v", op, value)), MIXED) == expected


def test_range_filters_on_timestamps_and_references() -> None:
    from test_fs_query_builders import ts

    docs = [
        doc("c/early", {"t": ts(100), "r": Ref("x/1")}),
        doc("c/late", {"t": ts(200), "r": Ref("x/2")}),
        doc("c/str", {"t": "200", "r": "x/3"}),
    ]
    assert ids(where(field("t", ">", ts(150))), docs) == ["late"]
    assert ids(where(field("r", "<=", Ref("x/1"))), docs) == ["early"]


def test_array_contains_matches_any_equal_element() -> None:
    docs = [
        doc("c/a", {"array": [42]}),
        doc("c/b", {"array": ["a", 42, "c"]}),
        doc("c/c", {"array": [41.999, "42", {"a": [42]}]}),
        doc("c/d", {"array": [42.0], "array2": ["bingo"]}),
        doc("c/e", {"array": 42}),
        doc("c/f", {"array": [None]}),
        doc("c/g", {"array": [math.nan]}),
    ]
    assert ids(where(field("array", "array-contains", 42)), docs) == ["a", "b", "d"]
    assert ids(where(field("array", "array-contains", {"a": [42]})), docs) == ["c"]
    assert ids(where(field("array", "array-contains", None)), docs) == []
    assert ids(where(field("array", "array-contains", math.nan)), docs) == []


def test_array_contains_any_ignores_null_and_nan_and_non_arrays() -> None:
    docs = [
        doc("c/a", {"array": [42]}),
        doc("c/b", {"array": ["a", 42, "c"]}),
        doc("c/c", {"array": [41.999, "42", {"a": [42]}]}),
        doc("c/d", {"array": [42], "array2": ["bingo"]}),
        doc("c/e", {"array": [43]}),
        doc("c/f", {"array": [{"a": 42}]}),
        doc("c/g", {"array": 42}),
        doc("c/h", {"array": [None]}),
        doc("c/i", {"array": [math.nan]}),
    ]
    assert ids(where(field("array", "array-contains-any", [42, 43])), docs) == ["a", "b", "d", "e"]
    assert ids(where(field("array", "array-contains-any", [{"a": 42}])), docs) == ["f"]
    assert ids(where(field("array", "array-contains-any", [None])), docs) == []
    assert ids(where(field("array", "array-contains-any", [43, None])), docs) == ["e"]
    assert ids(where(field("array", "array-contains-any", [math.nan])), docs) == []
    assert ids(where(field("array", "array-contains-any", [43, math.nan])), docs) == ["e"]


def test_in_matches_whole_values_but_never_null_or_nan() -> None:
    docs = [
        doc("c/a", {"zip": 98101}),
        doc("c/b", {"zip": 91102}),
        doc("c/c", {"zip": 98103}),
        doc("c/d", {"zip": [98101]}),
        doc("c/e", {"zip": ["98101", {"zip": 98101}]}),
        doc("c/f", {"zip": {"code": 500}}),
        doc("c/g", {"zip": [98101, 98102]}),
        doc("c/h", {"zip": None}),
        doc("c/i", {"zip": math.nan}),
    ]
    assert ids(where(field("zip", "in", [98101, 98103, [98101, 98102]])), docs) == ["a", "c", "g"]
    assert ids(where(field("zip", "in", [{"code": 500}])), docs) == ["f"]
    assert ids(where(field("zip", "in", [None])), docs) == []
    assert ids(where(field("zip", "in", [98101, None])), docs) == ["a"]
    assert ids(where(field("zip", "in", [math.nan])), docs) == []
    assert ids(where(field("zip", "in", [98101.0, math.nan])), docs) == ["a"]


KEYS = [doc("c/aa", {"k": 1}), doc("c/ab", {"k": 2}), doc("c/ba", {"k": 3}), doc("c/bb", {"k": 4})]


def test_name_filters_compare_document_references() -> None:
    assert ids(where(field("__name__", "!=", Ref("c/aa"))), KEYS) == ["ab", "ba", "bb"]
    assert ids(where(field("__name__", "==", Ref("c/ba"))), KEYS) == ["ba"]
    assert ids(where(field("__name__", ">=", Ref("c/b"))), KEYS) == ["ba", "bb"]
    assert ids(where(field("__name__", "in", [Ref("c/aa"), Ref("c/bb")])), KEYS) == ["aa", "bb"]
    assert ids(where(field("__name__", "not-in", [Ref("c/aa"), Ref("c/ab")])), KEYS) == ["ba", "bb"]


def test_and_requires_every_filter() -> None:
    docs = [doc("c/a", {"x": 1, "y": 1}), doc("c/b", {"x": 1, "y": 2}), doc("c/c", {"x": 2, "y": 1})]
    assert ids(where(and_(field("x", "==", 1), field("y", "==", 1))), docs) == ["a"]


def test_or_requires_any_filter() -> None:
    docs = [
        doc("c/a", {"x": 1, "y": 1}),
        doc("c/b", {"x": 1, "y": 2}),
        doc("c/c", {"x": 2, "y": 1}),
        doc("c/d", {}),
    ]
    assert ids(where(or_(field("x", "==", 2), field("y", "==", 2))), docs) == ["b", "c"]


def test_nested_composites_combine_and_inside_or_inside_and() -> None:
    docs = [
        doc("c/1", {"a": 1, "b": 0, "c": "x"}),
        doc("c/2", {"a": 2, "b": 1, "c": "x"}),
        doc("c/3", {"a": 3, "b": 3, "c": "x"}),
        doc("c/4", {"a": 1, "b": 0, "c": "y"}),
        doc("c/5", {"a": 5, "b": 5, "c": "x"}),
    ]
    filter_ = and_(
        field("c", "==", "x"),
        or_(field("a", "==", 1), and_(field("a", ">", 1), field("b", "<", 3)), field("b", "==", 5)),
    )
    assert ids(where(filter_), docs) == ["1", "2", "5"]


def test_or_with_inequalities_on_different_fields_orders_by_both_fields_then_name() -> None:
    docs = [
        doc("c/1", {"a": 5, "b": 0}),
        doc("c/2", {"a": 0, "b": 5}),
        doc("c/3", {"a": 3, "b": 9}),
        doc("c/4", {"b": 9}),
    ]
    # Documents lacking an implicitly ordered field are not in the index and cannot be returned.
    assert ids(where(or_(field("a", ">", 2), field("b", ">", 2))), docs) == ["2", "3", "1"]


def test_a_single_filter_inside_a_composite_behaves_like_the_filter() -> None:
    docs = [doc("c/a", {"x": 1}), doc("c/b", {"x": 2})]
    assert ids(where(or_(field("x", "==", 2))), docs) == ["b"]
    assert ids(where(and_(field("x", "==", 2))), docs) == ["b"]


def test_document_matches_checks_scope_and_filters_only() -> None:
    query = make_query(where=field("x", ">", 1), limit=1, offset=5)
    assert document_matches(query, ROOT, doc("c/a", {"x": 2}))
    assert not document_matches(query, ROOT, doc("c/a", {"x": 1}))
    assert not document_matches(query, ROOT, doc("d/a", {"x": 2}))
    assert not document_matches(query, ROOT, doc("c/a/c/b", {"x": 2}))


def test_filters_and_orders_accept_back_quoted_field_paths() -> None:
    docs = [doc("c/a", {"a.b": 1, "a": {"b": 2}}), doc("c/b", {"a.b": 2, "a": {"b": 1}})]
    assert ids(where(field("`a.b`", "==", 1)), docs) == ["a"]
    assert ids(where(field("a.b", "==", 1)), docs) == ["b"]
    assert ids(make_query(order=["-`a.b`"]), docs) == ["b", "a"]
