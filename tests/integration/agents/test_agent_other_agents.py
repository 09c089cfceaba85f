"""The other agents end to end through the runner: waitlist, no-show call, retention offer, upsell, scores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from salonflow.domain.customer_scores import ChurnRisk, CustomerScore, VisitFrequency
from salonflow.domain.customers import Customer
from salonflow.domain.enums import (
    BookingStatus,
    ConsentChannel,
    CustomerSegment,
    OutcomeStatus,
    WaitlistStatus,
)
from salonflow.domain.ids import customer_score_id
from salonflow.domain.services import Service
from salonflow.domain.waitlist import WaitlistEntry
from salonflow.services.approval_service import ApprovalService
from salonflow.services.executor import Result
from salonflow.services.gap_fill_service import AcceptStatus, GapService, OfferService
from salonflow.services.housekeeping import ScoreService
from salonflow.services.runner import run_agent
from test_agent_seed import DAY, SEEDED_AT, at, book, full_day, ports, seed_customer, seed_salon

pytestmark = pytest.mark.integration
NOW = at(9)


def test_the_waitlist_gets_the_first_wave_and_a_yes_promotes_the_entry(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_wait", "Meera Iyer", "+919876500010", due=False)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    repos.waitlist.save(WaitlistEntry(id="wl_1", salon_id="salon_test", customer_id="cust_wait",
                                      service_id="svc_cut", created_at=NOW - timedelta(days=2),
                                      updated_at=NOW - timedelta(days=2), expires_at=NOW + timedelta(days=5)))
    ports_, sender, _ = ports()
    repos.bookings.update("bkg_14", {"status": BookingStatus.CANCELLED, "cancelled_at": NOW,
                                     "late_cancellation": True, "updated_at": NOW})
    [gap_id] = GapService(firestore_client, "salon_test", ports_).detect(NOW, [DAY], "staff_rahul").created
    assert run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_).proposals == ()
    [execution] = run_agent(firestore_client, "salon_test", "waitlist_agent", NOW, ports_).executions
    assert execution.result is Result.SENT and sender.messages[0]["to"] == "+919876500010"
    assert "waitlist" in sender.messages[0]["body"]
    assert repos.waitlist.get("wl_1").status is WaitlistStatus.OFFERED  # type: ignore[union-attr]
    result = OfferService(firestore_client, "salon_test", ports_).accept(execution.outreach_id or "",
                                                                         NOW + timedelta(minutes=5))
    assert result.status is AcceptStatus.BOOKED and result.gap_id == gap_id
    entry = repos.waitlist.get("wl_1")
    assert entry is not None and entry.status is WaitlistStatus.PROMOTED
    assert entry.promoted_booking_id == result.booking_id


def test_a_high_risk_booking_gets_a_confirmation_then_exactly_one_call_with_a_shortlist(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_flaky", "Ravi Verma", "+919876500020", due=False,
                  channels=(ConsentChannel.WHATSAPP, ConsentChannel.VOICE))
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    for i in range(3):  # three no-shows in the past
        book(repos, f"bkg_ns{i}", at(11) - timedelta(days=20 + 7 * i), cid="cust_flaky", status=BookingStatus.NO_SHOW)
    repos.bookings.update("bkg_16", {"customer_id": "cust_flaky", "updated_at": at(0)})
    ports_, sender, _ = ports()
    ask_at = at(16) - timedelta(hours=30)  # 10:00 the day before: inside the 48 h window, in waking hours
    [ask] = run_agent(firestore_client, "salon_test", "no_show_prevention_agent", ask_at, ports_).executions
    assert ask.result is Result.SENT and "confirm" in sender.messages[0]["body"]
    call_at = at(12, 30)
    report = run_agent(firestore_client, "salon_test", "no_show_prevention_agent", call_at, ports_)
    [call] = report.executions
    assert call.result is Result.CALLED and len(sender.calls) == 1
    assert "decision_id=" in sender.calls[0]["twiml_url"]
    assert report.proposals[0].details["fill_shortlist"] == ["cust_priya"]
    again = run_agent(firestore_client, "salon_test", "no_show_prevention_agent", call_at + timedelta(minutes=10),
                      ports_)
    assert all(e.result is Result.ALREADY_DONE for e in again.executions) and len(sender.calls) == 1


def test_a_win_back_offer_waits_for_the_owner_then_goes_out_with_its_discount(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    repos.customers.save(Customer(id="cust_lapsed", salon_id="salon_test", name="Kavya Nair",
                                  phone="+919876500030", consent=_marketing(), created_at=SEEDED_AT,
                                  updated_at=SEEDED_AT))
    repos.customer_scores.upsert(CustomerScore(
        id=customer_score_id("cust_lapsed"), salon_id="salon_test", customer_id="cust_lapsed",
        segment=CustomerSegment.AT_RISK, churn_risk=ChurnRisk(score=75, factors=["lapsed"]),
        visit_frequency=VisitFrequency(total_visits=8, average_days_between=30.0, last_visit=DAY - timedelta(days=100)),
        created_at=SEEDED_AT, updated_at=SEEDED_AT))
    ports_, sender, _ = ports()
    now = at(11)
    [execution] = run_agent(firestore_client, "salon_test", "retention_agent", now, ports_).executions
    assert execution.result is Result.APPROVAL_REQUESTED and sender.messages == []
    [approval] = repos.approvals.pending()
    assert approval.action_type.value == "discount_offer" and "10% off" in approval.action_summary
    done = ApprovalService(firestore_client, "salon_test", ports_).respond(approval.id, "approve", "uid_owner",
                                                                            now + timedelta(minutes=5))
    assert done.execution is not None and done.execution.result is Result.SENT
    assert "10% off" in sender.messages[0]["body"]
    outreach = repos.outreach.get(done.execution.outreach_id or "")
    assert outreach is not None and outreach.offer_details is not None
    assert outreach.offer_details.discount_percent == 10 and outreach.category is not None
    assert outreach.category.value == "marketing"
    rerun = run_agent(firestore_client, "salon_test", "retention_agent", now + timedelta(hours=1), ports_)
    assert rerun.proposals == ()  # decided this month, and a marketing message went out this week


def _marketing() -> dict:  # type: ignore[type-arg]
    from test_agent_seed import consent

    return consent(ConsentChannel.WHATSAPP, marketing=True)


def test_upsell_offers_an_add_on_when_the_stylist_is_free_after_the_booking(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    repos.services.save(Service(id="svc_massage", salon_id="salon_test", name="Head massage", category="spa",
                                duration_minutes=15, price_paise=30_000, staff_ids=["staff_rahul"], is_add_on=True,
                                created_at=SEEDED_AT, updated_at=SEEDED_AT))
    staff = repos.staff.get("staff_rahul")
    assert staff is not None
    repos.staff.save(staff.model_copy(update={"service_ids": ["svc_cut", "svc_massage"]}))
    repos.customers.save(Customer(id="cust_zoya", salon_id="salon_test", name="Zoya Khan", phone="+919876500040",
                                  consent=_marketing(), created_at=SEEDED_AT, updated_at=SEEDED_AT))
    repos.customer_scores.upsert(CustomerScore(
        id=customer_score_id("cust_zoya"), salon_id="salon_test", customer_id="cust_zoya",
        preferences={"preferred_services": ["svc_cut", "svc_massage"]},  # type: ignore[arg-type]
        scores={"upsell": 80}, created_at=SEEDED_AT, updated_at=SEEDED_AT))  # type: ignore[arg-type]
    book(repos, "bkg_zoya", at(16), cid="cust_zoya")
    ports_, sender, _ = ports()
    [execution] = run_agent(firestore_client, "salon_test", "upsell_agent", at(11), ports_).executions
    assert execution.result is Result.SENT and "Head massage" in sender.messages[0]["body"]
    result = OfferService(firestore_client, "salon_test", ports_).accept(execution.outreach_id or "", at(11, 5))
    assert result.status is AcceptStatus.BOOKED
    addon = repos.bookings.get(result.booking_id or "")
    assert addon is not None and addon.start_time == at(17) and addon.end_time == at(17, 15)


def test_a_completed_booking_updates_that_customers_score(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    seed_customer(repos, "cust_new", "Neha Gupta", "+919876500003", due=False)
    for i, days in enumerate((70, 40, 10)):
        book(repos, f"bkg_h{i}", at(11) - timedelta(days=days), cid="cust_new", status=BookingStatus.COMPLETED)
    score = ScoreService(firestore_client, "salon_test").on_booking_changed("cust_new", at(12))
    assert score is not None and score.visit_frequency.total_visits == 3
    assert score.visit_frequency.average_days_between == 30.0 and score.segment is CustomerSegment.REGULAR
    stored = repos.customer_scores.get("cust_new")
    assert stored is not None and stored.ltv.total == 1500
    assert stored.churn_risk.last_assessment == DAY
    assert OutcomeStatus.PENDING.value == "pending"


def test_a_waitlisted_customer_who_says_no_keeps_their_place_in_line(firestore_client) -> None:  # type: ignore[no-untyped-def]
    from salonflow.services.reply_service import ReplyService

    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_wait", "Meera Iyer", "+919876500010", due=False)
    repos.waitlist.save(WaitlistEntry(id="wl_1", salon_id="salon_test", customer_id="cust_wait",
                                      service_id="svc_cut", created_at=NOW - timedelta(days=2),
                                      updated_at=NOW - timedelta(days=2), expires_at=NOW + timedelta(days=5)))
    ports_, _, _ = ports()
    repos.bookings.update("bkg_14", {"status": BookingStatus.CANCELLED, "cancelled_at": NOW,
                                     "late_cancellation": True, "updated_at": NOW})
    GapService(firestore_client, "salon_test", ports_).detect(NOW, [DAY], "staff_rahul")
    [execution] = run_agent(firestore_client, "salon_test", "waitlist_agent", NOW, ports_).executions
    assert repos.waitlist.get("wl_1").status is WaitlistStatus.OFFERED  # type: ignore[union-attr]
    outcome = ReplyService(firestore_client, "salon_test", ports_).handle("cust_wait", NOW + timedelta(minutes=2),
                                                                          "nahi")
    assert outcome.outreach_id == execution.outreach_id and outcome.action.value == "decline"
    assert repos.waitlist.get("wl_1").status is WaitlistStatus.WAITING  # type: ignore[union-attr]
    decision = repos.decisions.get(execution.decision_id)
    assert decision is not None and decision.outcome.result == "declined"


def test_a_reminder_deferred_by_quiet_hours_goes_out_in_the_morning_even_though_no_run_sees_it_again(
        firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    tomorrow = DAY + timedelta(days=1)
    book(repos, "bkg_tomorrow", at(10, day=tomorrow), cid="cust_priya")
    ports_, sender, _ = ports()
    [late] = run_agent(firestore_client, "salon_test", "no_show_prevention_agent", at(22), ports_).executions
    assert late.result is Result.DEFERRED and late.until == at(8, day=tomorrow) and sender.messages == []
    morning = run_agent(firestore_client, "salon_test", "no_show_prevention_agent", at(8, 5, day=tomorrow), ports_)
    assert morning.proposals == ()  # the incremental window no longer contains the booking...
    assert [e.result for e in morning.executions] == [Result.SENT]  # ...but the deferral is picked up
    assert len(sender.messages) == 1 and "reminder" in sender.messages[0]["body"]
    state = repos.agent_states.get("no_show_prevention_agent")
    assert state is not None and state.rate_limits.hourly_actions.current == 1
