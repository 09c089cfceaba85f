"""The expression language: every type, operator and method, with its error cases."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from localcloud.rules import Duration, LatLng, Path, RulesEvalError, RulesSet, evaluate_expression

NOW = datetime(2024, 1, 15, 10, 30, 15, 250000, tzinfo=UTC)


def ev(source: str, **variables: Any) -> Any:
    return evaluate_expression(source, variables)


def fails(source: str, **variables: Any) -> None:
    with pytest.raises(RulesEvalError):
        evaluate_expression(source, variables)


# -- literals and basic types -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("null", None),
        ("true", True),
        ("false", False),
        ("42", 42),
        ("4.5", 4.5),
        ("1e3", 1000.0),
        ("'text'", "text"),
        ('"text"', "text"),
        ("[1, 'a', null]", [1, "a", None]),
        ("{'a': 1, 'b': {'c': true}}", {"a": 1, "b": {"c": True}}),
        ("[]", []),
        ("{}", {}),
    ],
)
def test_literals_evaluate_to_their_values(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_ints_and_floats_stay_distinct_types() -> None:
    assert type(ev("3")) is int
    assert type(ev("3.0")) is float
    assert ev("3 is int") is True and ev("3.0 is int") is False
    assert ev("3.0 is float") is True and ev("3 is number") is True and ev("3.5 is number") is True


@pytest.mark.parametrize(
    ("source", "type_name"),
    [
        ("true", "bool"),
        ("'s'", "string"),
        ("[1]", "list"),
        ("{'a': 1}", "map"),
        ("b'x'", "bytes"),
        ("/a/b", "path"),
        ("request.time", "timestamp"),
        ("duration.value(1, 's')", "duration"),
        ("latlng.value(1.0, 2.0)", "latlng"),
        ("[1].toSet()", "set"),
    ],
)
def test_is_recognises_every_type_and_rejects_others(source: str, type_name: str) -> None:
    variables = {"request": {"time": NOW}}
    assert ev(f"{source} is {type_name}", **variables) is True
    other = "int" if type_name != "int" else "string"
    assert ev(f"{source} is {other}", **variables) is False


# -- arithmetic -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3),
        ("-7 / 2", -3),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("7.0 / 2", 3.5),
        ("1 + 2.5", 3.5),
        ("10 - 2.5", 7.5),
        ("'ab' + 'cd'", "abcd"),
        ("[1] + [2]", [1, 2]),
        ("-(3)", -3),
        ("!false", True),
    ],
)
def test_arithmetic_follows_the_rules_language(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    "source",
    ["1 / 0", "1 % 0", "9223372036854775807 + 1", "-9223372036854775807 - 2", "'a' + 1", "[1] + 'a'", "!1", "-'a'", "true + true"],
)
def test_arithmetic_errors_are_errors_not_values(source: str) -> None:
    fails(source)


# -- comparison, equality, membership -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 == 1.0", True),
        ("true == 1", False),
        ("null == null", True),
        ("null == false", False),
        ("'a' != 'b'", True),
        ("[1, [2]] == [1, [2]]", True),
        ("{'a': [1]} == {'a': [1]}", True),
        ("{'a': 1} == {'a': 1, 'b': 2}", False),
        ("1 < 2.5", True),
        ("'abc' < 'abd'", True),
        ("2 >= 2", True),
        ("3 <= 2", False),
        ("2 in [1, 2]", True),
        ("3 in [1, 2]", False),
        ("'a' in {'a': 1}", True),
        ("'b' in {'a': 1}", False),
        ("'x' in ['x'].toSet()", True),
        ("[1, 2].toSet() == [2, 1, 1].toSet()", True),
    ],
)
def test_comparisons_and_membership(source: str, expected: bool) -> None:
    assert ev(source) is expected


@pytest.mark.parametrize("source", ["1 < 'a'", "null < 1", "[1] < [2]", "1 in 'abc'", "1 in {'a': 1}"])
def test_comparisons_of_unordered_or_mixed_types_are_errors(source: str) -> None:
    fails(source)


# -- logic and error absorption -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("missing.field || true", True),
        ("true || missing.field", True),
        ("missing.field && false", False),
        ("false && missing.field", False),
        ("1 || true", True),
        ("true ? 'yes' : missing.field", "yes"),
        ("false ? missing.field : 'no'", "no"),
    ],
)
def test_short_circuit_absorbs_errors_the_result_does_not_depend_on(source: str, expected: Any) -> None:
    assert ev(source, missing={}) == expected


@pytest.mark.parametrize(
    "source",
    [
        "missing.field || false",
        "false || missing.field",
        "missing.field && true",
        "true && missing.field",
        "missing.field ? 1 : 2",
        "1 ? 1 : 2",
        "true && 1",
        "!missing.field",
    ],
)
def test_errors_the_result_depends_on_propagate(source: str) -> None:
    fails(source, missing={})


def test_and_binds_tighter_than_or_and_ternary_is_lowest() -> None:
    assert ev("true || false && false") is True
    assert ev("false && true || true") is True
    assert ev("1 == 1 ? 'a' : 'b'") == "a"
    assert ev("1 + 1 == 2 && 2 in [2]") is True


# -- variables, member access, indexing ------------------------------------------------------------------------
def test_member_access_index_and_slices() -> None:
    data = {"m": {"a": {"b": 1}, "list": [1, 2, 3, 4]}}
    assert ev("m.a.b", **data) == 1
    assert ev("m['a']['b']", **data) == 1
    assert ev("m.list[0]", **data) == 1
    assert ev("m.list[1:3]", **data) == [2, 3]
    assert ev("m.list[:2]", **data) == [1, 2]
    assert ev("m.list[2:]", **data) == [3, 4]


@pytest.mark.parametrize(
    "source",
    ["m.nope", "m.a.b.c", "nothing.x", "m.list[9]", "m.list[-1]", "m.list['a']", "m.list[3:1]", "n.x", "unknownVar", "m[1]"],
)
def test_missing_fields_and_bad_indexes_are_errors(source: str) -> None:
    fails(source, m={"a": {"b": 1}, "list": [1, 2]}, n=None, nothing=None)


# -- strings ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'héllo'.size()", 5),
        ("'abc'.matches('a.c')", True),
        ("'abcd'.matches('a.c')", False),
        ("'+919876543210'.matches('^\\\\+91[0-9]{10}$')", True),
        ("'MiXed'.lower()", "mixed"),
        ("'MiXed'.upper()", "MIXED"),
        ("'a,b;c'.split('[,;]')", ["a", "b", "c"]),
        ("'  pad  '.trim()", "pad"),
        ("'a1b22c'.replace('[0-9]+', '#')", "a#b#c"),
        ("'é'.toUtf8()", "é".encode()),
        ("string(12) + string(true) + string(null) + string(1.5)", "12truenull1.5"),
    ],
)
def test_string_methods(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_an_invalid_regular_expression_is_an_error() -> None:
    fails("'a'.matches('(')")
    fails("'a'.matches(1)")


# -- lists -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[1, 2].size()", 2),
        ("['a', 'b', 'c'].hasAll(['a', 'c'])", True),
        ("['a', 'b'].hasAll(['a', 'z'])", False),
        ("['a', 'b'].hasAny(['z', 'b'])", True),
        ("['a', 'b'].hasAny([])", False),
        ("['a', 'b'].hasOnly(['a', 'b', 'c'])", True),
        ("['a', 'd'].hasOnly(['a', 'b'])", False),
        ("['a', 'b'].join('-')", "a-b"),
        ("[1].concat([2, 3])", [1, 2, 3]),
        ("[1, 2, 3, 2].removeAll([2])", [1, 3]),
        ("[1, 1, 2].toSet().size()", 2),
    ],
)
def test_list_methods(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_join_of_non_strings_is_an_error() -> None:
    fails("[1, 'a'].join(',')")


# -- maps and diffs --------------------------------------------------------------------------------------------------
def test_map_methods() -> None:
    m = {"a": 1, "b": {"c": 2}}
    assert ev("m.keys()", m=m) == ["a", "b"]
    assert ev("m.values()", m=m) == [1, {"c": 2}]
    assert ev("m.size()", m=m) == 2
    assert ev("m.get('a', 0)", m=m) == 1
    assert ev("m.get('z', 0)", m=m) == 0
    assert ev("m.get(['b', 'c'], 0)", m=m) == 2
    assert ev("m.get(['b', 'z'], 'd')", m=m) == "d"
    assert ev("m.get(['a', 'z'], 'd')", m=m) == "d"


def test_map_diff_reports_added_removed_changed_and_unchanged_keys() -> None:
    old = {"keep": 1, "change": 1, "remove": 1}
    new = {"keep": 1, "change": 2, "add": 1}
    variables = {"old": old, "new": new}
    assert ev("new.diff(old).addedKeys() == ['remove'].toSet()", **variables) is True
    assert ev("old.diff(new).addedKeys() == ['add'].toSet()", **variables) is True
    assert ev("old.diff(new).removedKeys() == ['remove'].toSet()", **variables) is True
    assert ev("old.diff(new).changedKeys() == ['change'].toSet()", **variables) is True
    assert ev("old.diff(new).unchangedKeys() == ['keep'].toSet()", **variables) is True
    assert ev("old.diff(new).affectedKeys() == ['add', 'remove', 'change'].toSet()", **variables) is True
    assert ev("old.diff(new).affectedKeys().hasOnly(['add', 'remove', 'change'])", **variables) is True
    assert ev("old.diff(new).affectedKeys().hasOnly(['add'])", **variables) is False


def test_diff_treats_int_and_float_of_equal_value_as_unchanged() -> None:
    assert ev("{'a': 1}.diff({'a': 1.0}).affectedKeys().size()") == 0


# -- sets --------------------------------------------------------------------------------------------------------------------
def test_set_methods() -> None:
    assert ev("['a', 'b'].toSet().union(['c'].toSet()) == ['a', 'b', 'c'].toSet()") is True
    assert ev("['a', 'b'].toSet().intersection(['b', 'c'].toSet()) == ['b'].toSet()") is True
    assert ev("['a', 'b'].toSet().difference(['b'].toSet()) == ['a'].toSet()") is True
    assert ev("['a', 'b'].toSet().hasAll(['a'])") is True
    assert ev("['a', 'b'].toSet().hasAny(['z'])") is False
    assert ev("['a'].toSet().hasOnly(['a', 'b'])") is True
    assert isinstance(ev("[1].toSet()"), RulesSet)


# -- timestamps and durations ------------------------------------------------------------------------------------------------
def test_timestamp_parts_and_constructors() -> None:
    assert ev("t.year()", t=NOW) == 2024
    assert ev("t.month()", t=NOW) == 1
    assert ev("t.day()", t=NOW) == 15
    assert ev("t.hours()", t=NOW) == 10
    assert ev("t.minutes()", t=NOW) == 30
    assert ev("t.seconds()", t=NOW) == 15
    assert ev("t.nanos()", t=NOW) == 250_000_000
    assert ev("t.dayOfWeek()", t=NOW) == 1  # a Monday
    assert ev("t.dayOfYear()", t=NOW) == 15
    assert ev("t.toMillis()", t=NOW) == int(NOW.timestamp() * 1000)
    assert ev("t.date() == timestamp.date(2024, 1, 15)", t=NOW) is True
    assert ev("timestamp.value(0)") == datetime(1970, 1, 1, tzinfo=UTC)
    assert ev("t.time() == duration.time(10, 30, 15, 250000000)", t=NOW) is True


def test_timestamp_arithmetic_with_durations() -> None:
    assert ev("t + duration.value(1, 'h') > t", t=NOW) is True
    assert ev("t - duration.value(1, 'd') == timestamp.date(2024, 1, 14) + t.time()", t=NOW) is True
    assert ev("(t - timestamp.date(2024, 1, 15)).seconds()", t=NOW) == 10 * 3600 + 30 * 60 + 15
    assert ev("timestamp.date(2024, 1, 16) - timestamp.date(2024, 1, 15) == duration.value(24, 'h')") is True
    assert ev("t < timestamp.date(2025, 1, 1)", t=NOW) is True


def test_durations() -> None:
    assert ev("duration.value(90, 'm')") == Duration(90 * 60 * 10**9)
    assert ev("duration.value(1500, 'ms').seconds()") == 1
    assert ev("duration.value(1500, 'ms').nanos()") == 500_000_000
    assert ev("duration.value(2, 'w') == duration.value(14, 'd')") is True
    assert ev("duration.time(1, 2, 3, 4).nanos()") == 4
    assert ev("duration.abs(duration.value(-5, 's')) == duration.value(5, 's')") is True
    assert ev("duration.value(1, 's') + duration.value(1, 's') < duration.value(3, 's')") is True
    fails("duration.value(1, 'years')")
    fails("timestamp.date(2024, 2, 30)")
    fails("request.time + 1", request={"time": NOW})


# -- math and conversions --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("math.abs(-3)", 3),
        ("math.abs(-2.5)", 2.5),
        ("math.ceil(1.2)", 2),
        ("math.floor(-1.2)", -2),
        ("math.round(2.5)", 3),
        ("math.round(-2.5)", -3),
        ("math.sqrt(16)", 4.0),
        ("math.pow(2, 10)", 1024.0),
        ("math.isNaN(1.0)", False),
        ("math.isInfinite(1.0)", False),
        ("int('42')", 42),
        ("int(3.9)", 3),
        ("int(-3.9)", -3),
        ("float(2)", 2.0),
        ("float('2.5')", 2.5),
    ],
)
def test_math_and_conversions(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected and type(result) is type(expected)


def test_nan_is_detected_and_never_equal_to_itself() -> None:
    nan = math.nan
    assert ev("math.isNaN(x)", x=nan) is True
    assert ev("x == x", x=nan) is False


@pytest.mark.parametrize("source", ["int('4x')", "int([1])", "float('z')", "math.sqrt(-1)", "math.abs('a')", "string([1])"])
def test_bad_conversions_are_errors(source: str) -> None:
    fails(source)


# -- paths, latlng, debug ---------------------------------------------------------------------------------------------------------
def test_paths_index_compare_and_convert() -> None:
    assert ev("/databases/x/documents/a/b[4]") == "b"
    assert ev("path('/a/b') == /a/b") is True
    assert ev("string(/a/b)") == "/a/b"
    assert ev("/a/$(p)/c", p=Path(("x", "y"))) == Path(("a", "x", "y", "c"))
    fails("/a/$(p)", p=["list"])
    fails("/a/$(p)", p="with/slash")


def test_latlng_distance() -> None:
    delhi, mumbai = LatLng(28.6139, 77.2090), LatLng(19.0760, 72.8777)
    metres = ev("a.distance(b)", a=delhi, b=mumbai)
    assert 1_140_000 < metres < 1_160_000
    assert ev("latlng.value(1.5, 2.5).latitude()") == 1.5
    fails("latlng.value(91.0, 0.0)")


def test_debug_returns_its_argument() -> None:
    assert ev("debug(1 + 1) == 2") is True


def test_unknown_functions_and_methods_are_errors() -> None:
    fails("nosuch(1)")
    fails("'a'.nosuch()")
    fails("math.nosuch(1)")
    fails("[1].size(1)")
