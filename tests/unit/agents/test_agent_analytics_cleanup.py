from __future__ import annotations

from datetime import date, timedelta

from salonflow.agents.analytics import agent_counters, daily_analytics, holdout_lift, occupancy_by_hour
from salonflow.agents.cleanup import cleanup_agent
from salonflow.agents.snapshot import ApprovalRecord, DecisionRecord
from salonflow.domain.enums import BookingStatus, GapStatus, OutreachStatus, WaitlistStatus, Weekday
from test_agent_builders import DAY, at, booking, gap, outreach, snapshot, staff, waiting

NOW = at(12)


def decision(did: str, *, agent: str = "gap_fill_agent", kind: str = "gap_fill", outcome: str = "success",
             actual: int = 0, holdout: bool = False, case: str | None = None, **kw: object) -> DecisionRecord:
    return DecisionRecord(did, agent, kind, "holdout_no_action" if holdout else "outreach_initiated", outcome,
                          at(10), revenue_actual=actual, holdout=holdout, case_key=case or did,
                          **kw)  # type: ignore[arg-type]


def test_counters_follow_the_spec_shape_and_leave_holdouts_out() -> None:
    decisions = [decision("d1", actual=500), decision("d2", outcome="failed"), decision("d3", outcome="pending"),
                 decision("d4", kind="waitlist_promotion", actual=800), decision("h1", holdout=True),
                 decision("x", agent="other_agent", actual=999)]
    assert agent_counters(decisions, "gap_fill_agent", DAY) == {
        "date": "2026-01-14", "actions_taken": 4, "actions_successful": 2, "actions_failed": 1,
        "revenue_generated": 1300,
        "by_type": {"gap_fill": {"count": 3, "revenue": 500}, "waitlist_promotion": {"count": 1, "revenue": 800}},
    }


def test_lift_subtracts_what_the_holdout_says_would_have_happened_anyway() -> None:
    treated = [decision(f"t{i}", actual=500 if i < 24 else 0, outcome="success" if i < 24 else "expired")
               for i in range(40)]
    held = [decision(f"h{i}", holdout=True, outcome="success" if i < 6 else "expired") for i in range(30)]
    lift = holdout_lift([*treated, *held])["gap_fill_agent"]
    assert lift["treated_success_rate"] == 0.6 and lift["holdout_success_rate"] == 0.2
    assert (lift["treated_cases"], lift["holdout_cases"]) == (40, 30)
    assert lift["attributed_revenue"] == 12000
    assert lift["lift_revenue"] == 8000.0  # 12000 attributed minus 20% x 40 cases x ₹500 that would have happened
    low, high = lift["lift_rate_interval"]
    assert 0.15 < low < 0.4 < high < 0.6 and lift["verdict"] == "lift"
    assert lift["lift_revenue_interval"] == [round(low * 40 * 500, 2), round(high * 40 * 500, 2)]


def test_a_thin_holdout_says_not_enough_data_instead_of_a_number() -> None:
    treated = [decision(f"t{i}", actual=500) for i in range(40)]
    held = [decision(f"h{i}", holdout=True, outcome="expired") for i in range(5)]
    lift = holdout_lift([*treated, *held, decision("p", holdout=True, outcome="pending")])["gap_fill_agent"]
    assert lift["lift_revenue"] is None and lift["verdict"] == "not enough data"
    assert (lift["holdout_cases"], lift["pending_cases"]) == (5, 1)  # a pending case counts on neither side


def test_no_show_cases_are_compared_by_the_appointment_whatever_the_decision_itself_did() -> None:
    def case(did: str, kept: bool | None, *, outcome: str, holdout: bool = False) -> DecisionRecord:
        return decision(did, agent="no_show_prevention_agent", kind="no_show_prevention", outcome=outcome,
                        holdout=holdout, case_status=None if kept is None else ("success" if kept else "failed"),
                        case_revenue=800 if kept else 0)
    # Treated: reminders deferred past the start (decision failed) yet the customer came; a "confirmed" reply
    # (decision success) yet a no-show. Held out: left alone, judged by the appointment too.
    treated = [case(f"t{i}", i < 36, outcome="failed" if i % 2 else "success") for i in range(40)]
    held = [case(f"h{i}", i < 27, outcome="success" if i < 27 else "failed", holdout=True) for i in range(30)]
    lift = holdout_lift([*treated, *held, case("later", None, outcome="success")])["no_show_prevention_agent"]
    assert (lift["treated_success_rate"], lift["holdout_success_rate"]) == (0.9, 0.9)
    assert lift["attributed_revenue"] == 36 * 800 and lift["lift_revenue"] == 0.0
    assert lift["pending_cases"] == 1  # the appointment is not over: it counts on neither side
    assert lift["verdict"] == "no lift shown"


