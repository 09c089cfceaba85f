from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from salonflow.agents.candidates import Source, acceptance_probability, gap_candidates
from salonflow.agents.gap_fill import gap_fill_agent, holdout_marker
from salonflow.agents.proposals import Action, AgentName
from salonflow.agents.snapshot import Interval
from salonflow.agents.waitlist import fair_order, stale_waitlist_entries, waitlist_agent
from salonflow.domain.enums import (
    CustomerSegment,
    DecisionType,
    MessageCategory,
    MessageIntent,
    OutreachStatus,
    WaitlistStatus,
)
from test_agent_builders import at, booking, customer, gap, outreach, score, snapshot, waiting

NOW = at(9)
GAP = gap("gap_a", at(14), at(15))  # one hour with Rahul: haircut or trim fit


def regular(cid: str, **kw: object) -> object:
    values: dict[str, object] = {
        "segment": CustomerSegment.REGULAR, "average_days_between": 30.0, "last_visit": date(2025, 12, 14),
        "preferred_services": ("svc_cut",), "response_rate": 0.5,
    }
    values.update(kw)
    return score(cid, **values)


def test_due_regulars_are_ranked_by_expected_value_and_offered_in_a_wave_of_three() -> None:
    customers = {f"c{i}": customer(f"c{i}", f"Customer {i}") for i in range(5)}
    scores = {f"c{i}": regular(f"c{i}", response_rate=0.1 + 0.2 * i) for i in range(5)}
    proposals = gap_fill_agent(snapshot(gaps=(GAP,), customers=customers, scores=scores), NOW)
    assert [p.customer_id for p in proposals] == ["c4", "c3", "c2"]
    assert all(p.decision_type is DecisionType.GAP_FILL and p.action is Action.SEND_GAP_OFFER for p in proposals)
    assert proposals[0].expected_value >= proposals[1].expected_value >= proposals[2].expected_value
    first = proposals[0]
    assert first.intent is MessageIntent.GAP_FILL_OFFER and first.category is MessageCategory.SERVICE
    assert first.time_slot == at(14) and first.slot_end == at(15) and first.service_id == "svc_cut"
    assert first.valid_until == NOW + timedelta(minutes=15)
    assert first.case_key == "gap_a" and first.details["wave"] == 1
    assert first.reason.startswith("Offer Customer the 2:00 PM Haircut slot with Rahul Kumar (₹500)")
    assert first.reason[-1] == "." and first.reason.count(".") == 1


def test_nobody_already_asked_about_the_slot_is_asked_again_and_the_next_wave_waits_for_answers() -> None:
    customers = {c: customer(c) for c in ("c1", "c2")}
    scores = {c: regular(c) for c in ("c1", "c2")}
    asked = outreach("o1", "c1", NOW - timedelta(hours=2), trigger="gap_a", status=OutreachStatus.EXPIRED)
    snap = snapshot(gaps=(gap("gap_a", at(14), at(15), fill_attempts=1),), customers=customers, scores=scores,
                    outreach=(asked,))
    assert [p.customer_id for p in gap_fill_agent(snap, NOW)] == ["c2"]
    live = outreach("o2", "c1", NOW - timedelta(minutes=5), trigger="gap_a", expires_at=NOW + timedelta(minutes=10))
    snap_live = snapshot(gaps=(GAP,), customers=customers, scores=scores, outreach=(live,))
    assert gap_fill_agent(snap_live, NOW) == []


def test_fill_attempts_cap_the_number_of_waves() -> None:
    snap = snapshot(gaps=(gap("gap_a", at(14), at(15), fill_attempts=3),), customers={"c1": customer("c1")},
                    scores={"c1": regular("c1")})
    assert gap_fill_agent(snap, NOW) == []


def test_customers_without_consent_or_already_booked_or_recently_messaged_are_skipped() -> None:
    customers = {
        "no_consent": customer("no_consent", consent=frozenset()),
        "coming": customer("coming"),
        "pinged": customer("pinged"),
        "ok": customer("ok"),
    }
    scores = {c: regular(c) for c in customers}
    snap = snapshot(
        gaps=(GAP,), customers=customers, scores=scores,
        # More than a week after the gap: not a move-up candidate, and already coming, so not "due" either.
        bookings=(booking("b_future", at(11, day=date(2026, 1, 25)), cid="coming", staff_id="staff_other"),),
        outreach=(outreach("o_recent", "pinged", NOW - timedelta(minutes=30), status=OutreachStatus.RESPONDED),),
    )
    assert [p.customer_id for p in gap_fill_agent(snap, NOW)] == ["ok"]


