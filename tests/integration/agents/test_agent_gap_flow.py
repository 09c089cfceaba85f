"""A cancellation becomes a gap, a decision and offers; replies book the slot exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from salonflow.domain.enums import BookingStatus, GapStatus, OutcomeStatus, OutreachStatus
from salonflow.services.executor import Executor, Result
from salonflow.services.gap_fill_service import AcceptStatus, GapService, OfferService
from salonflow.services.reply_service import ReplyService
from salonflow.services.runner import run_agent
from test_agent_seed import DAY, at, book, full_day, ports, seed_customer, seed_salon

pytestmark = pytest.mark.integration
NOW = at(9)


def cancel_two_pm(repos, ports_) -> str:  # type: ignore[no-untyped-def]
    repos.bookings.update("bkg_14", {"status": BookingStatus.CANCELLED, "cancelled_at": NOW,
                                     "late_cancellation": True, "updated_at": NOW})
    found = GapService(repos.client, repos.salon_id, ports_).detect(NOW, [DAY], "staff_rahul")
    [gap_id] = found.created
    return gap_id


def test_a_cancellation_becomes_a_gap_a_decision_and_one_sent_offer(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, sender, events = ports()

    gap_id = cancel_two_pm(repos, ports_)
    gap = repos.gaps.get(gap_id)
    assert gap is not None and gap.status is GapStatus.OPEN and gap.duration_minutes == 60
    assert gap.services_fittable == ["svc_cut"] and gap.potential_revenue == 500

    report = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_)
    [execution] = report.executions
    assert execution.result is Result.SENT
    decision = repos.decisions.get(execution.decision_id)
    assert decision is not None and decision.action_taken == "outreach_initiated"
    assert decision.approval.status.value == "not_required" and decision.context.trigger_id == gap_id
    outreach = repos.outreach.get(execution.outreach_id or "")
    assert outreach is not None and outreach.status is OutreachStatus.SENT
    assert outreach.delivery.message_id == sender.messages[0]["sid"]
    assert outreach.trigger_id == gap_id and outreach.customer_id == "cust_priya"
    assert [m["to"] for m in sender.messages] == ["+919876500001"]
    assert "Haircut" in sender.messages[0]["body"] and "today at 2:00 PM" in sender.messages[0]["body"]
    assert repos.gaps.get(gap_id).fill_attempts == 1  # type: ignore[union-attr]
    assert events.types() == ["GAP_DETECTED", "AUTONOMOUS_DECISION", "OUTREACH_SENT"]
    assert repos.audit_logs.for_resource("decision", execution.decision_id)


def test_replaying_the_run_and_the_proposals_sends_nothing_twice(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, sender, _ = ports()
    cancel_two_pm(repos, ports_)
    first = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_)
    again = Executor(firestore_client, "salon_test", ports_).execute(first.proposals, NOW + timedelta(minutes=1))
    assert [e.result for e in again] == [Result.ALREADY_DONE]
    rerun = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW + timedelta(minutes=5), ports_)
    assert rerun.proposals == ()  # the wave is still waiting for answers
    assert len(sender.messages) == 1
    assert len(repos.outreach.for_trigger(first.proposals[0].trigger_id)) == 1


def test_two_customers_saying_yes_at_once_get_exactly_one_booking(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    seed_customer(repos, "cust_asha", "Asha Rao", "+919876500002")
    ports_, sender, events = ports()
    gap_id = cancel_two_pm(repos, ports_)
    report = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_)
    assert sorted(e.result for e in report.executions) == [Result.SENT, Result.SENT]

    offers = OfferService(firestore_client, "salon_test", ports_)
    barrier = threading.Barrier(2)
    results = {}

    def say_yes(outreach_id: str) -> None:
        barrier.wait()
        results[outreach_id] = offers.accept(outreach_id, NOW + timedelta(minutes=3))

    threads = [threading.Thread(target=say_yes, args=(e.outreach_id,)) for e in report.executions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results.values()) == [AcceptStatus.BOOKED, AcceptStatus.TAKEN]
    winner = next(r for r in results.values() if r.status is AcceptStatus.BOOKED)
    active = [b for b in repos.bookings.in_range(at(14), at(15), staff_id="staff_rahul") if b.is_active]
    assert [b.id for b in active] == [winner.booking_id]
    assert active[0].source.value == "agent" and active[0].status is BookingStatus.CONFIRMED
    gap = repos.gaps.get(gap_id)
    assert gap is not None and gap.status is GapStatus.FILLED and gap.filled_by == winner.booking_id
    decision = repos.decisions.get(winner.decision_id or "")
    assert decision is not None and decision.outcome.status is OutcomeStatus.SUCCESS
    assert decision.revenue_impact.actual == 500 and decision.outcome.booking_created_id == winner.booking_id
    assert events.types().count("GAP_FILLED") == 1
    replies = [m["body"] for m in sender.messages[2:]]
    assert any(b.startswith("You're booked") for b in replies) and any("just been taken" in b for b in replies)
    # A repeated "yes" (duplicate webhook) changes nothing and sends nothing.
    again = offers.accept(winner_outreach(results, winner), NOW + timedelta(minutes=4))
    assert again.status is AcceptStatus.ALREADY_ANSWERED and len(sender.messages) == 4


def winner_outreach(results, winner) -> str:  # type: ignore[no-untyped-def]
    return next(k for k, v in results.items() if v is winner)


def test_a_yes_after_the_offer_expired_books_nothing(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, sender, _ = ports()
    gap_id = cancel_two_pm(repos, ports_)
    [execution] = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_).executions
    late = OfferService(firestore_client, "salon_test", ports_).accept(execution.outreach_id or "",
                                                                       NOW + timedelta(minutes=20))
    assert late.status is AcceptStatus.EXPIRED
    assert repos.gaps.get(gap_id).status is GapStatus.OPEN  # type: ignore[union-attr]
    assert "expired" in sender.messages[-1]["body"]


def test_words_in_hindi_route_to_the_offer_and_book_it(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, _, events = ports()
    gap_id = cancel_two_pm(repos, ports_)
    run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_)
    outcome = ReplyService(firestore_client, "salon_test", ports_).handle("cust_priya", NOW + timedelta(minutes=2),
                                                                          "हाँ जी")
    assert outcome.accept is not None and outcome.accept.status is AcceptStatus.BOOKED
    assert repos.gaps.get(gap_id).status is GapStatus.FILLED  # type: ignore[union-attr]
    assert "GAP_FILLED" in events.types() and "OUTREACH_RESPONDED" in events.types()


def test_a_cancel_reply_to_a_confirmation_frees_the_slot_as_a_gap(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_new", "Neha Gupta", "+919876500003", due=False)
    tomorrow = DAY + timedelta(days=1)
    book(repos, "bkg_new", at(11, day=tomorrow), cid="cust_new")
    ports_, sender, _ = ports()
    now = at(12)  # 23 hours ahead: a first visit is medium risk -> confirmation request
    report = run_agent(firestore_client, "salon_test", "no_show_prevention_agent", now, ports_)
    [execution] = report.executions
    assert execution.result is Result.SENT and "CANCEL" in sender.messages[0]["body"]
    outcome = ReplyService(firestore_client, "salon_test", ports_).handle("cust_new", now + timedelta(hours=1),
                                                                          "cancel")
    assert outcome.booking_status == "cancelled" and len(outcome.gaps_created) == 1
    booking = repos.bookings.get("bkg_new")
    assert booking is not None and booking.status is BookingStatus.CANCELLED and booking.late_cancellation
    assert repos.decisions.get(execution.decision_id).outcome.result == "cancelled_by_customer"  # type: ignore[union-attr]


def test_with_the_salons_budget_used_up_a_gap_waits_instead_of_collecting_offers_that_cannot_go_out(
        firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    for i in range(3):
        seed_customer(repos, f"cust_{i}", f"Customer {i}", f"+91987650010{i}")
    repos.salon.update({"rate_limits.hourly_actions": 1})
    ports_, sender, _ = ports()
    gap_id = cancel_two_pm(repos, ports_)

    first = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_)
    assert [e.result for e in first.executions] == [Result.SENT]  # one of the wave: what the hour allows
    assert first.details["offers_held_for_budget"] == 2
    later = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW + timedelta(minutes=20), ports_)
    assert later.executions == () and later.details["offers_held_for_budget"] >= 1
    decisions = repos.decisions.query([("context.trigger_id", "==", gap_id)])
    assert len(decisions) == 1 and len(sender.messages) == 1  # no deferred offers piling up on the gap
