"""Deciding requests: path matching, allow statements, functions, document access limits and list queries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud.firestore_v1.types import document as document_types
from google.protobuf import timestamp_pb2
from google.type import latlng_pb2
from localcloud.rules import (
    Constraint,
    Decision,
    LatLng,
    Path,
    QueryInfo,
    Ruleset,
    RulesOperation,
    from_firestore_fields,
    from_firestore_value,
)

NOW = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
ALICE = {"uid": "alice", "token": {"email": "alice@example.com", "role": "admin"}}
BOB = {"uid": "bob", "token": {}}


def rules(body: str) -> Ruleset:
    return Ruleset.parse(
        "rules_version = '2';\nservice cloud.firestore {\n  match /databases/{database}/documents {\n"
        + body
        + "\n  }\n}\n"
    )


class Store:
    """Documents before and after a write, for get()/exists()/getAfter()/existsAfter()."""

    def __init__(self, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]] | None = None) -> None:
        self.before = before
        self.after = after if after is not None else before
        self.reads: list[str] = []

    def get(self, path: str) -> dict[str, Any] | None:
        self.reads.append(path)
        return self.before.get(path)

    def get_after(self, path: str) -> dict[str, Any] | None:
        self.reads.append("after:" + path)
        return self.after.get(path)


def op(method: str, path: str, **extra: Any) -> RulesOperation:
    return RulesOperation(method=method, path=path, time=NOW, **extra)


def allowed(decision: Decision) -> bool:
    return decision.allowed


# -- matching -----------------------------------------------------------------------------------------------
def test_nothing_is_allowed_without_a_matching_rule() -> None:
    ruleset = rules("match /cities/{city} { allow read; }")
    assert allowed(ruleset.authorize(op("get", "cities/sf")))
    decision = ruleset.authorize(op("get", "towns/sf"))
    assert not decision.allowed and "no allow get statement" in decision.reason
    assert not ruleset.authorize(op("create", "cities/sf", request_resource={})).allowed
    assert not ruleset.authorize(op("get", "cities/sf/streets/main")).allowed


def test_wildcards_bind_segments_and_recursive_wildcards_bind_paths() -> None:
    ruleset = rules(
        "match /cities/{city} { allow get: if city == 'sf'; }\n"
        "match /files/{rest=**} { allow get: if rest == /a/b && rest[1] == 'b'; }"
    )
    assert allowed(ruleset.authorize(op("get", "cities/sf")))
    assert not allowed(ruleset.authorize(op("get", "cities/la")))
    assert allowed(ruleset.authorize(op("get", "files/a/b")))
    assert not allowed(ruleset.authorize(op("get", "files/a/c")))


def test_a_recursive_wildcard_matches_zero_or_more_segments_in_version_2() -> None:
    ruleset = rules("match /{path=**}/posts/{post} { allow get: if post == 'p1'; }")
    assert allowed(ruleset.authorize(op("get", "posts/p1")))
    assert allowed(ruleset.authorize(op("get", "forums/f/posts/p1")))
    assert allowed(ruleset.authorize(op("get", "a/b/c/d/posts/p1")))
    assert not allowed(ruleset.authorize(op("get", "a/b/posts/p2")))


def test_any_matching_allow_grants_even_if_another_denies() -> None:
    ruleset = rules(
        "match /cities/{city} { allow get: if false; }\n"
        "match /{document=**} { allow get: if request.auth.uid == 'alice'; }"
    )
    assert allowed(ruleset.authorize(op("get", "cities/sf", auth=ALICE)))
    assert not allowed(ruleset.authorize(op("get", "cities/sf", auth=BOB)))


def test_nested_matches_see_outer_wildcards() -> None:
    ruleset = rules("match /salons/{salon} { match /staff/{member} { allow get: if salon == 's1' && member == 'm'; } }")
    assert allowed(ruleset.authorize(op("get", "salons/s1/staff/m")))
    assert not allowed(ruleset.authorize(op("get", "salons/s2/staff/m")))
    assert not allowed(ruleset.authorize(op("get", "salons/s1")))


def test_the_database_wildcard_is_bound() -> None:
    ruleset = rules("match /x/{id} { allow get: if database == 'other'; }")
    assert allowed(ruleset.authorize(RulesOperation("get", "x/1", NOW, database="other")))
    assert not allowed(ruleset.authorize(op("get", "x/1")))


def test_methods_are_granted_one_by_one() -> None:
    ruleset = rules("match /x/{id} { allow create, delete; allow get: if true; }")
    assert allowed(ruleset.authorize(op("create", "x/1", request_resource={"a": 1})))
    assert allowed(ruleset.authorize(op("delete", "x/1", resource={"a": 1})))
    assert allowed(ruleset.authorize(op("get", "x/1")))
    assert not allowed(ruleset.authorize(op("update", "x/1", resource={}, request_resource={})))
    assert not allowed(ruleset.authorize(op("list", "", query=QueryInfo("x"))))


def test_a_condition_must_be_exactly_true() -> None:
    ruleset = rules("match /x/{id} { allow get: if 1; allow list: if 'true'; }")
    assert not allowed(ruleset.authorize(op("get", "x/1")))
    assert not allowed(ruleset.authorize(op("list", "", query=QueryInfo("x"))))


# -- request and resource ------------------------------------------------------------------------------------
def test_request_and_resource_carry_auth_data_time_method_and_path() -> None:
    ruleset = rules(
        "match /notes/{id} {\n"
        "  allow update: if request.auth.uid == 'alice' && request.auth.token.email == 'alice@example.com'\n"
        "    && resource.data.owner == request.auth.uid && request.resource.data.owner == resource.data.owner\n"
        "    && request.time == timestamp.date(2024, 1, 15) + duration.value(10, 'h')\n"
        "    && request.method == 'update' && request.path == /databases/$(database)/documents/notes/$(id)\n"
        "    && resource.id == id && resource.__name__ == request.path && request.resource.id == id;\n"
        "}"
    )
    update = op("update", "notes/n1", auth=ALICE, resource={"owner": "alice"}, request_resource={"owner": "alice"})
    assert allowed(ruleset.authorize(update))
    assert not allowed(ruleset.authorize(op("update", "notes/n1", auth=BOB, resource={"owner": "alice"}, request_resource={"owner": "alice"})))
    assert not allowed(ruleset.authorize(op("update", "notes/n1", auth=ALICE, resource={"owner": "bob"}, request_resource={"owner": "bob"})))


def test_an_unauthenticated_request_has_null_auth_and_dereferencing_it_denies() -> None:
    ruleset = rules("match /x/{id} { allow get: if request.auth.uid != 'mallory'; allow list: if request.auth == null; }")
    assert not allowed(ruleset.authorize(op("get", "x/1")))
    assert allowed(ruleset.authorize(op("list", "", query=QueryInfo("x"))))
    assert allowed(ruleset.authorize(op("get", "x/1", auth=ALICE)))


def test_resource_is_null_on_create_and_request_resource_is_null_on_delete() -> None:
    ruleset = rules("match /x/{id} { allow create: if resource == null; allow delete: if request.resource == null; }")
    assert allowed(ruleset.authorize(op("create", "x/1", request_resource={"a": 1})))
    assert allowed(ruleset.authorize(op("delete", "x/1", resource={"a": 1})))


def test_an_error_in_one_allow_does_not_stop_another_from_granting() -> None:
    ruleset = rules("match /x/{id} { allow get: if resource.data.missing == 1; allow get: if true; }")
    decision = ruleset.authorize(op("get", "x/1", resource={}))
    assert decision.allowed and "line" in decision.reason


def test_the_denial_reason_names_the_failing_statement_and_error() -> None:
    ruleset = rules("match /x/{id} { allow get: if resource.data.missing == 1; }")
    decision = ruleset.authorize(op("get", "x/1", resource={}))
    assert not decision.allowed
    assert "line 4" in decision.reason and "missing" in decision.reason


# -- functions -------------------------------------------------------------------------------------------------
def test_functions_take_arguments_use_lets_and_call_each_other() -> None:
    ruleset = rules(
        "function signedIn() { return request.auth != null; }\n"
        "function isUser(uid) { let me = request.auth.uid; return signedIn() && me == uid; }\n"
        "match /users/{uid} { allow get: if isUser(uid); }"
    )
    assert allowed(ruleset.authorize(op("get", "users/alice", auth=ALICE)))
    assert not allowed(ruleset.authorize(op("get", "users/alice", auth=BOB)))
    assert not allowed(ruleset.authorize(op("get", "users/alice")))


def test_a_function_sees_the_wildcards_of_the_block_it_is_defined_in() -> None:
    ruleset = rules(
        "match /salons/{salon} {\n"
        "  function inSalon(value) { return value == salon; }\n"
        "  match /staff/{member} { allow get: if inSalon('s1'); }\n"
        "}"
    )
    assert allowed(ruleset.authorize(op("get", "salons/s1/staff/m")))
    assert not allowed(ruleset.authorize(op("get", "salons/s2/staff/m")))


def test_a_function_does_not_see_its_callers_wildcards() -> None:
    ruleset = rules(
        "function leaky() { return member == 'm'; }\n"
        "match /staff/{member} { allow get: if leaky(); }"
    )
    assert not allowed(ruleset.authorize(op("get", "staff/m")))


def test_recursion_is_cut_off_and_denies() -> None:
    ruleset = rules("function loop(n) { return loop(n + 1); }\nmatch /x/{id} { allow get: if loop(0); }")
    decision = ruleset.authorize(op("get", "x/1"))
    assert not decision.allowed and "depth" in decision.reason


def test_a_wrong_argument_count_is_an_error() -> None:
    ruleset = rules("function f(a) { return a; }\nmatch /x/{id} { allow get: if f(true, true); }")
    assert not allowed(ruleset.authorize(op("get", "x/1")))


def test_debug_values_are_reported_with_the_decision() -> None:
    ruleset = rules("match /x/{id} { allow get: if debug(id) == '1'; }")
    assert ruleset.authorize(op("get", "x/1")).debug == ("'1'",)


# -- document access -------------------------------------------------------------------------------------------
ROLE_RULES = (
    "function role(team) { return get(/databases/$(database)/documents/teams/$(team)/members/$(request.auth.uid)).data.role; }\n"
    "match /teams/{team}/docs/{doc} {\n"
    "  allow get: if role(team) == 'editor';\n"
    "  allow create: if existsAfter(/databases/$(database)/documents/teams/$(team)/docs/$(doc))\n"
    "    && getAfter(/databases/$(database)/documents/teams/$(team)/docs/$(doc)).data.n == 1;\n"
    "  allow delete: if exists(/databases/$(database)/documents/teams/$(team));\n"
    "}"
)


def test_get_and_exists_read_documents_through_the_data_access() -> None:
    ruleset = rules(ROLE_RULES)
    store = Store({"teams/t1/members/alice": {"role": "editor"}, "teams/t1/members/bob": {"role": "viewer"}, "teams/t1": {}})
    assert allowed(ruleset.authorize(op("get", "teams/t1/docs/d", auth=ALICE), store))
    assert not allowed(ruleset.authorize(op("get", "teams/t1/docs/d", auth=BOB), store))
    assert store.reads == ["teams/t1/members/alice", "teams/t1/members/bob"]
    assert allowed(ruleset.authorize(op("delete", "teams/t1/docs/d", resource={}), store))
    assert not allowed(ruleset.authorize(op("delete", "teams/t2/docs/d", resource={}), store))


def test_get_of_a_missing_document_is_an_error_that_denies() -> None:
    ruleset = rules(ROLE_RULES)
    assert not allowed(ruleset.authorize(op("get", "teams/t9/docs/d", auth=ALICE), Store({})))


def test_get_after_and_exists_after_see_the_state_after_the_write() -> None:
    ruleset = rules(ROLE_RULES)
    store = Store({}, after={"teams/t1/docs/d": {"n": 1}})
    assert allowed(ruleset.authorize(op("create", "teams/t1/docs/d", request_resource={"n": 1}), store))
    assert not allowed(ruleset.authorize(op("create", "teams/t1/docs/d", request_resource={"n": 1}), Store({})))


def test_access_calls_beyond_ten_deny_a_single_document_request() -> None:
    checks = " && ".join(f"exists(/databases/$(database)/documents/d/{n})" for n in range(11))
    ruleset = rules(f"match /x/{{id}} {{ allow get: if {checks}; }}")
    everything = Store({f"d/{n}": {} for n in range(11)})
    decision = ruleset.authorize(op("get", "x/1"), everything)
    assert not decision.allowed and "too many" in decision.reason
    ten = " && ".join(f"exists(/databases/$(database)/documents/d/{n})" for n in range(10))
    assert allowed(rules(f"match /x/{{id}} {{ allow get: if {ten}; }}").authorize(op("get", "x/1"), everything))


def test_exceeding_the_limit_denies_even_when_an_or_would_absorb_the_error() -> None:
    calls = " && ".join(f"exists(/databases/$(database)/documents/d/{n})" for n in range(11))
    ruleset = rules(f"match /x/{{id}} {{ allow get: if ({calls}) || true; }}")
    assert not allowed(ruleset.authorize(op("get", "x/1"), Store({f"d/{n}": {} for n in range(11)})))


def test_repeated_reads_of_one_document_count_once() -> None:
    same = " && ".join("exists(/databases/$(database)/documents/d/1)" for _ in range(15))
    ruleset = rules(f"match /x/{{id}} {{ allow get: if {same}; }}")
    store = Store({"d/1": {}})
    assert allowed(ruleset.authorize(op("get", "x/1"), store))
    assert store.reads == ["d/1"]


def test_a_batch_shares_twenty_access_calls_with_at_most_ten_per_document() -> None:
    five = " && ".join(f"exists(/databases/$(database)/documents/d/$(id)x{n})" for n in range(5))
    ruleset = rules(f"match /x/{{id}} {{ allow create: if {five}; }}")
    store = Store({f"d/{i}x{n}": {} for i in range(5) for n in range(5)})
    writes = [op("create", f"x/{i}", request_resource={}) for i in range(5)]
    decisions = ruleset.authorize_all(writes, store)
    assert [d.allowed for d in decisions] == [True, True, True, True, False]


def test_get_needs_a_document_path_in_this_database() -> None:
    ruleset = rules(
        "match /x/{id} { allow get: if exists(/databases/other/documents/d/1); "
        "allow list: if exists(/databases/$(database)/documents/d); }"
    )
    store = Store({"d/1": {}})
    assert not allowed(ruleset.authorize(op("get", "x/1"), store))
    assert not allowed(ruleset.authorize(op("list", "", query=QueryInfo("x")), store))


# -- list queries: rules are not filters ------------------------------------------------------------------------
STORY_RULES = (
    "match /stories/{id} {\n"
    "  allow list: if request.auth != null && resource.data.author == request.auth.uid;\n"
    "}\n"
    "match /public/{id} { allow list: if resource.data.published == true || resource.data.author == request.auth.uid; }\n"
    "match /limited/{id} { allow list: if request.query.limit <= 10; }\n"
    "match /nested/{id} { allow list: if resource.data.meta.owner == request.auth.uid; }"
)


def query(collection: str, *constraints: Constraint, **extra: Any) -> QueryInfo:
    return QueryInfo(collection, constraints=constraints, **extra)


def test_a_query_must_pin_the_fields_the_rule_reads() -> None:
    ruleset = rules(STORY_RULES)
    mine = query("stories", Constraint("author", "==", "alice"))
    assert allowed(ruleset.authorize(op("list", "", auth=ALICE, query=mine)))
    decision = ruleset.authorize(op("list", "", auth=ALICE, query=query("stories")))
    assert not decision.allowed and "not constrained" in decision.reason
    theirs = query("stories", Constraint("author", "==", "bob"))
    assert not allowed(ruleset.authorize(op("list", "", auth=ALICE, query=theirs)))


def test_inequality_and_array_constraints_prove_nothing() -> None:
    ruleset = rules(STORY_RULES)
    for constraint in (
        Constraint("author", ">=", "alice"),
        Constraint("author", "!=", "bob"),
        Constraint("author", "not-in", ["bob"]),
        Constraint("author", "array-contains", "alice"),
    ):
        assert not allowed(ruleset.authorize(op("list", "", auth=ALICE, query=query("stories", constraint))))


def test_an_in_constraint_is_allowed_only_if_every_value_is() -> None:
    ruleset = rules("match /docs/{id} { allow list: if resource.data.team in request.auth.token.teams; }")
    member = {"uid": "alice", "token": {"teams": ["t1", "t2"]}}
    assert allowed(ruleset.authorize(op("list", "", auth=member, query=query("docs", Constraint("team", "in", ["t1", "t2"])))))
    assert not allowed(ruleset.authorize(op("list", "", auth=member, query=query("docs", Constraint("team", "in", ["t1", "t3"])))))


def test_short_circuit_lets_a_query_through_when_the_pinned_field_decides() -> None:
    ruleset = rules(STORY_RULES)
    published = query("public", Constraint("published", "==", True))
    assert allowed(ruleset.authorize(op("list", "", auth=ALICE, query=published)))
    own_drafts = query("public", Constraint("author", "==", "alice"))
    assert allowed(ruleset.authorize(op("list", "", auth=ALICE, query=own_drafts)))
    assert not allowed(ruleset.authorize(op("list", "", auth=ALICE, query=query("public"))))


def test_nested_field_constraints_pin_nested_values() -> None:
    ruleset = rules(STORY_RULES)
    assert allowed(ruleset.authorize(op("list", "", auth=ALICE, query=query("nested", Constraint("meta.owner", "==", "alice")))))
    assert not allowed(ruleset.authorize(op("list", "", auth=ALICE, query=query("nested", Constraint("meta.other", "==", "alice")))))


def test_query_limit_is_visible_to_rules() -> None:
    ruleset = rules(STORY_RULES)
    assert allowed(ruleset.authorize(op("list", "", query=query("limited", limit=5))))
    assert not allowed(ruleset.authorize(op("list", "", query=query("limited", limit=50))))
    assert not allowed(ruleset.authorize(op("list", "", query=query("limited"))))


def test_a_list_rule_cannot_read_the_unknown_document_id_or_other_resource_fields() -> None:
    ruleset = rules("match /x/{id} { allow list: if id == 'a'; allow get: if resource.id == 'a'; }")
    assert not allowed(ruleset.authorize(op("list", "", query=query("x"))))
    probe = rules("match /x/{id} { allow list: if resource.id == 'a' || resource.data.keys().size() > 0; }")
    assert not allowed(probe.authorize(op("list", "", query=query("x", Constraint("f", "==", 1)))))


def test_a_list_query_knows_its_documents_exist() -> None:
    ruleset = rules("match /x/{id} { allow list: if resource != null && resource.data is map; }")
    assert allowed(ruleset.authorize(op("list", "", query=query("x"))))


def test_a_rule_for_a_specific_document_id_does_not_allow_listing_the_collection() -> None:
    ruleset = rules("match /x/open { allow list: if true; }")
    assert not allowed(ruleset.authorize(op("list", "", query=query("x"))))


def test_collection_group_queries_match_only_rules_starting_with_a_recursive_wildcard() -> None:
    ruleset = rules(
        "match /forums/{forum}/posts/{post} { allow list: if true; }\n"
        "match /{path=**}/comments/{comment} { allow list: if resource.data.visible == true; }"
    )
    posts_everywhere = QueryInfo("posts", all_descendants=True)
    assert not allowed(ruleset.authorize(op("list", "", query=posts_everywhere)))
    assert allowed(ruleset.authorize(op("list", "forums/f1", query=QueryInfo("posts"))))
    visible = QueryInfo("comments", all_descendants=True, constraints=(Constraint("visible", "==", True),))
    assert allowed(ruleset.authorize(op("list", "", query=visible)))
    assert not allowed(ruleset.authorize(op("list", "", query=QueryInfo("comments", all_descendants=True))))


def test_the_path_captured_by_a_collection_group_rule_is_unknown() -> None:
    ruleset = rules("match /{path=**}/comments/{comment} { allow list: if path[0] == 'forums'; }")
    assert not allowed(ruleset.authorize(op("list", "", query=QueryInfo("comments", all_descendants=True))))
    assert allowed(ruleset.authorize(op("list", "forums/f1", query=QueryInfo("comments"))))


def test_a_collection_group_query_under_a_known_parent_binds_the_known_part() -> None:
    ruleset = rules("match /salons/{salon}/{rest=**} { allow list: if salon == 's1'; }")
    scoped = QueryInfo("approvals", all_descendants=True)
    assert allowed(ruleset.authorize(op("list", "salons/s1", query=scoped)))
    assert not allowed(ruleset.authorize(op("list", "salons/s2", query=scoped)))
    assert not allowed(ruleset.authorize(op("list", "", query=scoped)))


# -- protobuf values --------------------------------------------------------------------------------------------
def test_firestore_protobuf_values_convert_to_rules_values() -> None:
    value_pb = document_types.Value.pb()
    stamp = timestamp_pb2.Timestamp(seconds=1705312800, nanos=123456789)
    fields = {
        "null": value_pb(null_value=0),
        "flag": value_pb(boolean_value=True),
        "count": value_pb(integer_value=7),
        "ratio": value_pb(double_value=0.5),
        "name": value_pb(string_value="Priya"),
        "raw": value_pb(bytes_value=b"\x01"),
        "at": value_pb(timestamp_value=stamp),
        "ref": value_pb(reference_value="projects/p/databases/(default)/documents/salons/s1"),
        "where": value_pb(geo_point_value=latlng_pb2.LatLng(latitude=1.5, longitude=2.5)),
        "tags": value_pb(array_value={"values": [value_pb(string_value="a"), value_pb(integer_value=1)]}),
        "nested": value_pb(map_value={"fields": {"k": value_pb(boolean_value=False)}}),
    }
    converted = from_firestore_fields(fields)
    assert converted == {
        "null": None,
        "flag": True,
        "count": 7,
        "ratio": 0.5,
        "name": "Priya",
        "raw": b"\x01",
        "at": datetime(2024, 1, 15, 10, 0, 0, 123456, tzinfo=UTC),
        "ref": Path(("databases", "(default)", "documents", "salons", "s1")),
        "where": LatLng(1.5, 2.5),
        "tags": ["a", 1],
        "nested": {"k": False},
    }
    assert type(converted["count"]) is int and type(converted["flag"]) is bool
    assert from_firestore_value(value_pb()) is None


def test_version_1_recursive_wildcards_need_at_least_one_segment() -> None:
    source = "service cloud.firestore { match /databases/{database}/documents { match /files/{rest=**} { allow get; } } }"
    v1 = Ruleset.parse(source)
    v2 = Ruleset.parse("rules_version = '2';\n" + source)
    assert allowed(v1.authorize(op("get", "files/a/b")))
    assert not allowed(v1.authorize(op("get", "files")))
    assert allowed(v2.authorize(op("get", "files")))
