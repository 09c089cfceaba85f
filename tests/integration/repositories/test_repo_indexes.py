"""Every query the repositories issue runs against the emulator enforcing firestore.indexes.json, and the file
has the shape the Firebase CLI deploys.

The shared `firestore_emulator` starts with `--indexes firestore.indexes.json`, so a repository query that needs
an index the file lacks fails here with production's FAILED_PRECONDITION. `declared_indexes_used` names, by the
emulator's own rules (`localcloud.firestore.indexes`), the declared indexes a set of captured queries uses:
test_repo_index_services.py checks with it that every declared index is used by something.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from google.cloud.firestore_v1.query import Query
from google.cloud.firestore_v1.types import StructuredQuery
from localcloud.firestore.index_config import CompositeIndex, IndexConfig
from localcloud.firestore.index_requirements import requirements
from localcloud.firestore.indexes import serving
from repo_builders import NOW
from salonflow.adapters.firestore.directory import due_agents, salon_by_whatsapp_sender
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.domain import AuditEventType, BookingStatus, CustomerSegment, DecisionType, OutreachStatus

pytestmark = pytest.mark.integration

INDEX_FILE = Path(__file__).resolve().parents[3] / "firestore.indexes.json"


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


def declared_indexes_used(sent: Iterable[tuple[Any, Any | None]]) -> list[CompositeIndex]:
    """The composite indexes of firestore.indexes.json that serve these (query, aggregation) protobufs."""
    config = IndexConfig.load(INDEX_FILE)
    used: list[CompositeIndex] = []
    for query, aggregation in sent:
        for need in requirements(query, aggregation):
            parts = serving(config, need)
            assert parts is not None, need  # the enforcing emulator would have refused the query
            used += [part for part in parts if isinstance(part, CompositeIndex)]
    return used


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


def test_every_repository_query_runs_against_the_emulator_enforcing_the_index_file(
        firestore_client: Any, captured: list[Any]) -> None:
    run_every_repository_query(firestore_client)  # a missing index raises FailedPrecondition
    assert len(captured) >= 40
    assert declared_indexes_used((query._pb, None) for query in captured)


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
