"""Graduated autonomy through the API and the real Firestore emulator: the owner's answers earn an action type
full_auto, rejections take it back, the owner pins it, and every move is audited and explained."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import approval_doc, id_token
from salonflow.governance.graduation import PROMOTE_STREAK

OWNER = id_token("uid_owner", {"salon_a": "owner"})
MANAGER = id_token("uid_manager", {"salon_a": "manager"})
SALON = {"salon_id": "salon_a"}


def seed_approvals(client: Any, count: int) -> list[str]:
    ids = [f"apr_{i:02d}" for i in range(count)]
    for approval_id in ids:
        client.document(f"salons/salon_a/approvals/{approval_id}").set(approval_doc("salon_a", approval_id))
    return ids


def answer(api: Any, approval_id: str, action: str) -> None:
    response = api("POST", f"/autonomous/approvals/{approval_id}/action", token=OWNER, query=SALON,
                   body={"action": action})
    assert response.status == 200, response.body


def gap_fill_standing(api: Any, agent: str = "gap_fill_agent") -> dict[str, Any]:
    response = api("GET", f"/autonomous/agents/{agent}", token=MANAGER, query=SALON)
    assert response.status == 200, response.body
    return next(a for a in response.body["autonomy"] if a["decision_type"] == "gap_fill")


def autonomy_audit(client: Any) -> list[dict[str, Any]]:
    rows = [s.to_dict() for s in client.collection("salons/salon_a/audit_logs").stream()]
    return [r for r in rows if r["resource_type"] == "autonomy"]


def test_an_agent_shows_each_of_its_types_at_the_salons_level_before_any_verdict(api) -> None:
    response = api("GET", "/autonomous/agents/gap_fill_agent", token=MANAGER, query=SALON)
    assert response.status == 200
    levels = {a["decision_type"]: (a["level"], a["floor"]) for a in response.body["autonomy"]}
    assert levels == {"gap_fill": ("supervised", "full_auto"), "waitlist_promotion": ("full_auto", "full_auto"),
                      "discount_offer": ("supervised", "supervised")}
    assert f"{PROMOTE_STREAK} approvals in a row earn full_auto" in gap_fill_standing(api)["reason"]


def test_twenty_approvals_in_a_row_earn_full_auto_once_and_two_rejections_take_it_back(
        api, firestore_client) -> None:
    ids = seed_approvals(firestore_client, PROMOTE_STREAK + 2)
    for approval_id in ids[:PROMOTE_STREAK - 1]:
        answer(api, approval_id, "approve")
    answer(api, ids[0], "approve")  # a repeated answer is not a new verdict
    standing = gap_fill_standing(api)
    assert standing["level"] == "supervised"
    assert standing["evidence"].get("approvals_in_a_row") == PROMOTE_STREAK - 1, standing

    answer(api, ids[PROMOTE_STREAK - 1], "approve")
    standing = gap_fill_standing(api)
    assert standing["level"] == "full_auto"
    assert standing["reason"] == f"gap_fill earned full_auto: {PROMOTE_STREAK} approvals in a row, 100% approved in 14 days"
    salon = firestore_client.document("salons/salon_a").get().to_dict()
    assert salon["autonomy"]["gap_fill"] == "full_auto"  # what the executor reads
    [promotion] = autonomy_audit(firestore_client)
    assert promotion["actor"] == "system:graduation" and promotion["details"]["after"] == {"level": "full_auto"}

    # Two requests made before the promotion, rejected after it.
    answer(api, ids[PROMOTE_STREAK], "reject")
    assert gap_fill_standing(api)["level"] == "full_auto"
    answer(api, ids[PROMOTE_STREAK + 1], "reject")
    standing = gap_fill_standing(api)
    assert standing["level"] == "supervised" and "rejected the last 2 requests" in standing["reason"]
    assert firestore_client.document("salons/salon_a").get().to_dict()["autonomy"]["gap_fill"] == "supervised"
    # Both changes carry the test's one fixed instant, so their order is read from what they changed.
    assert sorted((r["details"]["before"]["level"], r["details"]["after"]["level"])
                  for r in autonomy_audit(firestore_client)) == [("full_auto", "supervised"),
                                                                 ("supervised", "full_auto")]


def test_the_owner_pins_a_type_and_the_record_no_longer_moves_it(api, firestore_client) -> None:
    pinned = api("PUT", "/autonomous/agents/gap_fill_agent/autonomy/gap_fill", token=OWNER, query=SALON,
                 body={"pinned": "supervised", "reason": "I want to see every gap offer"})
    assert pinned.status == 200, pinned.body
    standing = next(a for a in pinned.body["autonomy"] if a["decision_type"] == "gap_fill")
    assert standing["pinned"] == "supervised" and standing["pinned_by"] == "uid_owner"
    for approval_id in seed_approvals(firestore_client, PROMOTE_STREAK):
        answer(api, approval_id, "approve")
    standing = gap_fill_standing(api)
    assert standing["level"] == "supervised" and "pinned by the owner" in standing["reason"]

    lifted = api("PUT", "/autonomous/agents/gap_fill_agent/autonomy/gap_fill", token=OWNER, query=SALON,
                 body={"pinned": None})
    assert lifted.status == 200
    assert gap_fill_standing(api)["pinned"] is None


@pytest.mark.parametrize(("token", "path", "body", "status", "code"), [
    (MANAGER, "gap_fill_agent/autonomy/gap_fill", {"pinned": "supervised"}, 403, None),
    (OWNER, "gap_fill_agent/autonomy/discount_offer", {"pinned": "full_auto"}, 422, "below_floor"),
    (OWNER, "no_show_prevention_agent/autonomy/gap_fill", {"pinned": "supervised"}, 422, "not_this_agents_type"),
    (OWNER, "gap_fill_agent/autonomy/haircut", {"pinned": "supervised"}, 404, "not_found"),
    (OWNER, "gap_fill_agent/autonomy/gap_fill", {"pinned": "sometimes"}, 422, None),
])
def test_a_pin_that_cannot_be_taken_is_refused_clearly_and_changes_nothing(
        api, firestore_client, token: str, path: str, body: dict[str, Any], status: int, code: str | None) -> None:
    response = api("PUT", f"/autonomous/agents/{path}", token=token, query=SALON, body=body)
    assert response.status == status, response.body
    if code:
        assert response.body["error"]["code"] == code
    assert list(firestore_client.collection("salons/salon_a/autonomy_standings").stream()) == []
