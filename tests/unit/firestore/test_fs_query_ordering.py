"""Ordering (explicit and implicit), cursors, offset, limit, projection and query scope."""

from __future__ import annotations

import math

from localcloud.firestore.query import normalized_orders
from test_fs_query_builders import (
    OTHER_ROOT,
    ROOT,
    Ref,
    doc,
    execute_query,
    field,
    ids,
    make_query,
    or_,
    run,
    unary,
)


def order_paths(query: object) -> list[str]:
    return [("-" if order.descending else "") + order.field_path for order in normalized_orders(query)]


def test_without_orders_results_come_in_document_name_order() -> None:
    docs = [doc("c/b"), doc("c/__id3__"), doc("c/a"), doc("c/__id20__"), doc("c/a-b"), doc("c/A")]
    assert ids(make_query(), docs) == ["__id3__", "__id20__", "A", "a", "a-b", "b"]


def test_order_by_a_field_breaks_ties_by_name_in_the_same_direction() -> None:
    docs = [doc("c/a", {"n": 1}), doc("c/b", {"n": 2}), doc("c/c", {"n": 1}), doc("c/d", {"n": 2})]
    assert ids(make_query(order=["n"]), docs) == ["a", "c", "b", "d"]
    assert ids(make_query(order=["-n"]), docs) == ["d", "b", "c", "a"]


def test_mixed_directions_are_respected_per_field() -> None:
    docs = [
        doc("c/a", {"x": 1, "y": 1}),
        doc("c/b", {"x": 1, "y": 2}),
        doc("c/c", {"x": 2, "y": 1}),
        doc("c/d", {"x": 2, "y": 2}),
        doc("c/e", {"x": 2, "y": 2}),
    ]
    assert ids(make_query(order=["x", "-y"]), docs) == ["b", "a", "e", "d", "c"]
    assert ids(make_query(order=["-x", "y", "__name__"]), docs) == ["c", "d", "e", "a", "b"]


def test_documents_missing_an_order_by_field_are_excluded() -> None:
    docs = [
        doc("c/a", {"n": 1}),
        doc("c/b", {"other": 1}),
        doc("c/c", {"n": None}),
        doc("c/d", {"m": {"n": 1}}),
    ]
    assert ids(make_query(order=["n"]), docs) == ["c", "a"]
    assert ids(make_query(order=["m.n"]), docs) == ["d"]


def test_ordering_across_types_follows_the_firestore_type_order() -> None:
    docs = [
        doc("c/map", {"v": {"a": 1}}),
        doc("c/str", {"v": "x"}),
        doc("c/nan", {"v": math.nan}),
        doc("c/null", {"v": None}),
        doc("c/ref", {"v": Ref("c/x")}),
        doc("c/arr", {"v": [1]}),
        doc("c/int", {"v": 3}),
        doc("c/dbl", {"v": 2.5}),
        doc("c/bool", {"v": False}),
        doc("c/bytes", {"v": b"x"}),
    ]
    assert ids(make_query(order=["v"]), docs) == [
        "null",
        "bool",
        "nan",
        "dbl",
        "int",
        "str",
        "bytes",
        "ref",
        "arr",
        "map",
    ]


def test_implicit_orders_append_missing_inequality_fields_by_name_then_name() -> None:
    query = make_query(where=or_(field("b", ">", 1), field("a", "<", 5), field("x.y", "!=", 2)))
    assert order_paths(query) == ["a", "b", "x.y", "__name__"]


def test_implicit_orders_follow_the_direction_of_the_last_explicit_order() -> None:
    query = make_query(where=field("a", ">", 1), order=["z", "-b"])
    assert order_paths(query) == ["z", "-b", "-a", "-__name__"]


def test_an_explicit_name_order_is_not_duplicated() -> None:
    assert order_paths(make_query(order=["-__name__", "a"])) == ["-__name__", "a"]


def test_equality_and_unary_is_null_filters_add_no_order_but_is_not_null_does() -> None:
    assert order_paths(make_query(where=field("a", "==", 1))) == ["__name__"]
    assert order_paths(make_query(where=unary("a", "is-null"))) == ["__name__"]
    assert order_paths(make_query(where=unary("a", "is-not-null"))) == ["a", "__name__"]
    assert order_paths(make_query(where=field("a", "not-in", [1]))) == ["a", "__name__"]


