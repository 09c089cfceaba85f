from __future__ import annotations

from datetime import date, timedelta

from salonflow.agents.pricing import dynamic_pricing_proposals, off_peak_discount_proposals
from salonflow.agents.proposals import Action
from salonflow.agents.upsell import upsell_agent
from salonflow.domain.enums import CustomerSegment, DecisionType, MessageCategory, MessageIntent, Weekday
from salonflow.governance.autonomy import decide_autonomy
from test_agent_builders import at, booking, customer, gap, salon, score, snapshot

NOW = at(9)
TOMORROW = date(2026, 1, 15)


def test_upsell_suggests_a_popular_add_on_when_the_stylist_is_free_afterwards() -> None:
    history = []
    for i in range(4):  # 3 of 4 haircuts tomorrow already have a head massage straight after
        start = at(10 + 2 * i, day=TOMORROW)
        history.append(booking(f"cut{i}", start, 60, cid=f"h{i}"))
        if i < 3:
            history.append(booking(f"mas{i}", start + timedelta(hours=1), 15, cid=f"h{i}", service="svc_massage",
                                   price=30_000))
    target = booking("b_target", at(16, day=date(2026, 1, 14)), 60, cid="c1")
    snap = snapshot(bookings=(*history, target), customers={"c1": customer("c1", "Zoya Khan")},
                    scores={"c1": score("c1", upsell_score=60)})
    [p] = upsell_agent(snap, NOW)
    assert p.action is Action.SEND_UPSELL_OFFER and p.service_id == "svc_massage" and p.booking_id == "b_target"
    assert p.category is MessageCategory.MARKETING and p.intent is MessageIntent.UPSELL_OFFER
    assert p.decision_type is DecisionType.GAP_FILL
    assert p.reason == ("Suggest Head massage (₹300, 15 min) to Zoya after the Wed 4:00 PM Haircut: "
                        "Rahul Kumar is free afterwards and 60% of Haircut customers add it.")  # 3 of 5 cuts


def test_no_upsell_when_the_next_booking_follows_straight_away() -> None:
    target = booking("b_target", at(16), 60, cid="c1")
    next_one = booking("b_next", at(17), 60, cid="c2")
    snap = snapshot(bookings=(target, next_one), customers={"c1": customer("c1")},
                    scores={"c1": score("c1", upsell_score=100, preferred_services=("svc_massage",))})
    assert upsell_agent(snap, NOW) == []


def quiet_hours_occupancy(value: float) -> dict:
    return {(Weekday.WEDNESDAY, h): value for h in range(10, 19)}


def test_a_gap_in_a_usually_empty_hour_gets_a_discount_offer_after_a_plain_wave_failed() -> None:
    regular = score("c1", segment=CustomerSegment.REGULAR, average_days_between=30.0,
                    last_visit=date(2025, 12, 15), preferred_services=("svc_cut",))
    base = {"customers": {"c1": customer("c1", "Ishita Das")}, "scores": {"c1": regular},
            "occupancy": quiet_hours_occupancy(0.15)}
    untried = snapshot(gaps=(gap("g", at(14), at(15)),), **base)
    assert off_peak_discount_proposals(untried, NOW) == []  # nobody asked yet: no discount
    tried = snapshot(gaps=(gap("g", at(14), at(15), fill_attempts=1),), **base)
    [p] = off_peak_discount_proposals(tried, NOW)
    assert p.decision_type is DecisionType.DISCOUNT_OFFER and p.discount_percent == 20
    assert p.intent is MessageIntent.DISCOUNT_OFFER and p.category is MessageCategory.MARKETING
    assert "usually only 15% booked" in p.reason
    busy = snapshot(gaps=(gap("g", at(14), at(15), fill_attempts=1),), **{**base,
                    "occupancy": quiet_hours_occupancy(0.8)})
    assert off_peak_discount_proposals(busy, NOW) == []  # likely to fill anyway: never discounted


def test_discounts_above_twenty_percent_only_where_the_salon_allows_and_then_manual_only() -> None:
    regular = score("c1", segment=CustomerSegment.REGULAR, average_days_between=30.0,
                    last_visit=date(2025, 12, 15), preferred_services=("svc_cut",))
    snap = snapshot(salon=salon(max_discount_percent=30), gaps=(gap("g", at(14), at(15), fill_attempts=2),),
                    customers={"c1": customer("c1")}, scores={"c1": regular},
                    occupancy=quiet_hours_occupancy(0.05))
    [p] = off_peak_discount_proposals(snap, NOW)
    assert p.discount_percent == 25
    assert decide_autonomy(p.decision_type, {"discount_offer": "supervised"}, p.discount_percent).level == \
        "manual_only"
    capped = snapshot(**{**snap.__dict__, "salon": salon()})
    assert off_peak_discount_proposals(capped, NOW)[0].discount_percent == 20


def test_dynamic_pricing_proposes_off_peak_and_peak_runs_once_a_week() -> None:
    occupancy = {(Weekday.MONDAY, h): 0.1 for h in (10, 11, 12)}
    occupancy.update({(Weekday.MONDAY, 13): 0.5, (Weekday.SATURDAY, 11): 0.95, (Weekday.SATURDAY, 12): 0.97,
                      (Weekday.SATURDAY, 13): 0.5, (Weekday.TUESDAY, 10): 0.1})
    proposals = dynamic_pricing_proposals(snapshot(occupancy=occupancy), NOW)
    assert [(p.trigger_id, p.details["price_change_percent"]) for p in proposals] == [
        ("monday:10-13", -10), ("saturday:11-13", 10)]
    assert all(p.decision_type is DecisionType.DYNAMIC_PRICING and p.intent is None for p in proposals)
    assert proposals[0].reason == ("Lower prices 10% on Monday 10:00-13:00: those hours were 10% booked on "
                                   "average in recent weeks.")
    assert proposals[0].case_key.endswith("2026-W03")
