"""Firestore's total order over values and field access."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from google.cloud.firestore_v1.vector import Vector
from localcloud.firestore.values import compare_values, get_field, type_order, values_equal
from test_fs_query_builders import Geo, Ref, ts, val

# One representative ascending chain across every type, including the edges inside each type.
ASCENDING = [
    None,
    False,
    True,
    math.nan,
    -math.inf,
    -(2**63),
    -1.5,
    -1,
    0,
    0.5,
    1,
    2**53,
    2**53 + 1,
    2**63 - 1,
    math.inf,
    ts(0),
    ts(0, 1),
    ts(1),
    "",
    "A",
    "Z",
    "a",
    "ab",
    "b",
    "é",
    "\uffff",
    "\U0001f600",
    b"",
    b"\x00",
    b"\x00\x00",
    b"\x01",
    b"\xff",
    Ref("c/__id-5__"),
    Ref("c/__id2__"),
    Ref("c/__id10__"),
    Ref("c/a"),
    Ref("c/a/x/y"),
    Ref("c/a-b"),
    Ref("c/b"),
    Ref("d/a"),
    Geo(-10, 50),
    Geo(0, -10),
    Geo(0, 10),
    Geo(10, -50),
    [],
    [None],
    [1, 2],
    [1, 2, 0],
    [1, 3],
    ["a"],
    Vector([9.0]),
    Vector([1.0, 2.0]),
    Vector([1.0, 3.0]),
    {},
    {"a": 1},
    {"a": 1, "b": 0},
    {"a": 2},
    {"a": "x"},
    {"b": 0},
]


def test_the_chain_of_representative_values_is_strictly_ascending() -> None:
    for lower, higher in itertools.pairwise(ASCENDING):
        assert compare_values(val(lower), val(higher)) == -1, (lower, higher)
        assert compare_values(val(higher), val(lower)) == 1, (lower, higher)


def test_sorting_a_shuffled_list_by_compare_values_restores_the_firestore_order() -> None:
    import functools

    shuffled = list(ASCENDING)
    random.Random(7).shuffle(shuffled)
    encoded = sorted((val(v) for v in shuffled), key=functools.cmp_to_key(compare_values))
    expected = [val(v) for v in ASCENDING]
    assert [compare_values(a, b) for a, b in zip(encoded, expected, strict=True)] == [0] * len(expected)


def test_type_order_runs_null_bool_number_timestamp_string_bytes_reference_geo_array_vector_map() -> None:
    samples = [None, True, 1, ts(5), "s", b"b", Ref("c/d"), Geo(1, 2), [1], Vector([1.0]), {"a": 1}]
    orders = [type_order(val(sample)) for sample in samples]
    assert orders == sorted(orders)
    assert len(set(orders)) == len(samples)


def test_nan_sorts_before_negative_infinity_and_equals_itself() -> None:
    assert compare_values(val(math.nan), val(-math.inf)) == -1
    assert compare_values(val(math.nan), val(math.nan)) == 0
    assert values_equal(val(math.nan), val(math.nan))


def test_integers_and_doubles_compare_by_numeric_value() -> None:
    assert values_equal(val(1), val(1.0))
    assert values_equal(val(-0.0), val(0))
    assert values_equal(val(-0.0), val(0.0))
    assert compare_values(val(2**53 + 1), val(float(2**53))) == 1
    assert compare_values(val(2**63 - 1), val(9.223372036854775807e18)) == -1
    assert compare_values(val(-(2**63)), val(-9.223372036854775807e18)) == 0
    assert compare_values(val(3), val(2.999999)) == 1


def test_strings_compare_by_utf8_bytes_not_utf16_code_units() -> None:
    # In UTF-16 the emoji (a surrogate pair starting 0xD83D) would sort before U+FFFF.
    assert compare_values(val("\uffff"), val("\U0001f600")) == -1
    assert compare_values(val("z"), val("é")) == -1


def test_references_compare_segment_by_segment_with_numeric_ids_first() -> None:
    assert compare_values(val(Ref("c/a/x/y")), val(Ref("c/a-b"))) == -1
    assert compare_values(val(Ref("c/__id9__")), val(Ref("c/__id10__"))) == -1
    assert compare_values(val(Ref("c/__id99__")), val(Ref("c/0"))) == -1
    assert compare_values(val(Ref("c")), val(Ref("c/a"))) == -1


def test_timestamps_compare_by_seconds_then_nanos() -> None:
    assert compare_values(val(ts(10, 999_999)), val(ts(11))) == -1
    assert compare_values(val(ts(-1)), val(ts(0))) == -1


def test_vectors_order_by_dimension_before_elements() -> None:
    assert compare_values(val(Vector([100.0])), val(Vector([0.0, 0.0]))) == -1
    assert compare_values(val(Vector([1.0, 2.0])), val(Vector([1.0, 2.5]))) == -1


def test_a_vector_sorts_after_every_array_and_before_every_map() -> None:
    assert compare_values(val([{"z": 1}, 99]), val(Vector([0.0]))) == -1
    assert compare_values(val(Vector([9.0, 9.0, 9.0])), val({})) == -1


def test_maps_compare_keys_in_order_then_values_then_size() -> None:
    assert compare_values(val({"b": 1, "a": 2}), val({"a": 2, "b": 1})) == 0
    assert compare_values(val({"a": 1, "c": 0}), val({"a": 1, "b": 9})) == 1
    assert compare_values(val({"a": {"x": [1]}}), val({"a": {"x": [1, 0]}})) == -1


def test_arrays_compare_element_wise_with_the_shorter_prefix_first() -> None:
    assert compare_values(val([1, "a"]), val([1, "b"])) == -1
    assert compare_values(val([2]), val([1, 5])) == 1
    assert compare_values(val([1.0, 2]), val([1, 2.0])) == 0


def test_values_equal_is_deep_and_type_aware() -> None:
    assert values_equal(val({"a": [1, {"b": None}]}), val({"a": [1.0, {"b": None}]}))
    assert not values_equal(val("1"), val(1))
    assert not values_equal(val(None), val(False))
    assert not values_equal(val([1]), val(1))


def test_an_empty_value_message_behaves_as_null() -> None:
    from test_fs_query_builders import ValuePb

    assert values_equal(ValuePb(), val(None))


FIELDS = val({"a": {"b": {"c": 1}}, "x.y": 2, "top": 3, "list": [1], "weird`name": 4}).map_value.fields


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("top", 3),
        ("a.b.c", 1),
        ("`x.y`", 2),
        ("`weird\\`name`", 4),
        ("a.`b`.c", 1),
    ],
)
def test_get_field_follows_dotted_and_back_quoted_paths(path: str, expected: int) -> None:
    found = get_field(FIELDS, path)
    assert found is not None and found.integer_value == expected


@pytest.mark.parametrize("path", ["missing", "a.missing", "a.b.c.d", "x.y", "list.0", "top.inner"])
def test_get_field_returns_none_for_missing_paths_and_non_map_parents(path: str) -> None:
    assert get_field(FIELDS, path) is None


def test_get_field_does_not_insert_missing_keys_into_the_map() -> None:
    fields = val({"a": 1}).map_value.fields
    get_field(fields, "b.c")
    assert list(fields) == ["a"]