def test_an_inequality_on_name_only_appends_name() -> None:
    query = make_query(where=field("__name__", ">", Ref("c/a")), order=["-x"])
    assert order_paths(query) == ["-x", "-__name__"]


def test_an_inequality_result_is_ordered_by_the_inequality_field() -> None:
    docs = [doc("c/a", {"n": 3}), doc("c/b", {"n": 1}), doc("c/c", {"n": 2})]
    assert ids(make_query(where=field("n", ">", 0)), docs) == ["b", "c", "a"]


NUMBERED = [doc(f"c/{name}", {"n": n}) for name, n in [("a", 1), ("b", 2), ("c", 2), ("d", 3), ("e", 4)]]


def test_start_at_includes_and_start_after_excludes_the_cursor_position() -> None:
    assert ids(make_query(order=["n"], start_at=[2]), NUMBERED) == ["b", "c", "d", "e"]
    assert ids(make_query(order=["n"], start_after=[2]), NUMBERED) == ["d", "e"]


def test_end_at_includes_and_end_before_excludes_the_cursor_position() -> None:
    assert ids(make_query(order=["n"], end_at=[2]), NUMBERED) == ["a", "b", "c"]
    assert ids(make_query(order=["n"], end_before=[2]), NUMBERED) == ["a"]


def test_cursor_values_can_cover_the_name_of_the_implicit_order() -> None:
    assert ids(make_query(order=["n"], start_after=[2, Ref("c/b")]), NUMBERED) == ["c", "d", "e"]
    assert ids(make_query(order=["n"], start_at=[2, Ref("c/c")]), NUMBERED) == ["c", "d", "e"]
    assert ids(make_query(order=["n"], end_before=[2, Ref("c/c")]), NUMBERED) == ["a", "b"]


def test_cursors_on_descending_orders_run_backwards() -> None:
    assert ids(make_query(order=["-n"], start_after=[3]), NUMBERED) == ["c", "b", "a"]
    assert ids(make_query(order=["-n"], start_at=[2, Ref("c/b")]), NUMBERED) == ["b", "a"]
    assert ids(make_query(order=["-n"], end_at=[2]), NUMBERED) == ["e", "d", "c", "b"]


def test_a_cursor_need_not_match_an_existing_document() -> None:
    assert ids(make_query(order=["n"], start_at=[2.5]), NUMBERED) == ["d", "e"]
    assert ids(make_query(order=["n"], start_after=["text"]), NUMBERED) == []
    assert ids(make_query(order=["n"], end_before=[None]), NUMBERED) == []


def test_start_and_end_cursors_combine() -> None:
    assert ids(make_query(order=["n"], start_after=[1], end_before=[4]), NUMBERED) == ["b", "c", "d"]


def test_name_cursors_without_explicit_orders() -> None:
    docs = [doc("c/a"), doc("c/b"), doc("c/c")]
    assert ids(make_query(start_after=[Ref("c/a")]), docs) == ["b", "c"]
    assert ids(make_query(end_at=[Ref("c/b")]), docs) == ["a", "b"]


def test_cursor_with_an_inequality_filter_uses_the_implicit_order() -> None:
    # WHERE n > 1 orders by (n, __name__); a cursor of (2, c/b) continues after document b.
    query = make_query(where=field("n", ">", 1), start_after=[2, Ref("c/b")])
    assert ids(query, NUMBERED) == ["c", "d", "e"]


def test_offset_and_limit_apply_after_cursors() -> None:
    assert ids(make_query(order=["n"], start_at=[2], offset=1, limit=2), NUMBERED) == ["c", "d"]
    assert ids(make_query(order=["n"], offset=10), NUMBERED) == []
    assert ids(make_query(order=["n"], limit=0), NUMBERED) == []


def test_limit_to_last_style_query_reverses_orders_and_limits() -> None:
    # The client implements limit_to_last by flipping orders and cursors and reversing the results.
    assert ids(make_query(order=["-n"], limit=2), NUMBERED) == ["e", "d"]


def test_select_keeps_only_the_listed_fields_and_the_metadata() -> None:
    source = doc("c/a", {"a": 1, "b": {"x": 1, "y": 2}, "c": 3})
    (projected,) = execute_query(make_query(select=["a", "b.y", "missing", "b.y.z"]), ROOT, [source])
    assert dict(projected.fields).keys() == {"a", "b"}
    assert dict(projected.fields["b"].map_value.fields).keys() == {"y"}
    assert projected.name == source.name
    assert projected.create_time == source.create_time
    assert projected.update_time == source.update_time
    assert dict(source.fields).keys() == {"a", "b", "c"}