def test_regulars_not_yet_due_or_long_lapsed_are_not_gap_fill_candidates() -> None:
    customers = {c: customer(c) for c in ("early", "due", "lapsed")}
    scores = {
        "early": regular("early", last_visit=date(2026, 1, 10)),
        "due": regular("due"),
        "lapsed": regular("lapsed", last_visit=date(2025, 6, 1)),
    }
    assert [p.customer_id for p in gap_fill_agent(snapshot(gaps=(GAP,), customers=customers, scores=scores), NOW)] \
        == ["due"]


def test_a_customer_with_a_later_fitting_booking_is_offered_to_move_up() -> None:
    later = booking("b_later", at(17, day=date(2026, 1, 16)), cid="mover", price=50_000)
    snap = snapshot(gaps=(GAP,), customers={"mover": customer("mover", "Asha Rao")}, bookings=(later,))
    [proposal] = gap_fill_agent(snap, NOW)
    assert proposal.action is Action.SEND_MOVE_UP_OFFER and proposal.booking_id == "b_later"
    assert "could come earlier" in proposal.reason


def test_the_waitlist_goes_first_so_gap_fill_leaves_the_gap_alone() -> None:
    snap = snapshot(gaps=(GAP,), customers={"w": customer("w"), "c1": customer("c1")},
                    scores={"c1": regular("c1")}, waitlist=(waiting("wl1", "w", NOW - timedelta(days=2)),))
    assert gap_fill_agent(snap, NOW) == []
    [offer] = waitlist_agent(snap, NOW)
    assert offer.agent_name is AgentName.WAITLIST and offer.decision_type is DecisionType.WAITLIST_PROMOTION
    assert offer.customer_id == "w" and offer.details["waitlist_id"] == "wl1"


def test_waitlist_order_is_priority_then_first_come() -> None:
    entries = [
        waiting("late_vip", "a", NOW - timedelta(days=1), priority=5),
        waiting("early", "b", NOW - timedelta(days=9)),
        waiting("later", "c", NOW - timedelta(days=3)),
        waiting("earliest_vip", "d", NOW - timedelta(days=4), priority=5),
    ]
    assert [w.id for w in fair_order(entries)] == ["earliest_vip", "late_vip", "early", "later"]
    customers = {c: customer(c) for c in "abcd"}
    offers = waitlist_agent(snapshot(gaps=(GAP,), customers=customers, waitlist=tuple(entries)), NOW)
    assert [p.customer_id for p in offers] == ["d", "a", "b"]


def test_waitlist_entries_only_match_their_staff_and_time_windows() -> None:
    entries = (
        waiting("other_staff", "a", NOW - timedelta(days=5), preferred_staff_ids=("staff_neha",)),
        waiting("evening_only", "b", NOW - timedelta(days=4), windows=(Interval(at(17), at(20)),)),
        waiting("fits", "c", NOW - timedelta(days=3), windows=(Interval(at(13), at(16)),)),
        waiting("too_long", "d", NOW - timedelta(days=6), service="svc_color"),
    )
    customers = {c: customer(c) for c in "abcd"}
    offers = waitlist_agent(snapshot(gaps=(GAP,), customers=customers, waitlist=entries), NOW)
    assert [p.customer_id for p in offers] == ["c"]


def test_stale_waitlist_entries_are_found_for_cleanup() -> None:
    entries = [
        waiting("expired", "a", NOW - timedelta(days=30), expires_at=NOW - timedelta(minutes=1)),
        waiting("windows_over", "b", NOW - timedelta(days=3), windows=(Interval(at(7), at(8)),)),
        waiting("fine", "c", NOW - timedelta(days=3), expires_at=NOW + timedelta(days=3)),
        waiting("done", "d", NOW - timedelta(days=3), status=WaitlistStatus.PROMOTED, expires_at=NOW),
    ]
    assert stale_waitlist_entries(entries, NOW) == ["expired", "windows_over"]


