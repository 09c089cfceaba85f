"""The equality indexes of field_index.py on their own: keys, maintenance, which conjuncts they answer."""

from __future__ import annotations

import math
from typing import Any

from localcloud.firestore.field_index import (
    FieldIndex,
    FieldIndexes,
    IndexLookup,
    IndexScope,
    equality_lookups,
)
from localcloud.firestore.values import NAN_KEY, NULL_KEY, value_key
from test_fs_query_builders import ROOT, Ref, and_, doc, field, or_, unary, val

SCOPE = IndexScope(False, f"{ROOT}/c")


def lookup(path: str, *values: Any, elements: bool = False) -> IndexLookup:
    return IndexLookup(tuple(path.split(".")), frozenset(value_key(val(v)) for v in values), elements)


def names(found: Any) -> set[str]:
    return {name.rsplit("/", 1)[1] for name in found}


def named(docs: list[Any]) -> list[tuple[str, Any]]:
    return [(doc_.name, doc_) for doc_ in docs]


def test_integers_and_doubles_of_one_value_share_a_key_as_do_both_zeros() -> None:
    docs = [doc("c/int", {"n": 1}), doc("c/dbl", {"n": 1.0}), doc("c/str", {"n": "1"}),
            doc("c/zero", {"n": 0}), doc("c/minus_zero", {"n": -0.0})]
    index = FieldIndex(("n",), named(docs))
    assert names(index.names(lookup("n", 1))) == {"int", "dbl"}
    assert names(index.names(lookup("n", 0.0))) == {"zero", "minus_zero"}


def test_nan_and_null_have_keys_of_their_own_and_a_missing_field_none() -> None:
    docs = [doc("c/nan", {"n": math.nan}), doc("c/null", {"n": None}), doc("c/missing", {"other": 1})]
    index = FieldIndex(("n",), named(docs))
    assert names(index.names(IndexLookup(("n",), frozenset([NAN_KEY]), False))) == {"nan"}
    assert names(index.names(IndexLookup(("n",), frozenset([NULL_KEY]), False))) == {"null"}
    assert len(index.by_value) == 2


def test_array_elements_are_indexed_apart_from_the_whole_array() -> None:
    docs = [doc("c/a", {"tags": ["x", 1]}), doc("c/b", {"tags": ["x"]}), doc("c/c", {"tags": "x"})]
    index = FieldIndex(("tags",), named(docs))
    assert names(index.names(lookup("tags", "x", elements=True))) == {"a", "b"}
    assert names(index.names(lookup("tags", 1.0, elements=True))) == {"a"}
    assert names(index.names(lookup("tags", "x"))) == {"c"}
    assert names(index.names(lookup("tags", ["x"]))) == {"b"}


def test_nested_fields_are_indexed_by_their_dotted_path() -> None:
    docs = [doc("c/a", {"m": {"n": "v"}}), doc("c/b", {"m": {"n": "w"}}), doc("c/c", {"m": "v"})]
    assert names(FieldIndex(("m", "n"), named(docs)).names(lookup("m.n", "v"))) == {"a"}


def test_names_are_indexed_for_equality_on_name() -> None:
    docs = [doc("c/a"), doc("c/b")]
    index = FieldIndex(("__name__",), named(docs))
    assert names(index.names(lookup("__name__", Ref("c/b"), Ref("c/z")))) == {"b"}


def test_a_value_one_document_holds_keeps_its_name_alone_and_more_documents_share_a_set() -> None:
    index = FieldIndex(("n",), named([doc("c/a", {"n": 1}), doc("c/b", {"n": 2}), doc("c/c", {"n": 2})]))
    assert index.by_value[value_key(val(1))] == f"{ROOT}/c/a"
    assert index.by_value[value_key(val(2))] == {f"{ROOT}/c/b", f"{ROOT}/c/c"}
    assert not index.holds(lookup("n", 1), f"{ROOT}/c")  # a name alone is not searched for substrings
    index.update(f"{ROOT}/c/a", doc("c/a", {"n": 1}), doc("c/a", {"n": 2}))
    assert names(index.names(lookup("n", 2))) == {"a", "b", "c"} and not index.names(lookup("n", 1))


def test_an_update_moves_a_document_to_its_new_value_and_a_delete_drops_emptied_buckets() -> None:
    before, after = doc("c/a", {"n": 1, "tags": ["x"]}), doc("c/a", {"n": 2, "tags": ["y"]})
    value_index, tags_index = FieldIndex(("n",), named([before])), FieldIndex(("tags",), named([before]))
    for index in (value_index, tags_index):
        index.update(before.name, before, after)
    assert names(value_index.names(lookup("n", 2))) == {"a"}
    assert not value_index.names(lookup("n", 1))
    assert names(tags_index.names(lookup("tags", "y", elements=True))) == {"a"}
    for index in (value_index, tags_index):
        index.update(after.name, after, None)
        assert not index.by_value and not index.by_element


def test_the_most_selective_lookup_is_read_and_narrowed_by_the_second() -> None:
    docs = [doc(f"c/d{i}", {"common": 1, "rare": i % 10, "quarter": i % 4}) for i in range(100)]
    indexes = FieldIndexes()
    lookups = (lookup("common", 1), lookup("rare", 3), lookup("quarter", 3))
    found = indexes.candidate_names(SCOPE, lookups, named(docs))
    # rare == 3 holds 10 documents, narrowed by quarter == 3 (25); common == 1 (100) is left to the filters.
    assert names(found) == {"d3", "d23", "d43", "d63", "d83"}
    assert len(indexes) == 3  # every path the query used, and only those


def test_commits_reach_the_indexes_of_the_collection_and_of_its_collection_group() -> None:
    indexes = FieldIndexes()
    group = IndexScope(True, "c")
    indexes.candidate_names(SCOPE, (lookup("n", 1),), [])
    indexes.candidate_names(group, (lookup("n", 1),), [])
    nested = doc("p/x/c/a", {"n": 1})
    indexes.record(nested.name, None, nested)
    assert not indexes.candidate_names(SCOPE, (lookup("n", 1),), [])
    assert names(indexes.candidate_names(group, (lookup("n", 1),), [])) == {"a"}


def test_equalities_in_array_contains_and_null_and_nan_tests_are_lookups() -> None:
    where = and_(
        field("a", "==", 1),
        field("b", "in", [1, 1.0, "x"]),
        field("c", "array-contains", "t"),
        field("d", "array-contains-any", ["t", "u"]),
        unary("e", "is-null"),
        unary("f", "is-nan"),
    )
    assert equality_lookups(where) == (
        lookup("a", 1),
        lookup("b", 1, "x"),
        lookup("c", "t", elements=True),
        lookup("d", "t", "u", elements=True),
        IndexLookup(("e",), frozenset([NULL_KEY]), False),
        IndexLookup(("f",), frozenset([NAN_KEY]), False),
    )


def test_ranges_negations_and_filters_inside_an_or_are_no_lookups_but_conjuncts_beside_an_or_are() -> None:
    for negative in (
        field("a", ">", 1),
        field("a", "!=", 1),
        field("a", "not-in", [1]),
        unary("a", "is-not-null"),
        unary("a", "is-not-nan"),
        or_(field("a", "==", 1), field("b", "==", 2)),
    ):
        assert equality_lookups(negative) == ()
    where = and_(field("k", "==", 1), or_(field("a", "==", 1), field("b", "==", 2)), or_(field("c", "==", 3)))
    assert equality_lookups(where) == (lookup("k", 1), lookup("c", 3))
