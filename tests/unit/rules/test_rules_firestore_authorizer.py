"""The emulator's authorizer seam with security rules: protobuf documents, queries and callers in, a
PERMISSION_DENIED FirestoreError out when the rules say no."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.cloud.firestore_v1.types import document as document_types
from google.cloud.firestore_v1.types import query as query_types
from google.protobuf import timestamp_pb2
from localcloud.firestore import errors
from localcloud.firestore.auth import ANONYMOUS, Access, AllowAll, Caller, caller_from_header
from localcloud.rules import Ruleset, RulesSyntaxError
from localcloud.rules.firestore_authorizer import RulesAuthorizer, make_authorizer, operation_from_access

DATABASE = "projects/demo-salonflow/databases/(default)"
ROOT = f"{DATABASE}/documents"
NOW_MICROS = int(datetime(2024, 1, 15, 10, 5, tzinfo=UTC).timestamp() * 1_000_000)
Value = document_types.Value.pb()
Document = document_types.Document.pb()
StructuredQuery = query_types.StructuredQuery.pb()

RULES = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    function isMember(salonId) {
      return request.auth != null && request.auth.token.salon_roles.get(salonId, null) != null;
    }
    match /salons/{salonId} {
      allow get: if isMember(salonId) && exists(/databases/$(database)/documents/salons/$(salonId));
      match /approvals/{id} {
        allow read: if isMember(salonId);
        allow update: if isMember(salonId) && resource.data.status == 'pending'
          && request.resource.data.status == 'approved' && request.time < resource.data.expires_at;
      }
    }
    match /{path=**}/approvals/{id} {
      allow list: if isMember(resource.data.salon_id) && request.query.limit <= 50;
    }
  }
}
"""

MEMBER = Caller("user", uid="u1", claims={"sub": "u1", "salon_roles": {"s1": "owner"}})


class Lookup:
    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents

    def get(self, name: str) -> Any | None:
        return self.documents.get(name)

    def get_after(self, name: str) -> Any | None:
        return self.documents.get(name)


def doc(**fields: Any) -> Any:
    document = Document()
    for key, value in fields.items():
        if isinstance(value, str):
            document.fields[key].string_value = value
        elif isinstance(value, datetime):
            stamp = timestamp_pb2.Timestamp()
            stamp.FromDatetime(value)
            document.fields[key].timestamp_value.CopyFrom(stamp)
    return document


LATER = datetime(2024, 1, 15, 11, 0, tzinfo=UTC)
LOOKUP = Lookup({f"{ROOT}/salons/s1": doc(name="Glow")})


def access(method: Any, path: str, caller: Caller = MEMBER, **extra: Any) -> Access:
    return Access(caller, method, DATABASE, f"{ROOT}/{path}" if path else ROOT, time_micros=NOW_MICROS, data=LOOKUP, **extra)


def group_query(*filters: Any, limit: int | None = 10) -> Any:
    query = StructuredQuery()
    query.from_.add(collection_id="approvals", all_descendants=True)
    if filters:
        composite = query.where.composite_filter
        composite.op = StructuredQuery.CompositeFilter.AND
        composite.filters.extend(filters)
    if limit is not None:
        query.limit.value = limit
    return query


def field_filter(field: str, op: str, value: Any) -> Any:
    wrapper = StructuredQuery.Filter()
    wrapper.field_filter.field.field_path = field
    wrapper.field_filter.op = StructuredQuery.FieldFilter.Operator.Value(op)
    wrapper.field_filter.value.CopyFrom(value)
    return wrapper


def strings(*items: str) -> Any:
    return Value(array_value={"values": [Value(string_value=item) for item in items]})


@pytest.fixture
def authorizer() -> RulesAuthorizer:
    return RulesAuthorizer(Ruleset.parse(RULES))


def denied(authorizer: RulesAuthorizer, request: Access) -> bool:
    try:
        authorizer.authorize(request)
    except errors.FirestoreError as error:
        assert error.code == "PERMISSION_DENIED"
        return True
    return False


def test_a_member_gets_the_salon_and_exists_reads_through_the_emulator_lookup(authorizer: RulesAuthorizer) -> None:
    assert not denied(authorizer, access("get", "salons/s1", resource=doc(name="Glow")))
    assert denied(authorizer, access("get", "salons/s2"))
    assert denied(authorizer, access("get", "salons/s1", caller=ANONYMOUS))


def test_unsigned_jwt_claims_become_request_auth(authorizer: RulesAuthorizer) -> None:
    import base64

    claims = base64.urlsafe_b64encode(json.dumps({"sub": "u9", "salon_roles": {"s1": "staff"}}).encode()).decode().rstrip("=")
    caller = caller_from_header(f"Bearer e30.{claims}.")
    assert not denied(authorizer, access("get", "salons/s1", caller=caller))
    operation = operation_from_access(access("get", "salons/s1", caller=caller))
    assert operation is not None and operation.auth == {"uid": "u9", "token": {"sub": "u9", "salon_roles": {"s1": "staff"}}}