def test_several_decisions_on_one_case_count_as_one_case() -> None:
    wave = [decision("a", case="gap_1", outcome="expired"), decision("b", case="gap_1", actual=500),
            decision("c", case="gap_1", outcome="expired")]
    assert holdout_lift(wave)["gap_fill_agent"]["treated_cases"] == 1
    assert holdout_lift(wave)["gap_fill_agent"]["treated_success_rate"] == 1.0


def test_occupancy_is_booked_share_of_working_minutes_per_local_hour() -> None:
    snap = snapshot(staff={"staff_rahul": staff(breaks=())},
                    bookings=(booking("b1", at(10), 60), booking("b2", at(11), 30),
                              booking("b3", at(12), 60, status=BookingStatus.CANCELLED)))
    occ = occupancy_by_hour(snap, DAY)
    assert occ[(Weekday.WEDNESDAY, 10)] == 1.0 and occ[(Weekday.WEDNESDAY, 11)] == 0.5
    assert occ[(Weekday.WEDNESDAY, 12)] == 0.0 and len(occ) == 9


def test_the_daily_document_reports_rates_and_both_revenue_views() -> None:
    snap = snapshot(
        decisions=(decision("d1", actual=500), decision("d2", outcome="expired"), decision("h", holdout=True,
                                                                                          outcome="expired")),
        outreach=(outreach("o1", "c1", at(10), status=OutreachStatus.RESPONDED),
                  outreach("o2", "c2", at(10), status=OutreachStatus.DELIVERED),
                  outreach("o3", "c3", at(10), status=OutreachStatus.SENT),
                  outreach("o4", "c4", at(10), status=OutreachStatus.FAILED)),
        approvals=(ApprovalRecord("a1", "d1", "approved", at(10), at(10, 15), responded_at=at(10, 4)),
                   ApprovalRecord("a2", "d2", "expired", at(10), at(10, 15))),
        gaps=(gap("g1", at(10), at(11), status=GapStatus.FILLED, filled_by="b"),
              gap("g2", at(11), at(12), status=GapStatus.EXPIRED)),
    )
    doc = daily_analytics(snap, DAY)
    assert doc["decisions"]["total"] == 2 and doc["decisions"]["holdout"] == 1
    assert doc["decisions"]["success_rate"] == 0.5
    assert doc["revenue"]["attributed"] == 500 and doc["revenue"]["lift_net_of_holdout"] is None
    assert doc["revenue"]["lift_agents_without_enough_data"] == ["gap_fill_agent"]
    assert doc["outreach"]["delivery_rate"] == round(2 / 3, 4) and doc["outreach"]["response_rate"] == 0.5
    assert doc["approvals"]["median_response_seconds"] == 240 and doc["approvals"]["expired"] == 1
    assert doc["gaps"]["fill_rate"] == 0.5


def test_cleanup_expires_what_ran_out_of_time_and_releases_waitlist_holds() -> None:
    snap = snapshot(
        approvals=(ApprovalRecord("a_old", "d_old", "pending", at(11), at(11, 15)),
                   ApprovalRecord("a_new", "d_new", "pending", at(11, 50), at(12, 5)),
                   ApprovalRecord("a_done", "d_done", "approved", at(11), at(11, 15))),
        decisions=(decision("d_old", outcome="pending"), decision("d_new", outcome="pending"),
                   decision("d_lapsed", outcome="pending", expires_at=at(11, 30))),
        outreach=(outreach("o_old", "c1", at(11), expires_at=at(11, 15)),
                  outreach("o_live", "c2", at(11, 55), expires_at=at(12, 10)),
                  outreach("o_answered", "c3", at(11), status=OutreachStatus.RESPONDED, expires_at=at(11, 15))),
        gaps=(gap("g_past", at(10), at(11)), gap("g_future", at(14), at(15))),
        waitlist=(waiting("w_stale", "c9", at(8) - timedelta(days=20), expires_at=at(11)),
                  waiting("w_held", "c1", at(8), status=WaitlistStatus.OFFERED),
                  waiting("w_still_held", "c2", at(8), status=WaitlistStatus.OFFERED)),
    )
    plan = cleanup_agent(snap, NOW)
    assert plan.expire_approvals == ("a_old",)
    assert plan.expire_decisions == ("d_lapsed", "d_old")
    assert plan.expire_outreach == ("o_old",)
    assert plan.expire_gaps == ("g_past",)
    assert plan.expire_waitlist == ("w_stale",)
    assert plan.release_waitlist == ("w_held",)
    assert plan.events == (("APPROVAL_EXPIRED", "a_old"), ("GAP_EXPIRED", "g_past"))
    assert cleanup_agent(snapshot(), NOW).empty
    assert date(2026, 1, 14) == DAY
