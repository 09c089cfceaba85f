"""Queries Firestore rejects with INVALID_ARGUMENT, and close relatives it accepts."""

from __future__ import annotations

import pytest
from localcloud.firestore.query import QueryError, validate_query
from test_fs_query_builders import QueryPb, Ref, and_, field, make_query, or_, unary


def rejected(query: object, match: str) -> None:
    with pytest.raises(QueryError, match=match):
        validate_query(query)


def test_not_in_accepts_ten_values_and_rejects_eleven() -> None:
    validate_query(make_query(where=field("a", "not-in", list(range(10)))))
    rejected(make_query(where=field("a", "not-in", list(range(11)))), "'NOT_IN' supports up to 10")


@pytest.mark.parametrize("op", ["in", "not-in", "array-contains-any"])
def test_list_operators_need_a_non_empty_array(op: str) -> None:
    rejected(make_query(where=field("a", op, [])), "non-empty array")
    rejected(make_query(where=field("a", op, 5)), "non-empty array")


@pytest.mark.parametrize(
    "other",
    [
        field("b", "in", [1, 2]),
        field("b", "array-contains-any", [1]),
        field("b", "not-in", [1]),
        field("b", "!=", 1),
        unary("b", "is-not-null"),
        unary("b", "is-not-nan"),
    ],
)
def test_not_in_cannot_be_combined_with_in_array_contains_any_or_other_negations(other: object) -> None:
    with pytest.raises(QueryError):
        validate_query(make_query(where=and_(field("a", "not-in", [1]), other)))


def test_not_in_cannot_be_used_with_or() -> None:
    rejected(make_query(where=or_(field("a", "not-in", [1]), field("b", "==", 1))), "'OR'")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (field("a", "!=", 1), field("b", "!=", 2)),
        (field("a", "!=", 1), unary("b", "is-not-null")),
        (unary("a", "is-not-nan"), unary("a", "is-not-null")),
    ],
)
def test_at_most_one_negation_filter_per_query(first: object, second: object) -> None:
    rejected(make_query(where=and_(first, second)), "at most one")


def test_a_negation_may_combine_with_ranges_and_equalities_on_other_fields() -> None:
    validate_query(make_query(where=and_(field("a", "!=", 1), field("b", ">", 2), field("c", "==", 3))))


def test_thirty_disjunctions_are_allowed_and_thirty_one_are_not() -> None:
    validate_query(make_query(where=field("a", "in", list(range(30)))))
    rejected(make_query(where=field("a", "in", list(range(31)))), "disjunctions")
    validate_query(make_query(where=and_(field("a", "in", list(range(10))), field("b", "in", [1, 2, 3]))))
    rejected(make_query(where=and_(field("a", "in", list(range(10))), field("b", "in", [1, 2, 3, 4]))), "40")
    many_ors = or_(
        *[field("a", "==", i) for i in range(20)], field("b", "array-contains-any", list(range(11)))
    )
    rejected(make_query(where=many_ors), "31 disjunctions")


def test_disjunctions_are_counted_in_disjunctive_normal_form() -> None:
    # (a or b) and (c or d) and (e or f) ... expands multiplicatively: 2^5 = 32 terms.
    pairs = [or_(field(f"x{i}", "==", 1), field(f"y{i}", "==", 1)) for i in range(5)]
    rejected(make_query(where=and_(*pairs)), "32 disjunctions")
    validate_query(make_query(where=and_(*pairs[:4])))


def test_two_array_contains_filters_in_one_conjunction_are_rejected() -> None:
    rejected(
        make_query(where=and_(field("a", "array-contains", 1), field("b", "array-contains", 2))),
        "ARRAY_CONTAINS",
    )
    rejected(
        make_query(where=and_(field("a", "array-contains", 1), field("a", "array-contains-any", [2]))),
        "ARRAY_CONTAINS",
    )
    validate_query(make_query(where=or_(field("a", "array-contains", 1), field("b", "array-contains", 2))))


def test_name_filters_need_references() -> None:
    rejected(make_query(where=field("__name__", "==", "c/a")), "__key__")
    rejected(make_query(where=field("__name__", "in", [Ref("c/a"), "c/b"])), "__key__")
    validate_query(make_query(where=field("__name__", "in", [Ref("c/a"), Ref("c/b")])))


def test_cursor_with_more_values_than_the_normalized_ordering_is_rejected() -> None:
    validate_query(make_query(order=["a"], start_at=[1, Ref("c/x")]))
    rejected(make_query(order=["a"], start_at=[1, Ref("c/x"), 3]), "Too many cursor values")
    rejected(make_query(end_at=[Ref("c/x"), 2]), "Too many cursor values")


def test_name_cursor_values_must_be_references() -> None:
    rejected(make_query(start_at=["c/a"]), "__name__")


def test_ordering_on_a_field_with_an_equality_filter_is_fine() -> None:
    validate_query(make_query(where=field("a", "==", 1), order=["a"]))


def test_ordering_first_by_another_field_than_the_inequality_is_fine() -> None:
    validate_query(make_query(where=and_(field("a", ">", 1), field("b", "<", 2)), order=["c", "b"]))


def test_negative_limit_and_offset_are_rejected() -> None:
    rejected(make_query(limit=-1), "Limit")
    rejected(make_query(offset=-1), "Offset")


def test_empty_composites_and_filters_without_operators_are_rejected() -> None:
    empty = QueryPb.Filter()
    empty.composite_filter.op = QueryPb.CompositeFilter.Operator.AND
    rejected(make_query(where=empty), "at least one filter")
    no_op = field("a", "==", 1)
    no_op.field_filter.op = QueryPb.FieldFilter.Operator.OPERATOR_UNSPECIFIED
    rejected(make_query(where=no_op), "operator")
    rejected(make_query(where=QueryPb.Filter()), "Filter must set")


def test_invalid_field_paths_are_rejected() -> None:
    rejected(make_query(where=field("a..b", "==", 1)), "Invalid field path")
    rejected(make_query(order=["`unterminated"]), "field path")


def test_a_query_needs_exactly_one_collection_selector() -> None:
    query = make_query()
    query.from_.add(collection_id="other")
    rejected(query, "exactly one collection selector")
    del query.from_[:]
    rejected(query, "exactly one collection selector")


def test_a_collection_id_cannot_be_a_path() -> None:
    rejected(make_query("a/b/c"), "cannot contain '/'")