def test_writes_see_protobuf_documents_before_and_after(authorizer: RulesAuthorizer) -> None:
    before = doc(status="pending", expires_at=LATER)
    assert not denied(authorizer, access("update", "salons/s1/approvals/a1", resource=before, request_resource=doc(status="approved")))
    assert denied(authorizer, access("update", "salons/s1/approvals/a1", resource=doc(status="rejected", expires_at=LATER), request_resource=doc(status="approved")))


def test_a_collection_group_query_is_decided_from_its_filters(authorizer: RulesAuthorizer) -> None:
    mine = group_query(field_filter("salon_id", "IN", strings("s1")), field_filter("status", "EQUAL", Value(string_value="pending")))
    assert not denied(authorizer, access("list", "approvals", query=mine))
    assert not denied(authorizer, access("list", "", query=mine)), "parent given without the collection id"
    foreign = group_query(field_filter("salon_id", "IN", strings("s1", "s2")))
    assert denied(authorizer, access("list", "approvals", query=foreign))
    assert denied(authorizer, access("list", "approvals", query=group_query()))
    too_many = group_query(field_filter("salon_id", "EQUAL", Value(string_value="s1")), limit=500)
    assert denied(authorizer, access("list", "approvals", query=too_many))


def test_an_or_filter_proves_nothing(authorizer: RulesAuthorizer) -> None:
    query = group_query()
    composite = query.where.composite_filter
    composite.op = StructuredQuery.CompositeFilter.OR
    composite.filters.extend([field_filter("salon_id", "EQUAL", Value(string_value="s1"))])
    assert denied(authorizer, access("list", "approvals", query=query))


def test_query_details_are_translated() -> None:
    query = group_query(field_filter("salon_id", "EQUAL", Value(string_value="s1")), limit=7)
    query.offset = 3
    order = query.order_by.add()
    order.field.field_path = "created_at"
    order.direction = StructuredQuery.DESCENDING
    unary = StructuredQuery.Filter()
    unary.unary_filter.field.field_path = "response.action"
    unary.unary_filter.op = StructuredQuery.UnaryFilter.Operator.Value("IS_NULL")
    query.where.composite_filter.filters.append(unary)
    operation = operation_from_access(access("list", "salons/s1/approvals", query=query))
    assert operation is not None and operation.query is not None
    assert operation.path == "salons/s1"
    info = operation.query
    assert (info.collection_id, info.all_descendants, info.limit, info.offset) == ("approvals", True, 7, 3)
    assert info.order_by == (("created_at", "DESC"),)
    assert [(c.field_path, c.op, c.value) for c in info.constraints] == [("salon_id", "==", "s1"), ("response.action", "==", None)]


def test_listing_collection_ids_is_denied_to_clients(authorizer: RulesAuthorizer) -> None:
    assert denied(authorizer, access("list", "salons/s1"))


def test_list_documents_without_a_query_is_a_collection_list(authorizer: RulesAuthorizer) -> None:
    assert not denied(authorizer, access("list", "salons/s1/approvals"))
    assert denied(authorizer, access("list", "salons/s2/approvals"))


def test_a_batch_is_decided_together(authorizer: RulesAuthorizer) -> None:
    before = doc(status="pending", expires_at=LATER)
    good = access("update", "salons/s1/approvals/a1", resource=before, request_resource=doc(status="approved"))
    bad = access("update", "salons/s2/approvals/a1", resource=before, request_resource=doc(status="approved"))
    authorizer.authorize_batch([good, good])
    with pytest.raises(errors.FirestoreError):
        authorizer.authorize_batch([good, bad])


def test_new_rules_replace_the_old_and_a_syntax_error_keeps_them(authorizer: RulesAuthorizer) -> None:
    old = authorizer.ruleset
    with pytest.raises(RulesSyntaxError) as caught:
        authorizer.replace_from_request_body(json.dumps({"rules": {"files": [{"name": "firestore.rules", "content": "service cloud.firestore {\n  match /x { allow get: if ; }\n}"}]}}))
    assert (caught.value.line, caught.value.column) == (2, 28)
    assert authorizer.ruleset is old
    open_rules = "rules_version = '2'; service cloud.firestore { match /databases/{d}/documents { match /{doc=**} { allow read; } } }"
    authorizer.replace_from_request_body({"rules": {"files": [{"name": "firestore.rules", "content": open_rules}]}})
    assert not denied(authorizer, access("get", "salons/s2", caller=ANONYMOUS))
    with pytest.raises(RulesSyntaxError):
        authorizer.replace_from_request_body(b'{"rules": {}}')


def test_make_authorizer_enforces_a_rules_file_and_allows_all_without_one(tmp_path: Path) -> None:
    assert isinstance(make_authorizer(None), AllowAll)
    rules_file = tmp_path / "firestore.rules"
    rules_file.write_text(RULES)
    assert isinstance(make_authorizer(str(rules_file)), RulesAuthorizer)
    rules_file.write_text("service {")
    with pytest.raises(RulesSyntaxError):
        make_authorizer(str(rules_file))


def test_the_denial_message_is_firestores_with_the_reason(authorizer: RulesAuthorizer) -> None:
    with pytest.raises(errors.FirestoreError) as caught:
        authorizer.authorize(access("get", "salons/s2"))
    assert caught.value.message.startswith("Missing or insufficient permissions.")
    assert "line" in caught.value.message
