from __future__ import annotations

from datetime import date, timedelta

from salonflow.agents.proposals import Action
from salonflow.agents.retention import retention_agent
from salonflow.agents.scores import compute_customer_score, refresh_customer_score
from salonflow.agents.snapshot import AgentSettings
from salonflow.domain.enums import (
    BookingStatus,
    CustomerSegment,
    DecisionType,
    MessageCategory,
    OutreachStatus,
)
from test_agent_builders import IST, at, booking, customer, outreach, score, snapshot

NOW = at(11)


def visits(days_ago: list[int], price: int = 100_000, staff_id: str = "staff_rahul", hour: int = 10) -> list:
    return [booking(f"b{d}", at(hour) - timedelta(days=d), status=BookingStatus.COMPLETED, price=price,
                    staff_id=staff_id, cid="c1") for d in days_ago]


def test_a_steady_regular_gets_the_spec_shaped_score() -> None:
    history = visits([10, 40, 70, 100, 130])
    s = compute_customer_score("salon_1", customer("c1"), history, [], NOW, IST, AgentSettings())
    doc = s.to_firestore()
    assert doc["id"] == "score_c1" and doc["customer_id"] == "c1"
    assert doc["segment"] == "regular"
    assert doc["ltv"] == {"total": 5000, "last_12_months": 5000, "projected_annual": 12167, "average_per_visit": 1000}
    assert doc["visit_frequency"] == {"total_visits": 5, "last_90_days": 3, "average_days_between": 30.0,
                                      "last_visit": "2026-01-04", "next_predicted": "2026-02-03"}
    assert doc["churn_risk"] == {"score": 0, "factors": [], "last_assessment": "2026-01-14"}
    assert doc["preferences"] == {"preferred_staff": ["staff_rahul"], "preferred_services": ["svc_cut"],
                                  "preferred_time_slots": ["morning"]}
    assert doc["scores"]["retention"] == 100
    assert set(doc) >= {"engagement", "scores", "created_at", "updated_at", "salon_id"}


def test_an_overdue_customer_whose_visits_thin_out_is_at_risk_with_named_factors() -> None:
    history = visits([100, 200, 230, 260, 290, 320])
    s = compute_customer_score("salon_1", customer("c1"), history, [], NOW, IST, AgentSettings())
    assert s.segment is CustomerSegment.AT_RISK
    assert s.churn_risk.factors[:1] == ["lapsed"] and "decreasing_frequency" in s.churn_risk.factors
    assert s.churn_risk.score >= 60


def test_no_shows_late_cancellations_and_silence_add_to_churn_risk() -> None:
    history = [*visits([20, 50, 80]),
               booking("ns", at(10) - timedelta(days=5), cid="c1", status=BookingStatus.NO_SHOW),
               booking("lc1", at(10) - timedelta(days=8), cid="c1", status=BookingStatus.CANCELLED,
                       cancelled_at=at(10) - timedelta(days=8, hours=2)),
               booking("lc2", at(10) - timedelta(days=9), cid="c1", status=BookingStatus.CANCELLED,
                       cancelled_at=at(10) - timedelta(days=9, hours=3))]
    ignored = [outreach(f"o{i}", "c1", NOW - timedelta(days=i), status=OutreachStatus.DELIVERED) for i in range(4)]
    s = compute_customer_score("salon_1", customer("c1"), history, ignored, NOW, IST, AgentSettings())
    assert {"recent_no_show", "frequent_cancellations", "unresponsive"} <= set(s.churn_risk.factors)
    assert s.engagement.response_rate == 0.0 and s.engagement.whatsapp_opt_in


def test_big_spenders_are_vip_and_a_first_timer_is_new() -> None:
    vip = compute_customer_score("salon_1", customer("c1"), visits([5, 35, 65], price=800_000), [], NOW, IST,
                                 AgentSettings())
    assert vip.segment is CustomerSegment.VIP
    new = compute_customer_score("salon_1", customer("c1"), visits([5]), [], NOW, IST, AgentSettings())
    assert new.segment is CustomerSegment.NEW and new.visit_frequency.next_predicted is None


def test_the_sweep_ages_a_score_without_its_bookings() -> None:
    s = compute_customer_score("salon_1", customer("c1"), visits([10, 40, 70, 100]), [], NOW, IST, AgentSettings())
    later = NOW + timedelta(days=80)  # 90 days since the last visit, 3x the usual 30
    aged = refresh_customer_score(s, later, IST, AgentSettings())
    full = compute_customer_score("salon_1", customer("c1"), visits([10, 40, 70, 100]), [], later, IST,
                                  AgentSettings())
    assert aged.churn_risk.score == full.churn_risk.score
    assert aged.churn_risk.factors[0] == full.churn_risk.factors[0] == "overdue"
    assert aged.segment is full.segment
    assert refresh_customer_score(aged, later, IST, AgentSettings()) is aged  # same day: nothing to do


def at_risk(cid: str, **kw: object) -> object:
    values: dict[str, object] = {"segment": CustomerSegment.AT_RISK, "churn_score": 70,
                                 "churn_factors": ("overdue",), "average_days_between": 30.0,
                                 "last_visit": date(2025, 10, 20), "average_per_visit": 800, "response_rate": 0.5}
    values.update(kw)
    return score(cid, **values)


def test_win_back_goes_to_at_risk_customers_with_the_salon_offer_as_a_discount_decision() -> None:
    snap = snapshot(customers={"c1": customer("c1", "Kavya Nair")}, scores={"c1": at_risk("c1")})
    [p] = retention_agent(snap, NOW)
    assert p.action is Action.SEND_WIN_BACK and p.decision_type is DecisionType.DISCOUNT_OFFER
    assert p.discount_percent == 10 and p.category is MessageCategory.MARKETING
    assert p.reason == ("Invite Kavya back with 10% off: Kavya last came 86 days ago, usually every 30 days and "
                        "is overdue for a visit (churn risk 70/100).")


def test_no_win_back_without_marketing_consent_with_an_upcoming_visit_or_too_soon_after_the_last() -> None:
    from salonflow.domain.enums import Channel
    from test_agent_builders import ALL_CONSENT

    service_only = frozenset(c for c in ALL_CONSENT if c != (Channel.WHATSAPP, MessageCategory.MARKETING))
    customers = {"a": customer("a", consent=service_only), "b": customer("b"), "c": customer("c"),
                 "d": customer("d")}
    scores = {c: at_risk(c) for c in customers}
    snap = snapshot(
        customers=customers, scores=scores,
        bookings=(booking("bb", at(12, day=date(2026, 1, 20)), cid="b"),),
        outreach=(outreach("oc", "c", NOW - timedelta(days=3), category=MessageCategory.MARKETING,
                           outreach_type="discount_offer"),),
    )
    assert [p.customer_id for p in retention_agent(snap, NOW)] == ["d"]


def test_a_salon_without_offers_still_invites_back_but_without_a_discount() -> None:
    from test_agent_builders import salon

    snap = snapshot(salon=salon(offers_allowed=False), customers={"c1": customer("c1")}, scores={"c1": at_risk("c1")})
    [p] = retention_agent(snap, NOW)
    assert p.discount_percent is None and "% off" not in p.reason
