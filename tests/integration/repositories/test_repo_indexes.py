"""Every query the repositories issue is served by firestore.indexes.json, and every index there is used.

The queries are captured as the real client sends them (StructuredQuery protobufs) while each repository query
method runs against the emulator; the composite index each one needs is derived with Firestore's rules:
equality fields (any order) followed by the order-by fields in order, inequality fields ordered implicitly,
`__name__` never listed; a query over one field, or with equality filters only, needs no composite index.
A query with several equality filters is also served by index merging: one index `[field, *order]` per
equality field (how the API's list filters combine without an index per combination).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from google.cloud.firestore_v1.query import Query
from google.cloud.firestore_v1.types import StructuredQuery
from repo_builders import NOW
from salonflow.adapters.firestore.directory import due_agents, salon_by_whatsapp_sender
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.domain import AuditEventType, BookingStatus, CustomerSegment, DecisionType, OutreachStatus

pytestmark = pytest.mark.integration

INDEX_FILE = Path(__file__).resolve().parents[3] / "firestore.indexes.json"
EQUALITY_OPS = {
    StructuredQuery.FieldFilter.Operator.EQUAL,
    StructuredQuery.FieldFilter.Operator.IN,
    StructuredQuery.FieldFilter.Operator.ARRAY_CONTAINS,
    StructuredQuery.FieldFilter.Operator.ARRAY_CONTAINS_ANY,
}
Needed = tuple[str, str, frozenset[str], tuple[tuple[str, str], ...]]  # scope, collection, equality, ordered


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[StructuredQuery]]:
    seen: list[StructuredQuery] = []
    original = Query._to_protobuf

    def recording(self: Query) -> StructuredQuery:
        query = original(self)
        seen.append(query)
        return query

    monkeypatch.setattr(Query, "_to_protobuf", recording)
    yield seen


UNARY_EQUALITY_OPS = {StructuredQuery.UnaryFilter.Operator.IS_NULL, StructuredQuery.UnaryFilter.Operator.IS_NAN}


def leaf_filters(where: StructuredQuery.Filter) -> Iterator[tuple[str, bool]]:
    """(field path, is an equality) for every leaf filter, in order; `== None` / `== NaN` arrive as unary
    filters and are equalities, `!= None` / `!= NaN` inequalities."""
    kind = where._pb.WhichOneof("filter_type")
    if kind == "composite_filter":
        for child in where.composite_filter.filters:
            yield from leaf_filters(child)
    elif kind == "field_filter":
        yield where.field_filter.field.field_path, where.field_filter.op in EQUALITY_OPS
    elif kind == "unary_filter":
        yield where.unary_filter.field.field_path, where.unary_filter.op in UNARY_EQUALITY_OPS


def needed_index(query: StructuredQuery) -> Needed | None:
    source = query.from_[0]
    scope = "COLLECTION_GROUP" if source.all_descendants else "COLLECTION"
    equality: set[str] = set()
    inequality: list[str] = []
    if query._pb.HasField("where"):
        for path, is_equality in leaf_filters(query.where):
            if is_equality:
                equality.add(path)
            elif path not in inequality:
                inequality.append(path)
    ordered = [
        (order.field.field_path, "DESCENDING" if order.direction == StructuredQuery.Direction.DESCENDING
         else "ASCENDING")
        for order in query.order_by
    ]
    # Inequality fields not ordered explicitly are ordered implicitly, in the last explicit order's direction
    # (as the client and the emulator's explain plan do).
    implicit = ordered[-1][1] if ordered else "ASCENDING"
    for path in inequality:
        if path not in [field for field, _ in ordered]:
            ordered.append((path, implicit))
    ordered = [(field, direction) for field, direction in ordered if field != "__name__"]
    equality -= {field for field, _ in ordered}
    if len(equality) + len(ordered) <= 1 or not ordered:
        return None  # a single-field index, or equality-only (served by merging single-field indexes)
    return scope, source.collection_id, frozenset(equality), tuple(ordered)


def declared_indexes() -> list[Needed]:
    declared: list[Needed] = []
    for index in json.loads(INDEX_FILE.read_text())["indexes"]:
        fields = [(f["fieldPath"], f["order"]) for f in index["fields"]]
        declared.append((index["queryScope"], index["collectionGroup"], frozenset(), tuple(fields)))
    return declared


def merged_parts(declared: list[Needed], need: Needed) -> list[Needed] | None:
    """The indexes that serve `need` by index merging, or None when some equality field has none."""
    n_scope, n_collection, n_equality, n_ordered = need
    if len(n_equality) < 2:
        return None
    parts: list[Needed] = []
    for field in sorted(n_equality):
        single = (n_scope, n_collection, frozenset({field}), n_ordered)
        found = [index for index in declared if serves(index, single)]
        if not found:
            return None
        parts += found
    return parts


def serves(index: Needed, need: Needed) -> bool:
    scope, collection, _, fields = index
    n_scope, n_collection, n_equality, n_ordered = need
    if (scope, collection) != (n_scope, n_collection) or len(fields) != len(n_equality) + len(n_ordered):
        return False
    head, tail = fields[: len(n_equality)], fields[len(n_equality):]
    return {field for field, _ in head} == n_equality and tail == n_ordered


def run_every_repository_query(client: Any) -> None:
    repos = SalonRepositories(client, "salon_1")
    later = NOW + timedelta(days=1)
    repos.staff.active()
    repos.services.active()
    repos.customers.by_phone("+919876543210")
    repos.customers.list_all(limit=10)
    repos.bookings.in_range(NOW, later)
    repos.bookings.in_range(NOW, later, staff_id="staff_1")
    repos.bookings.in_range(NOW, later, statuses=[BookingStatus.NO_SHOW])
    repos.bookings.upcoming(NOW, later)
    repos.bookings.overlapping(NOW, later, staff_id="staff_1")
    repos.bookings.upcoming(NOW, later, staff_id="staff_1")
    repos.bookings.for_customer("cust_1")
    repos.bookings.for_customer("cust_1", since=NOW, limit=5)
    repos.waitlist.waiting()
    repos.waitlist.waiting(service_id="svc_1", limit=3)
    repos.waitlist.past_expiry(NOW)
    repos.gaps.open()
    repos.gaps.open(start=NOW, end=later)
    repos.gaps.open(staff_id="staff_1")
    repos.gaps.open(start=NOW, end=later, staff_id="staff_1")
    repos.gaps.high_priority_open()
    repos.gaps.open_ended_before(NOW)
    repos.approvals.pending()
    repos.approvals.pending_past_expiry(NOW)
    repos.approvals.for_decision("dec_1")
    repos.approvals.count_pending()
    repos.outreach.by_status(OutreachStatus.SENT)
    repos.outreach.for_customer_since("cust_1", NOW)
    repos.outreach.for_trigger("gap_1")
    repos.outreach.by_message_id("SM123")
    repos.outreach.past_expiry(NOW)
    repos.outreach.stuck_sending(NOW)
    repos.outreach.deferred_due(NOW)
    repos.decisions.created_between(NOW, later)
    repos.decisions.created_between(NOW, later, decision_type=DecisionType.GAP_FILL)
    repos.decisions.created_between(NOW, later, agent_name="gap_fill_agent")
    repos.decisions.created_between(NOW, later, decision_type=DecisionType.GAP_FILL, agent_name="gap_fill_agent")
    repos.decisions.pending_past_expiry(NOW)
    repos.agent_states.list_all()
    repos.customer_scores.by_segment(CustomerSegment.AT_RISK)
    repos.audit_logs.recent()
    repos.audit_logs.recent(event_type=AuditEventType.CONFIG_CHANGED)
    repos.audit_logs.for_resource("decision", "dec_1")
    due_agents(client, "gap_fill_agent", NOW)
    salon_by_whatsapp_sender(client, "whatsapp:+919800000000")
    run_api_list_queries(repos)


# The /autonomous list endpoints filter by any of these fields (equality), optionally by a range of the time
# field, and order by (time field, __name__) — see salonflow/api/listing.py and each resource's ListSpec.
API_LISTS: list[tuple[str, tuple[str, ...], str, Literal["ASCENDING", "DESCENDING"]]] = [
    ("decisions", ("decision_type", "autonomy_level", "outcome.status", "agent_name"), "created_at", "DESCENDING"),
    ("approvals", ("status", "priority", "action_type", "agent_name", "decision_id"), "created_at", "DESCENDING"),
    ("gaps", ("status", "priority", "staff_id", "date"), "start_time", "ASCENDING"),
    ("outreach", ("status", "outreach_type", "channel", "customer_id", "trigger_id"), "created_at", "DESCENDING"),
]


def run_api_list_queries(repos: SalonRepositories) -> None:
    for attribute, fields, time_field, direction in API_LISTS:
        repository = getattr(repos, attribute)
        order = [(time_field, direction), ("__name__", direction)]
        window = [(time_field, ">=", NOW), (time_field, "<=", NOW + timedelta(days=1))]
        repository.query(window, order_by=order, limit=5)
        for field in fields:
            repository.query([(field, "==", "x"), *window], order_by=order, limit=5)
        repository.query([(fields[0], "==", "x"), (fields[-1], "==", "y"), *window], order_by=order, limit=5)


def check_against_declared(needs: set[Needed]) -> tuple[list[Needed], list[Needed]]:
    """(needs no declared index serves, declared indexes none of the needs uses)."""
    declared = declared_indexes()
    used: list[Needed] = []
    missing: list[Needed] = []
    for need in needs:
        exact = [index for index in declared if serves(index, need)]
        merged = merged_parts(declared, need) if not exact else None
        if not exact and merged is None:
            missing.append(need)
        used += exact or merged or []
    return missing, [index for index in declared if index not in used]


def test_every_repository_query_has_its_composite_index(firestore_client: Any, captured: list[Any]) -> None:
    # That every declared index is used by some query is checked in test_repo_index_services.py, together
    # with the queries the service layer, the API and the entry points send.
    run_every_repository_query(firestore_client)
    assert len(captured) >= 40
    needs = {need for need in map(needed_index, captured) if need is not None}
    missing, _ = check_against_declared(needs)
    assert missing == []


def test_the_index_file_has_the_shape_the_firebase_cli_deploys() -> None:
    document = json.loads(INDEX_FILE.read_text())
    assert set(document) == {"indexes", "fieldOverrides"}
    seen = set()
    for index in document["indexes"]:
        assert set(index) == {"collectionGroup", "queryScope", "fields"}
        assert index["queryScope"] in {"COLLECTION", "COLLECTION_GROUP"}
        assert len(index["fields"]) >= 2
        for field in index["fields"]:
            assert set(field) == {"fieldPath", "order"} and field["order"] in {"ASCENDING", "DESCENDING"}
        key = json.dumps(index, sort_keys=True)
        assert key not in seen
        seen.add(key)
    for override in document["fieldOverrides"]:
        assert set(override) == {"collectionGroup", "fieldPath", "ttl", "indexes"}
        assert override["indexes"] == []  # only exemptions: big maps/arrays/texts and TTL fields nobody queries


def test_ttl_policies_cover_the_governance_collections_expiry_fields() -> None:
    overrides = json.loads(INDEX_FILE.read_text())["fieldOverrides"]
    ttl = {(o["collectionGroup"], o["fieldPath"]) for o in overrides if o["ttl"]}
    assert ttl == {
        ("rate_limit_windows", "expire_at"),
        ("customer_contact_windows", "expire_at"),
        ("idempotency_keys", "delete_after"),
    }
