"""Parsing rules files: structure, literals, paths, and syntax errors with line and column."""

from __future__ import annotations

import pytest
from localcloud.rules import Ruleset, RulesSyntaxError, ast, evaluate_expression

MINIMAL = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /cities/{city} {
      allow read;
    }
  }
}
"""


def parse_error(source: str) -> RulesSyntaxError:
    with pytest.raises(RulesSyntaxError) as caught:
        Ruleset.parse(source)
    return caught.value


def test_a_minimal_ruleset_parses_into_nested_matches() -> None:
    ruleset = Ruleset.parse(MINIMAL)
    assert ruleset.rules.version == "2"
    assert ruleset.service is not None
    root = ruleset.service.matches[0]
    assert root.pattern == (ast.LiteralSegment("databases"), ast.WildcardSegment("database"), ast.LiteralSegment("documents"))
    cities = root.matches[0]
    assert cities.pattern == (ast.LiteralSegment("cities"), ast.WildcardSegment("city"))
    assert cities.allows[0].methods == {"get", "list"}
    assert cities.allows[0].condition is None


def test_read_and_write_expand_to_the_granular_methods() -> None:
    source = MINIMAL.replace("allow read;", "allow write: if true; allow get, list, create: if false;")
    allows = Ruleset.parse(source).service.matches[0].matches[0].allows  # type: ignore[union-attr]
    assert allows[0].methods == {"create", "update", "delete"}
    assert allows[1].methods == {"get", "list", "create"}


def test_recursive_wildcards_functions_lets_and_comments_parse() -> None:
    source = """rules_version = '2';
// a line comment
service cloud.firestore {
  /* a block
     comment */
  match /databases/{database}/documents {
    function isOwner(uid) {
      let expected = request.auth.uid;
      let same = expected == uid;
      return same;
    }
    match /{rest=**} { allow get: if isOwner("u1"); }
    match /{path=**}/posts/{post} { allow list: if resource.data.published == true; }
  }
}"""
    root = Ruleset.parse(source).service.matches[0]  # type: ignore[union-attr]
    function = root.functions["isOwner"]
    assert function.params == ("uid",)
    assert [name for name, _ in function.lets] == ["expected", "same"]
    assert root.matches[0].pattern == (ast.RecursiveSegment("rest"),)
    assert root.matches[1].pattern == (ast.RecursiveSegment("path"), ast.LiteralSegment("posts"), ast.WildcardSegment("post"))


def test_raw_paths_with_interpolation_parse_inside_calls() -> None:
    value = evaluate_expression("/databases/$(db)/documents/salons/$(id + '1')/staff/x", {"db": "(default)", "id": "s"})
    assert str(value) == "/databases/(default)/documents/salons/s1/staff/x"


def test_string_and_bytes_literals_decode_escapes() -> None:
    assert evaluate_expression(r"'it\'s' + " + '"\\u00e9\\n"') == "it's\u00e9\n"
    assert evaluate_expression("b'\\x00\\xff'") == b"\x00\xff"


def test_a_missing_semicolon_reports_its_line_and_column() -> None:
    error = parse_error(MINIMAL.replace("allow read;", "allow read"))
    assert (error.line, error.column) == (6, 5)
    assert "expected ';'" in error.message


def test_an_unknown_method_is_rejected_where_it_is_written() -> None:
    error = parse_error(MINIMAL.replace("allow read;", "allow reed: if true;"))
    assert (error.line, error.column) == (5, 13)


def test_an_unterminated_string_is_reported_at_its_opening_quote() -> None:
    error = parse_error(MINIMAL.replace("allow read;", "allow read: if 'abc;"))
    assert (error.line, error.column) == (5, 22)
    assert "unterminated string" in error.message


def test_an_incomplete_expression_is_reported() -> None:
    error = parse_error(MINIMAL.replace("allow read;", "allow read: if 1 + ;"))
    assert (error.line, error.column) == (5, 26)
    assert "expected an expression" in error.message


def test_a_bad_recursive_wildcard_is_reported() -> None:
    error = parse_error(MINIMAL.replace("{city}", "{city=*}"))
    assert error.line == 4
    assert "{name=**}" in error.message


def test_unbalanced_braces_report_the_end_of_file() -> None:
    error = parse_error(MINIMAL.rstrip().rstrip("}"))
    assert "end of file" in error.message
    assert error.line == 8


def test_an_unsupported_rules_version_is_rejected() -> None:
    error = parse_error(MINIMAL.replace("'2'", "'3'"))
    assert (error.line, error.column) == (1, 17)


def test_the_error_string_carries_the_position() -> None:
    error = parse_error("service cloud.firestore { match /x/{y} { allow get: if ; } }")
    assert str(error).startswith(f"{error.line}:{error.column}: ")


def test_version_1_only_allows_a_recursive_wildcard_at_the_end() -> None:
    error = parse_error("service cloud.firestore {\n  match /{path=**}/posts/{post} { allow read; }\n}")
    assert (error.line, error.column) == (2, 9)
    Ruleset.parse("rules_version = '2';\nservice cloud.firestore {\n  match /{path=**}/posts/{post} { allow read; }\n}")