def test_an_empty_select_or_a_name_only_select_returns_no_fields() -> None:
    source = doc("c/a", {"a": 1})
    for select in ([], ["__name__"]):
        (projected,) = execute_query(make_query(select=select), ROOT, [source])
        assert len(projected.fields) == 0
        assert projected.name == source.name


def test_filters_and_orders_see_fields_that_the_projection_drops() -> None:
    docs = [doc("c/a", {"a": 1, "n": 2}), doc("c/b", {"a": 2, "n": 1})]
    results = execute_query(make_query(where=field("n", ">", 0), select=["a"]), ROOT, docs)
    assert [r.fields["a"].integer_value for r in results] == [2, 1]


TREE = [
    doc("c/1", {"x": 1}),
    doc("c/1/c/2", {"x": 1}),
    doc("c/1/d/3", {"x": 1}),
    doc("d/4", {"x": 1}),
    doc("d/4/c/5", {"x": 1}),
    doc("d/4/c/5/c/6", {"x": 1}),
    doc("cc/7", {"x": 1}),
    doc("c/8", {"x": 1}, root=OTHER_ROOT),
]


def test_a_collection_query_sees_only_direct_children_of_its_parent() -> None:
    assert run(make_query("c"), TREE) == ["c/1"]
    assert run(make_query("c"), TREE, parent=f"{ROOT}/d/4") == ["d/4/c/5"]
    assert run(make_query("c"), TREE, parent=f"{ROOT}/c/1") == ["c/1/c/2"]


def test_a_collection_group_query_sees_every_collection_with_that_id() -> None:
    assert run(make_query("c", all_descendants=True), TREE) == ["c/1", "c/1/c/2", "d/4/c/5", "d/4/c/5/c/6"]


def test_a_collection_group_query_under_a_document_stays_under_it() -> None:
    assert run(make_query("c", all_descendants=True), TREE, parent=f"{ROOT}/d/4") == [
        "d/4/c/5",
        "d/4/c/5/c/6",
    ]


def test_a_kindless_query_sees_every_descendant_in_name_order() -> None:
    assert run(make_query("", all_descendants=True), TREE) == [
        "c/1",
        "c/1/c/2",
        "c/1/d/3",
        "cc/7",
        "d/4",
        "d/4/c/5",
        "d/4/c/5/c/6",
    ]
    assert run(make_query("", all_descendants=True), TREE, parent=f"{ROOT}/c/1") == ["c/1/c/2", "c/1/d/3"]


def test_the_recursive_delete_query_bounds_one_collection_with_name_cursors() -> None:
    docs = [*TREE, doc("c\u0000x/9"), doc("c0/10"), doc("c/__id5__"), doc("c/__id-5__/sub/11")]
    query = make_query(
        "",
        all_descendants=True,
        order=["__name__"],
        start_at=[Ref("c/__id-9223372036854775808__")],
        end_at=[Ref("c\u0000/__id-9223372036854775808__")],
    )
    assert run(query, docs) == ["c/__id-5__/sub/11", "c/__id5__", "c/1", "c/1/c/2", "c/1/d/3"]


def test_documents_of_other_databases_are_never_in_scope() -> None:
    assert run(make_query("c"), TREE, parent=OTHER_ROOT) == ["c/8"]
    assert run(make_query("", all_descendants=True), TREE, parent=OTHER_ROOT) == ["c/8"]


def test_a_trailing_slash_on_the_parent_is_tolerated() -> None:
    assert run(make_query("c"), TREE, parent=f"{ROOT}/") == ["c/1"]


def test_a_hundred_queries_over_a_hundred_documents_take_well_under_a_second() -> None:
    import time

    docs = [doc(f"c/{i:03}", {"n": i % 17, "s": str(i), "tags": [i % 3, i % 5]}) for i in range(100)]
    query = make_query(where=field("n", ">", 3), order=["-s"], limit=50)
    started = time.perf_counter()
    for _ in range(100):
        execute_query(query, ROOT, docs)
    assert time.perf_counter() - started < 1.0
