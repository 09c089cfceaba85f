"""The /autonomous API against the Firestore emulator, with firebase-admin verifying emulator-mode tokens."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from api_support import NOW, approval_doc, gap_doc, id_token
from salonflow.services.approval_service import ApprovalService
from salonflow.services.executor import Result
from salonflow.services.ports import ServicePorts

OWNER = id_token("uid_owner", {"salon_a": "owner"})
STAFF = id_token("uid_staff", {"salon_a": "staff"})
OTHER_OWNER = id_token("uid_other", {"salon_b": "owner"})
NO_CLAIM = id_token("uid_nobody", None)


def seed_gaps(client: Any, salon_id: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        gap_id = f"gap_{salon_id}_{i:02d}"
        client.document(f"salons/{salon_id}/gaps/{gap_id}").set(
            gap_doc(salon_id, gap_id, NOW + timedelta(hours=i), priority="high" if i % 2 else "low"))
        ids.append(gap_id)
    return ids


def test_a_request_without_a_token_is_unauthenticated(api) -> None:
    response = api("GET", "/autonomous/gaps", query={"salon_id": "salon_a"})
    assert response.status == 401
    assert response.body["error"]["code"] == "unauthenticated"


def test_a_forged_token_for_another_project_is_rejected(api) -> None:
    response = api("GET", "/autonomous/gaps", token=id_token("uid_owner", {"salon_a": "owner"}, project="evil"),
                   query={"salon_id": "salon_a"})
    assert response.status == 401


@pytest.mark.parametrize("token", [OTHER_OWNER, NO_CLAIM])
def test_a_caller_without_a_role_in_the_salon_is_forbidden(api, token: str) -> None:
    response = api("GET", "/autonomous/gaps", token=token, query={"salon_id": "salon_a"})
    assert response.status == 403


def test_a_salon_that_does_not_exist_is_not_found_even_for_a_token_that_names_it(api) -> None:
    ghost = id_token("uid_ghost", {"salon_gone": "owner"})
    response = api("GET", "/autonomous/agents", token=ghost, query={"salon_id": "salon_gone"})
    assert response.status == 404 and response.body["error"]["code"] == "not_found"
    assert "salon" in response.body["error"]["message"]


def test_the_function_url_and_the_hosting_rewrite_reach_the_same_route(api) -> None:
    direct = api("GET", "/agents/gap_fill_agent", token=OWNER, query={"salon_id": "salon_a"})
    rewritten = api("GET", "/autonomous/agents/gap_fill_agent", token=OWNER, query={"salon_id": "salon_a"})
    assert direct.status == rewritten.status == 200 and direct.body == rewritten.body
    assert api("GET", "/openapi.json").body["openapi"] == "3.1.0"


def test_summaries_count_by_aggregation_and_do_not_advertise_paging(api, firestore_client) -> None:
    for i in range(7):
        status = "approved" if i % 2 else "pending"
        doc = approval_doc("salon_a", f"apr_s{i}", status="pending")
        if status == "approved":
            doc.update(status="approved", response={"action": "approve", "responded_by": "uid_owner",
                                                    "responded_at": NOW + timedelta(seconds=30 * i),
                                                    "notes": None})
        firestore_client.document(f"salons/salon_a/approvals/apr_s{i}").set(doc)
    summary = api("GET", "/autonomous/approvals/stats/summary", token=OWNER, query={"salon_id": "salon_a"}).body
    assert summary["total"] == 7 and summary["by_status"] == {"pending": 4, "approved": 3}
    assert summary["by_action_type"] == {"gap_fill": 7} and summary["median_response_sample"] == 3
    assert summary["median_response_seconds"] == 90  # answers after 30, 90 and 150 s
    document = api("GET", "/autonomous/openapi.json").body
    for path in ("/autonomous/outreach/stats/summary", "/autonomous/approvals/stats/summary"):
        names = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
        assert not names & {"page_size", "page_token"}, (path, names)
    outreach = api("GET", "/autonomous/outreach/stats/summary", token=OWNER, query={"salon_id": "salon_a"})
    assert outreach.status == 200 and outreach.body["total"] == 0 and outreach.body["suppressed_complete"]


def test_another_salons_gap_is_not_found_rather_than_forbidden(api, firestore_client) -> None:
    (gap_id,) = seed_gaps(firestore_client, "salon_b", 1)
    response = api("GET", f"/autonomous/gaps/{gap_id}", token=OWNER, query={"salon_id": "salon_a"})
    assert response.status == 404
    assert api("GET", f"/autonomous/gaps/{gap_id}", token=OTHER_OWNER,
               query={"salon_id": "salon_b"}).status == 200


def test_lists_paginate_with_opaque_tokens_in_a_stable_order_without_repeats(api, firestore_client) -> None:
    expected = seed_gaps(firestore_client, "salon_a", 7)
    seed_gaps(firestore_client, "salon_b", 3)
    seen: list[str] = []
    token = None
    for _ in range(5):
        query = {"salon_id": "salon_a", "page_size": "3", **({"page_token": token} if token else {})}
        page = api("GET", "/autonomous/gaps", token=STAFF, query=query)
        assert page.status == 200, page.body
        seen += [item["id"] for item in page.body["items"]]
        token = page.body["next_page_token"]
        if token is None:
            break
    assert seen == expected


def test_a_page_token_reused_with_other_filters_is_refused(api, firestore_client) -> None:
    seed_gaps(firestore_client, "salon_a", 4)
    first = api("GET", "/autonomous/gaps", token=STAFF, query={"salon_id": "salon_a", "page_size": "2"})
    response = api("GET", "/autonomous/gaps", token=STAFF, query={
        "salon_id": "salon_a", "page_size": "2", "priority": "high", "page_token": first.body["next_page_token"]})
    assert response.status == 400
    assert response.body["error"]["code"] == "invalid_page_token"


@pytest.mark.parametrize("query", [{"page_size": "101"}, {"page_size": "0"}, {"status": "sleeping"},
                                   {"from": "yesterday"}])
def test_bad_list_parameters_get_a_clear_error(api, query: dict[str, str]) -> None:
    response = api("GET", "/autonomous/gaps", token=STAFF, query={"salon_id": "salon_a", **query})
    assert response.status == 400
    assert set(response.body["error"]) == {"code", "message", "details"}


def test_high_priority_gaps_are_only_the_open_high_and_critical_ones(api, firestore_client) -> None:
    seed_gaps(firestore_client, "salon_a", 4)
    response = api("GET", "/autonomous/gaps/high-priority", token=STAFF, query={"salon_id": "salon_a"})
    assert [g["priority"] for g in response.body["items"]] == ["high", "high"]


def test_staff_may_read_but_not_act_on_approvals(api, firestore_client) -> None:
    firestore_client.document("salons/salon_a/approvals/apr_1").set(approval_doc("salon_a", "apr_1"))
    assert api("GET", "/autonomous/approvals/pending", token=STAFF, query={"salon_id": "salon_a"}).status == 200
    response = api("POST", "/autonomous/approvals/apr_1/action", token=STAFF, query={"salon_id": "salon_a"},
                   body={"action": "approve"})
    assert response.status == 403


def test_an_owner_approves_once_and_the_response_records_who_and_when(api, firestore_client) -> None:
    firestore_client.document("salons/salon_a/approvals/apr_1").set(approval_doc("salon_a", "apr_1"))
    response = api("POST", "/autonomous/approvals/apr_1/action", token=OWNER, query={"salon_id": "salon_a"},
                   body={"action": "approve", "notes": "go ahead"})
    assert response.status == 200, response.body
    assert response.body["status"] == "approved"
    assert response.body["response"]["responded_by"] == "uid_owner"
    again = api("POST", "/autonomous/approvals/apr_1/action", token=OWNER, query={"salon_id": "salon_a"},
                body={"action": "approve"})
    assert again.status == 200
    flip = api("POST", "/autonomous/approvals/apr_1/action", token=OWNER, query={"salon_id": "salon_a"},
               body={"action": "reject"})
    assert flip.status == 409
    stored = firestore_client.document("salons/salon_a/approvals/apr_1").get().to_dict()
    assert stored["status"] == "approved" and stored["response"]["notes"] == "go ahead"


def test_a_response_after_expiry_expires_the_approval_instead(api, firestore_client) -> None:
    firestore_client.document("salons/salon_a/approvals/apr_old").set(
        approval_doc("salon_a", "apr_old", created=NOW - timedelta(minutes=30)))
    response = api("POST", "/autonomous/approvals/apr_old/action", token=OWNER, query={"salon_id": "salon_a"},
                   body={"action": "approve"})
    assert response.status == 409
    assert firestore_client.document("salons/salon_a/approvals/apr_old").get().get("status") == "expired"


def test_unknown_fields_and_server_owned_fields_are_rejected(api) -> None:
    response = api("POST", "/autonomous/decisions", token=OWNER, query={"salon_id": "salon_a"}, body={
        "agent_name": "gap_fill_agent", "decision_type": "gap_fill", "action_taken": "outreach_initiated",
        "salon_id": "salon_b"})
    assert response.status == 422
    assert response.body["error"]["details"][0]["loc"] == "salon_id"


def test_a_created_decision_takes_its_autonomy_from_the_policy_not_the_caller(api, firestore_client) -> None:
    response = api("POST", "/autonomous/decisions", token=OWNER, query={"salon_id": "salon_a"}, body={
        "agent_name": "owner_manual", "decision_type": "discount_offer", "action_taken": "offer_drafted",
        "discount_percent": 25, "potential_revenue": 800})
    assert response.status == 201, response.body
    assert response.body["autonomy_level"] == "manual_only"
    assert response.body["approval"]["required"] is True
    stored = firestore_client.document(f"salons/salon_a/autonomous_decisions/{response.body['id']}").get()
    assert stored.get("salon_id") == "salon_a"


def test_a_recorded_decision_that_needs_approval_gets_an_approval_the_owner_can_answer(api, firestore_client) -> None:
    response = api("POST", "/autonomous/decisions", token=OWNER, query={"salon_id": "salon_a"}, body={
        "agent_name": "owner_manual", "decision_type": "discount_offer", "action_taken": "offer_drafted",
        "context": {"customer_id": "cust_priya"}, "potential_revenue": 800})
    assert response.status == 201, response.body
    approval_id = response.body["approval"]["approval_id"]
    assert approval_id and response.body["approval"]["status"] == "pending"
    approval = firestore_client.document(f"salons/salon_a/approvals/{approval_id}").get().to_dict()
    assert approval["decision_id"] == response.body["id"] and approval["status"] == "pending"
    assert approval["action_details"]["customer_id"] == "cust_priya"
    answered = api("POST", f"/autonomous/approvals/{approval_id}/action", token=OWNER,
                   query={"salon_id": "salon_a"}, body={"action": "approve"})
    assert answered.status == 200 and answered.body["status"] == "approved", answered.body
    # What the approvals trigger then does: the decision follows, and with nothing of ours to perform, it waits
    # for whoever recorded it to report the outcome.
    published: list[Any] = []
    ports = ServicePorts(messages=None, events=SimpleNamespace(publish=published.append))  # type: ignore[arg-type]
    result = ApprovalService(firestore_client, "salon_a", ports).sync_from_document(approval_id, NOW)
    assert result.execution is not None and result.execution.result is Result.RECORDED
    decision = firestore_client.document(f"salons/salon_a/autonomous_decisions/{response.body['id']}").get()
    assert decision.get("approval")["status"] == "approved" and decision.get("outcome")["status"] == "pending"
    events = [d.get("event_type") for d in firestore_client.collection("salons/salon_a/audit_logs").stream()]
    assert sorted(events) == ["approval_granted", "approval_requested", "decision_made"]


@pytest.mark.parametrize("details", [{"discount_percent": 25}, {"offer": {"discount_percent": 30}}])
def test_a_discount_above_twenty_percent_is_manual_only_wherever_the_caller_put_it(
        api, firestore_client, details: dict[str, Any]) -> None:
    response = api("POST", "/autonomous/decisions", token=OWNER, query={"salon_id": "salon_a"}, body={
        "agent_name": "owner_manual", "decision_type": "gap_fill", "action_taken": "offer_drafted",
        "action_details": details})
    assert response.status == 201, response.body
    assert response.body["autonomy_level"] == "manual_only"
    approval = firestore_client.document(
        f"salons/salon_a/approvals/{response.body['approval']['approval_id']}").get().to_dict()
    assert approval["priority"] == "high" and approval["action_details"]["autonomy_level"] == "manual_only"


def test_two_different_discounts_in_one_decision_are_refused_and_nothing_is_recorded(api, firestore_client) -> None:
    response = api("POST", "/autonomous/decisions", token=OWNER, query={"salon_id": "salon_a"}, body={
        "agent_name": "owner_manual", "decision_type": "discount_offer", "action_taken": "offer_drafted",
        "discount_percent": 10, "action_details": {"discount_percent": 40}})
    assert response.status == 422 and response.body["error"]["code"] == "invalid_discount"
    assert "10%" in response.body["error"]["message"] and "40%" in response.body["error"]["message"]
    assert list(firestore_client.collection("salons/salon_a/autonomous_decisions").stream()) == []


def test_an_outcome_moves_forward_once_and_never_back(api) -> None:
    created = api("POST", "/autonomous/decisions", token=OWNER, query={"salon_id": "salon_a"}, body={
        "agent_name": "owner_manual", "decision_type": "gap_fill", "action_taken": "outreach_initiated"})
    path = f"/autonomous/decisions/{created.body['id']}"
    done = api("PATCH", path, token=OWNER, query={"salon_id": "salon_a"},
               body={"status": "success", "actual_revenue": 500, "booking_created_id": "bk_9"})
    assert done.status == 200
    assert done.body["revenue_impact"]["actual"] == 500
    assert api("PATCH", path, token=OWNER, query={"salon_id": "salon_a"}, body={"status": "failed"}).status == 409


def test_a_paused_agent_is_recorded_as_a_manual_override(api, firestore_client) -> None:
    response = api("PATCH", "/autonomous/agents/gap_fill_agent", token=OWNER, query={"salon_id": "salon_a"},
                   body={"status": "paused"})
    assert response.status == 200, response.body
    assert response.body["status"] == "paused"
    assert api("PATCH", "/autonomous/agents/gap_fill_agent", token=OWNER, query={"salon_id": "salon_a"},
               body={"status": "circuit_breaker"}).status == 422
    assert api("GET", "/autonomous/agents/not_an_agent", token=OWNER, query={"salon_id": "salon_a"}).status == 404
    logs = [d.to_dict() for d in firestore_client.collection("salons/salon_a/audit_logs").stream()]
    assert [log["event_type"] for log in logs] == ["manual_override"]


def test_the_openapi_document_lists_every_route_of_the_router(api) -> None:
    document = api("GET", "/autonomous/openapi.json").body
    assert document["openapi"] == "3.1.0"
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert ("POST", "/autonomous/approvals/{id}/action") in operations
    assert ("GET", "/autonomous/gaps/stats/daily") in operations
    assert len(operations) >= 20


def test_revenue_impact_reports_attributed_and_lift_side_by_side_over_a_range(api, firestore_client) -> None:
    for day, attributed, lift in (("2026-11-23", 2400, 1500.0), ("2026-11-24", 800, -100.0)):
        firestore_client.document(f"salons/salon_a/analytics_daily/{day}").set({"date": day, "revenue": {
            "attributed": attributed, "lift_net_of_holdout": lift,
            "by_agent": {"gap_fill_agent": {"attributed_revenue": attributed, "lift_revenue": lift}}}})
    firestore_client.document("salons/salon_b/analytics_daily/2026-11-23").set(
        {"date": "2026-11-23", "revenue": {"attributed": 99999, "lift_net_of_holdout": 99999}})
    response = api("GET", "/autonomous/analytics/revenue-impact", token=STAFF,
                   query={"salon_id": "salon_a", "from": "2026-11-20", "to": "2026-11-25"})
    assert response.status == 200, response.body
    assert (response.body["attributed"], response.body["lift_net_of_holdout"]) == (3200, 1400.0)
    assert response.body["by_agent"]["gap_fill_agent"] == {"attributed": 3200.0, "lift": 1400.0}
    assert [d["date"] for d in response.body["days"]] == ["2026-11-23", "2026-11-24"]
    too_long = api("GET", "/autonomous/analytics/revenue-impact", token=STAFF,
                   query={"salon_id": "salon_a", "from": "2026-01-01", "to": "2026-11-25"})
    assert too_long.status == 400


def test_the_dashboard_shows_the_days_figures_live_events_and_every_agent(api, firestore_client) -> None:
    firestore_client.document("salons/salon_a/analytics_daily/2026-11-25").set(
        {"date": "2026-11-25", "gaps": {"total": 4, "filled": 1}, "revenue": {"attributed": 500}})
    firestore_client.document("salons/salon_a/event_counters/2026-11-25").set({"events": {"GAP_FILLED": 1}})
    response = api("GET", "/autonomous/analytics/dashboard", token=STAFF, query={"salon_id": "salon_a"})
    assert response.status == 200, response.body
    assert response.body["date"] == "2026-11-25"  # NOW is 10:30 in Kolkata on the 25th
    assert response.body["gaps"] == {"total": 4, "filled": 1}
    assert response.body["live_events"] == {"GAP_FILLED": 1}
    assert len(response.body["agents"]) == 7


def test_a_decision_posted_again_with_the_same_idempotency_key_is_recorded_once(api, firestore_client) -> None:
    body = {"agent_name": "owner_manual", "decision_type": "gap_fill", "action_taken": "outreach_initiated"}
    first = api("POST", "/autonomous/decisions", token=OWNER, query={"salon_id": "salon_a"}, body=body,
                headers={"Idempotency-Key": "retry-me-1"})
    again = api("POST", "/autonomous/decisions", token=OWNER, query={"salon_id": "salon_a"}, body=body,
                headers={"Idempotency-Key": "retry-me-1"})
    assert (first.status, again.status) == (201, 200)
    assert first.body["id"] == again.body["id"]
    assert len(list(firestore_client.collection("salons/salon_a/autonomous_decisions").stream())) == 1
    other = api("POST", "/autonomous/decisions", token=OWNER, query={"salon_id": "salon_a"},
                body={**body, "action_taken": "something_else"}, headers={"Idempotency-Key": "retry-me-1"})
    assert other.status == 409
