from datetime import date, timedelta

import pytest
from salonflow_sim.ledger import Ledger, SentMessage
from salonflow_sim.report import approvals_line, rows, table
from salonflow_sim.results import HoldoutTally, Policy, PolicyMonth, lift_from, recovered, rupees

DAYS = [date(2026, 3, 2) + timedelta(days=n) for n in range(4)]


def month(policy: Policy, revenue: list[int], fills: int = 0, ledger: Ledger | None = None) -> PolicyMonth:
    return PolicyMonth(policy, dict(zip(DAYS, revenue, strict=True)), 0, fills, 0, ledger or Ledger(), HoldoutTally())


def test_revenue_recovered_is_the_paired_daily_difference_with_a_95_percent_interval() -> None:
    base = month(Policy.NONE, [1000, 1000, 1000, 1000])
    better = month(Policy.FCFS, [1100, 1300, 1100, 1300])
    gained = recovered(better, base)
    assert gained.paise == 800 and gained.days == 4
    half = 1.96 * 115.47005383792516 * 2  # stdev of (100, 300, 100, 300) times sqrt(4)
    assert gained.low_paise == pytest.approx(800 - half) and gained.high_paise == pytest.approx(800 + half)


def test_the_same_revenue_every_day_recovers_nothing_with_no_uncertainty() -> None:
    base = month(Policy.NONE, [1000] * 4)
    assert recovered(base, base).text() == "₹0 [₹0, ₹0]"


def test_lift_needs_thirty_settled_cases_on_each_side_before_it_is_a_number() -> None:
    thin = lift_from(HoldoutTally(treated=200, treated_won=80, holdout=29, holdout_won=5, revenue_per_win_paise=50000))
    assert thin.paise is None and thin.text() == "not enough data (n=200/29)"
    enough = lift_from(HoldoutTally(treated=200, treated_won=80, holdout=40, holdout_won=8,
                                    revenue_per_win_paise=50000))
    assert enough.paise == pytest.approx((0.4 - 0.2) * 200 * 50000)
    assert enough.paise is not None and enough.low_paise is not None and enough.high_paise is not None
    assert enough.low_paise < enough.paise < enough.high_paise and enough.verdict == "lift"


def test_messages_per_filled_slot_counts_offers_only_and_is_blank_without_a_fill() -> None:
    ledger = Ledger()
    at = DAYS[0]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime(at.year, at.month, at.day, 11, tzinfo=ZoneInfo("Asia/Kolkata"))
    for intent in ("gap_fill_offer", "waitlist_offer", "waitlist_offer", "appointment_reminder", "slot_taken"):
        ledger.record(SentMessage(moment, "c", intent, "service"))
    assert month(Policy.FCFS, [0] * 4, fills=2, ledger=ledger).messages_per_fill == 1.5
    assert month(Policy.FCFS, [0] * 4, fills=0, ledger=ledger).messages_per_fill is None


def test_the_table_has_a_row_per_policy_and_the_reference_row_recovers_nothing_by_definition() -> None:
    months = [month(Policy.NONE, [1000] * 4), month(Policy.BROADCAST, [1500] * 4, fills=3)]
    assert [r[0] for r in rows(months)] == [Policy.NONE.value, Policy.BROADCAST.value]
    assert rows(months)[0][1] == "- (the reference)" and rows(months)[1][1] == "₹20 [₹20, ₹20]"
    assert len(table(months).splitlines()) == 4


def test_rupees_are_whole_with_thousands_separators_and_a_sign() -> None:
    assert rupees(12345678) == "₹123,457" and rupees(-5000) == "-₹50"


def test_the_approvals_line_compares_the_first_week_with_the_last() -> None:
    salon_flow = month(Policy.SALON_FLOW, [0] * 4)
    salon_flow.approvals_by_week = {1: 120, 2: 14, 3: 9, 4: 11}
    assert approvals_line(salon_flow).endswith("(week 1 -> week 4: 120 -> 11)")