def test_a_gap_starting_too_soon_is_offered_from_the_next_reachable_quarter_hour() -> None:
    soon = gap("gap_soon", at(9, 10), at(11))
    snap = snapshot(gaps=(soon,), customers={"c1": customer("c1")}, scores={"c1": regular("c1")})
    [proposal] = gap_fill_agent(snap, NOW)
    assert proposal.time_slot == at(9, 45)  # 09:00 + 45 min lead, on the quarter hour; the cut ends 10:45
    assert proposal.valid_until is not None and proposal.valid_until <= proposal.time_slot


def test_acceptance_probability_rewards_preferred_staff_and_times_and_punishes_short_notice() -> None:
    slot = Interval(at(14), at(15))
    fan = score("c", preferred_staff=("staff_rahul",), preferred_time_slots=("afternoon",), response_rate=0.9,
                segment=CustomerSegment.VIP)
    stranger = score("c", preferred_staff=("staff_neha",), preferred_time_slots=("morning",), response_rate=0.1)
    p_fan, why = acceptance_probability(Source.DUE_REGULAR, fan, "staff_rahul", "Rahul", slot, NOW, at(0).tzinfo)
    p_stranger, _ = acceptance_probability(Source.DUE_REGULAR, stranger, "staff_rahul", "Rahul", slot, NOW,
                                           at(0).tzinfo)
    assert p_fan > 2 * p_stranger
    assert "usually books with Rahul" in why and "likes afternoon slots" in why
    p_soon, _ = acceptance_probability(Source.DUE_REGULAR, fan, "staff_rahul", "Rahul", slot, at(13), at(0).tzinfo)
    assert p_soon < p_fan


def test_one_customer_gets_one_offer_per_run_even_with_two_open_gaps() -> None:
    gaps = (GAP, gap("gap_b", at(16), at(17)))
    snap = snapshot(gaps=gaps, customers={"c1": customer("c1")}, scores={"c1": regular("c1")})
    assert [p.gap_id for p in gap_fill_agent(snap, NOW)] == ["gap_a"]


def test_candidates_list_all_three_kinds() -> None:
    snap = snapshot(
        gaps=(GAP,), customers={c: customer(c) for c in ("w", "r", "m")}, scores={"r": regular("r")},
        waitlist=(waiting("wl", "w", NOW - timedelta(days=1)),),
        bookings=(booking("b_m", at(12, day=date(2026, 1, 17)), cid="m"),),
    )
    kinds = {c.customer_id: c.source for c in gap_candidates(snap, GAP, NOW)}
    assert kinds == {"w": Source.WAITLIST, "r": Source.DUE_REGULAR, "m": Source.MOVE_UP}


def test_a_held_out_gap_gets_one_marker_and_no_offers_from_any_gap_agent() -> None:
    from salonflow.agents.holdout import in_holdout
    from test_agent_builders import salon

    gaps = tuple(gap(f"gap_{i}", at(14), at(15)) for i in range(40))
    held = [g.id for g in gaps if in_holdout("salon_1", "gap_fill_agent", g.id, 0.3)]
    assert held  # 40 draws at 30%: some are held out
    customers = {f"c{i}": customer(f"c{i}") for i in range(3)}
    snap = snapshot(salon=salon(holdout_share=0.3), gaps=gaps, customers=customers,
                    scores={c: regular(c) for c in customers})
    proposals = gap_fill_agent(snap, NOW)
    markers = [p for p in proposals if p.action is Action.HOLDOUT_NO_ACTION]
    assert [p.gap_id for p in markers] == sorted(held)
    assert all(p.customer_id is None and "holdout" in p.reason for p in markers)
    assert not {p.gap_id for p in proposals if p.customer_id} & set(held)
    waiting_list = tuple(waiting(f"w{i}", f"c{i}", NOW - timedelta(days=1)) for i in range(3))
    offers = waitlist_agent(snapshot(**{**snap.__dict__, "waitlist": waiting_list}), NOW)
    assert offers and not {p.gap_id for p in offers} & set(held)


def test_an_offer_waiting_for_the_owner_holds_the_wave_and_a_rejected_customer_is_not_proposed_again() -> None:
    from salonflow.agents.snapshot import DecisionRecord

    customers = {c: customer(c) for c in ("c1", "c2")}
    scores = {"c1": regular("c1", response_rate=0.9), "c2": regular("c2", response_rate=0.2)}

    def decided(outcome: str, approval: str) -> DecisionRecord:
        return DecisionRecord("d1", "gap_fill_agent", "gap_fill", "send_gap_offer", outcome, NOW,
                              approval_status=approval, trigger_id="gap_a", customer_id="c1")

    waiting_owner = snapshot(gaps=(GAP,), customers=customers, scores=scores,
                             decisions=(decided("pending", "pending"),))
    assert gap_fill_agent(waiting_owner, NOW) == []
    rejected = snapshot(gaps=(GAP,), customers=customers, scores=scores,
                        decisions=(decided("rejected", "rejected"),))
    assert [p.customer_id for p in gap_fill_agent(rejected, NOW)] == ["c2"]


