"""Document-name ordering and field-path parsing."""

from __future__ import annotations

import functools

import pytest
from localcloud.firestore.paths import (
    InvalidPathError,
    compare_document_names,
    database_root,
    format_field_path,
    is_descendant,
    is_direct_child,
    is_document_name,
    parent_collection_id,
    parse_field_path,
    relative_segments,
)

ROOT = "projects/p/databases/(default)/documents"


def name(path: str) -> str:
    return f"{ROOT}/{path}"


def test_document_names_sort_segment_by_segment_not_as_strings() -> None:
    # As plain strings "c/a-b" < "c/a/x" because '-' < '/'; Firestore compares segments: "a" < "a-b".
    assert compare_document_names(name("c/a/x/y"), name("c/a-b")) == -1
    assert compare_document_names(name("c/a-b"), name("c/a/x/y")) == 1


def test_numeric_ids_sort_before_string_ids_and_by_number() -> None:
    ordered = [
        name("c/__id-9223372036854775808__"),
        name("c/__id-1__"),
        name("c/__id2__"),
        name("c/__id10__"),
        name("c/0"),
        name("c/__id__"),
        name("c/a"),
    ]
    shuffled = list(reversed(ordered))
    assert sorted(shuffled, key=functools.cmp_to_key(compare_document_names)) == ordered


def test_a_parent_document_sorts_before_its_subcollection_documents() -> None:
    assert compare_document_names(name("c/a"), name("c/a/sub/x")) == -1
    assert compare_document_names(name("c/a/sub/x"), name("c/b")) == -1


def test_equal_names_compare_equal() -> None:
    assert compare_document_names(name("c/a"), name("c/a")) == 0


def test_string_ids_compare_by_utf8_bytes() -> None:
    assert compare_document_names(name("c/\uffff"), name("c/\U0001f600")) == -1
    assert compare_document_names(name("c/Z"), name("c/a")) == -1


def test_the_null_character_trick_of_recursive_delete_bounds_one_collection() -> None:
    start = name("coll/__id-9223372036854775808__")
    end = name("coll\0/__id-9223372036854775808__")
    inside = [name("coll/a"), name("coll/a/sub/b"), name("coll/__id7__")]
    outside = [name("coll0/a"), name("col/z"), name("coll\0a/x")]
    for n in inside:
        assert compare_document_names(start, n) < 0 < compare_document_names(end, n)
    for n in outside:
        assert not compare_document_names(start, n) < 0 < compare_document_names(end, n)


def test_resource_name_helpers() -> None:
    doc = name("a/b/c/d")
    assert database_root(doc) == ROOT
    assert relative_segments(doc) == ("a", "b", "c", "d")
    assert relative_segments(ROOT) == ()
    assert parent_collection_id(doc) == "c"
    assert is_document_name(doc)
    assert not is_document_name(name("a/b/c"))
    assert is_direct_child(name("a/b"), "c", doc)
    assert not is_direct_child(ROOT, "c", doc)
    assert is_descendant(ROOT, doc)
    assert is_descendant(name("a/b"), doc)
    assert not is_descendant(name("a/bb"), doc)
    with pytest.raises(InvalidPathError):
        database_root("not/a/name")


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("a", ("a",)),
        ("a.b.c", ("a", "b", "c")),
        ("`a.b`.c", ("a.b", "c")),
        ("`a\\`b`", ("a`b",)),
        ("`a\\\\b`", ("a\\b",)),
        ("`` ` ``".replace(" ", ""), None),
        ("__name__", ("__name__",)),
        ("`x y`.z", ("x y", "z")),
    ],
)
def test_field_paths_parse_dots_and_back_quotes(path: str, segments: tuple[str, ...] | None) -> None:
    if segments is None:
        with pytest.raises(InvalidPathError):
            parse_field_path(path)
    else:
        assert parse_field_path(path) == segments


@pytest.mark.parametrize("path", ["", "a.", ".a", "a..b", "`a", "`a`b", "a`b`"])
def test_malformed_field_paths_are_rejected(path: str) -> None:
    with pytest.raises(InvalidPathError):
        parse_field_path(path)


def test_formatting_a_field_path_round_trips_through_parsing() -> None:
    segments = ("plain", "with.dot", "back`tick", "1digit", "_ok")
    text = format_field_path(segments)
    assert text == "plain.`with.dot`.`back\\`tick`.`1digit`._ok"
    assert parse_field_path(text) == segments
