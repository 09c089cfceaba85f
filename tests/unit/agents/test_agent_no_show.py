from __future__ import annotations

from datetime import date, timedelta

from salonflow.agents.no_show import HIGH_RISK, MEDIUM_RISK, no_show_prevention_agent, no_show_risk
from salonflow.agents.proposals import Action
from salonflow.domain.enums import (
    ConfirmationStatus,
    CustomerSegment,
    DecisionType,
    MessageCategory,
    MessageIntent,
)
from test_agent_builders import at, booking, customer, outreach, score, snapshot, waiting

NOW = at(11)
TOMORROW = date(2026, 1, 15)


def loyal() -> object:
    return customer("c_loyal", "Meera Iyer", completed_visits=20)


def flaky() -> object:
    return customer("c_flaky", "Ravi Verma", completed_visits=4, no_shows=3, late_cancellations=2)


def test_risk_grows_with_past_no_shows_and_shrinks_once_confirmed() -> None:
    b = booking("b1", at(15, day=TOMORROW))
    steady = no_show_risk(b, loyal(), 15)
    risky = no_show_risk(b, flaky(), 15)
    first = no_show_risk(b, customer("c_new", "New Person"), 15)
    assert steady.tier == "low" and steady.score < MEDIUM_RISK
    assert risky.tier == "high" and risky.score >= HIGH_RISK
    assert "missed 3 of 7 past appointments" in risky.factors
    assert "first visit" in first.factors and first.score > steady.score
    confirmed = booking("b1", at(15, day=TOMORROW), confirmation_status=ConfirmationStatus.CONFIRMED)
    assert no_show_risk(confirmed, flaky(), 15).score < risky.score / 2


def test_early_slots_and_bookings_made_far_ahead_add_risk() -> None:
    near = booking("b", at(15, day=TOMORROW), created=at(9))
    far = booking("b", at(8, day=TOMORROW), created=at(9) - timedelta(days=30))
    assert no_show_risk(far, loyal(), 8).score > no_show_risk(near, loyal(), 15).score


def test_a_low_risk_booking_gets_one_reminder_inside_24_hours() -> None:
    b = booking("b1", at(10, day=TOMORROW), cid="c_loyal")
    [p] = no_show_prevention_agent(snapshot(bookings=(b,), customers={"c_loyal": loyal()}), NOW)
    assert p.action is Action.SEND_REMINDER and p.intent is MessageIntent.APPOINTMENT_REMINDER
    assert p.decision_type is DecisionType.NO_SHOW_PREVENTION and p.category is MessageCategory.SERVICE
    assert p.booking_id == "b1" and p.case_key == "b1"
    assert p.reason == "Remind Meera of Thu 10:00 AM Haircut with Rahul Kumar (tomorrow)."
    sent = outreach("o1", "c_loyal", NOW - timedelta(hours=1), trigger="b1", intent="appointment_reminder")
    assert no_show_prevention_agent(snapshot(bookings=(b,), customers={"c_loyal": loyal()}, outreach=(sent,)),
                                    NOW) == []


def test_nothing_is_sent_more_than_a_day_ahead_for_low_risk_or_without_consent() -> None:
    later = booking("b1", at(15, day=date(2026, 1, 16)), cid="c_loyal")
    assert no_show_prevention_agent(snapshot(bookings=(later,), customers={"c_loyal": loyal()}), NOW) == []
    b = booking("b2", at(10, day=TOMORROW), cid="c_quiet")
    quiet = customer("c_quiet", consent=frozenset(), completed_visits=5)
    assert no_show_prevention_agent(snapshot(bookings=(b,), customers={"c_quiet": quiet}), NOW) == []


def test_medium_risk_gets_a_confirmation_request_instead_of_a_reminder() -> None:
    b = booking("b1", at(10, day=TOMORROW), cid="c_new")
    [p] = no_show_prevention_agent(snapshot(bookings=(b,), customers={"c_new": customer("c_new", "Anu")}), NOW)
    assert p.action is Action.REQUEST_CONFIRMATION and p.intent is MessageIntent.CONFIRMATION_REQUEST
    assert p.details["risk_tier"] == "medium"
    assert p.reason.startswith("Ask Anu to confirm, reschedule or cancel Thu 10:00 AM Haircut")


def test_high_risk_is_asked_two_days_ahead_then_called_with_a_fill_shortlist() -> None:
    in_40h = booking("b1", NOW + timedelta(hours=40), cid="c_flaky")
    [ask] = no_show_prevention_agent(snapshot(bookings=(in_40h,), customers={"c_flaky": flaky()}), NOW)
    assert ask.action is Action.REQUEST_CONFIRMATION and ask.details["risk_tier"] == "high"

    in_3h = booking("b2", at(14), cid="c_flaky")
    asked = outreach("o1", "c_flaky", NOW - timedelta(hours=20), trigger="b2", intent="confirmation_request")
    regular = score("c_due", segment=CustomerSegment.REGULAR, average_days_between=30.0,
                    last_visit=date(2025, 12, 15), preferred_services=("svc_cut",))
    snap = snapshot(bookings=(in_3h,), outreach=(asked,),
                    customers={"c_flaky": flaky(), "c_due": customer("c_due"), "c_wait": customer("c_wait")},
                    scores={"c_due": regular},
                    waitlist=(waiting("wl", "c_wait", NOW - timedelta(days=1)),))
    [call] = no_show_prevention_agent(snap, NOW)
    assert call.action is Action.VOICE_CONFIRMATION_CALL and call.channel == "voice"
    assert call.details["fill_shortlist"] == ["c_wait", "c_due"]
    assert call.details["keypad"] == {"1": "confirm", "2": "reschedule", "3": "cancel"}


def test_a_confirmed_booking_within_two_hours_is_left_alone() -> None:
    b = booking("b1", at(12, 30), cid="c_flaky")
    assert no_show_prevention_agent(snapshot(bookings=(b,), customers={"c_flaky": flaky()}), NOW) == []


def test_the_reason_says_how_far_ahead_the_appointment_really_is() -> None:
    from salonflow.agents.no_show import how_far

    now = at(9)
    assert how_far(at(14), now) == "today, in 5 hours"
    assert how_far(at(9, 20), now) == "today, within the hour"
    assert how_far(at(10, day=TOMORROW), now) == "tomorrow"
    assert how_far(at(10, day=TOMORROW) + timedelta(days=2), now) == "in 3 days"


def test_the_riskiest_bookings_come_first_so_a_tight_message_budget_goes_to_them() -> None:
    # Listed soonest first, the low-risk reminders would take a busy salon's budget before the risky bookings.
    regulars = {f"c_reg{i}": customer(f"c_reg{i}", f"Regular {i}", completed_visits=20) for i in range(3)}
    customers = {**regulars, "c_flaky": flaky(), "c_new": customer("c_new", "Anu")}
    bookings = (*(booking(f"b_reg{i}", at(9 + i // 2, day=TOMORROW), cid=f"c_reg{i}") for i in range(3)),
                booking("b_new", at(10, day=TOMORROW), cid="c_new"),
                booking("b_flaky", at(16, day=TOMORROW), cid="c_flaky"))
    proposals = no_show_prevention_agent(snapshot(bookings=bookings, customers=customers), NOW)
    assert [p.booking_id for p in proposals] == ["b_flaky", "b_new", "b_reg0", "b_reg1", "b_reg2"]
    assert [p.details["risk_tier"] for p in proposals] == ["high", "medium", "low", "low", "low"]
    values = [p.expected_value for p in proposals]
    assert values == sorted(values, reverse=True)