def test_a_wave_deferred_by_governance_holds_the_gap_until_it_is_sent_or_expires() -> None:
    from salonflow.agents.snapshot import DecisionRecord

    customers = {c: customer(c) for c in ("c1", "c2")}
    scores = {"c1": regular("c1", response_rate=0.9), "c2": regular("c2", response_rate=0.2)}
    # Approved (or needing no approval) but not sent: the salon's hourly budget ran out.
    deferred = DecisionRecord("d1", "gap_fill_agent", "gap_fill", "send_gap_offer", "pending", NOW - timedelta(minutes=5),
                              approval_status="not_required", expires_at=NOW + timedelta(minutes=10),
                              trigger_id="gap_a", customer_id="c1")
    held = snapshot(gaps=(GAP,), customers=customers, scores=scores, decisions=(deferred,))
    assert gap_fill_agent(held, NOW) == []  # not a new wave to other customers every run
    later = NOW + timedelta(minutes=11)
    assert [p.customer_id for p in gap_fill_agent(held, later)] == ["c2"]  # it expired: the next wave may go


def test_a_customer_who_consented_to_sms_only_is_not_offered_a_whatsapp_slot() -> None:
    from salonflow.domain.enums import Channel, MessageCategory

    sms_only = frozenset({(Channel.SMS, MessageCategory.SERVICE), (Channel.SMS, MessageCategory.MARKETING)})
    customers = {"c1": customer("c1", consent=sms_only), "c2": customer("c2")}
    scores = {"c1": regular("c1", response_rate=0.9), "c2": regular("c2", response_rate=0.2)}
    proposals = gap_fill_agent(snapshot(gaps=(GAP,), customers=customers, scores=scores), NOW)
    assert [p.customer_id for p in proposals] == ["c2"]


def test_offers_beyond_the_budget_left_are_held_and_holdout_markers_always_pass() -> None:
    from salonflow.services.runner import within_budget

    customers = {c: customer(c) for c in ("c1", "c2", "c3")}
    scores = {c: regular(c, response_rate=0.9) for c in customers}
    offers = gap_fill_agent(snapshot(gaps=(GAP,), customers=customers, scores=scores), NOW)
    marker = holdout_marker(snapshot(gaps=(GAP,)), GAP)
    kept, held = within_budget([marker, *offers], 2)
    assert kept == [marker, *offers[:2]] and held == len(offers) - 2
    assert within_budget(offers, 0) == ([], len(offers))


def test_unsolicited_offers_skip_customers_who_heard_from_the_salon_three_times_this_week() -> None:
    def week_of(cid: str, *days_ago: int) -> tuple[object, ...]:
        return tuple(outreach(f"{cid}_{d}", cid, NOW - timedelta(days=d), status=OutreachStatus.EXPIRED)
                     for d in days_ago)

    customers = {c: customer(c) for c in ("tired", "rested", "mover", "waiting")}
    snap = snapshot(
        gaps=(GAP,), customers=customers, scores={c: regular(c) for c in ("tired", "rested")},
        bookings=(booking("b_later", at(17, day=date(2026, 1, 16)), cid="mover"),),
        # "rested" heard three times too, but the oldest was eight days ago: two in the last seven.
        outreach=(*week_of("tired", 1, 3, 6), *week_of("rested", 1, 3, 8), *week_of("mover", 1, 2, 4),
                  *week_of("waiting", 1, 2, 4)),
    )
    assert [p.customer_id for p in gap_fill_agent(snap, NOW)] == ["rested"]
    # Someone on the waitlist asked to hear about slots: the weekly cap of unsolicited offers does not apply.
    asked_for_it = replace(snap, waitlist=(waiting("wl1", "waiting", NOW - timedelta(days=2)),))
    assert [p.customer_id for p in waitlist_agent(asked_for_it, NOW)] == ["waiting"]
