from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from salonflow.observability import alerts
from salonflow.observability.events import MetricEvent
from salonflow.observability.log import entry

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def outcome(minute: float, success: bool, salon: str = "s1") -> dict[str, Any]:
    return entry(MetricEvent.DECISION_OUTCOME, now=T0 + timedelta(minutes=minute), salon_id=salon,
                 agent_name="gap_fill_agent", success=success)


def fired(intervals: list[alerts.Interval], rule: str) -> list[alerts.Interval]:
    return [i for i in intervals if i.rule == rule]


def test_high_failure_rate_fires_after_five_minutes_below_eighty_percent_and_clears_on_recovery() -> None:
    log = [outcome(m, m % 2 == 0) for m in range(0, 10)]  # 50 % for ten minutes
    log += [outcome(10 + m / 10, True) for m in range(60)]  # recovers within the 5 min window
    result = fired(alerts.evaluate(log, T0 + timedelta(minutes=20)), "high_failure_rate")
    assert len(result) == 1
    assert result[0].fired_at == T0 + timedelta(minutes=6)  # first below 0.8 at minute 1
    assert result[0].cleared_at is not None and result[0].cleared_at > T0 + timedelta(minutes=10)


def test_high_failure_rate_stays_quiet_when_a_low_rate_lasts_under_five_minutes() -> None:
    log = [outcome(0, True), outcome(1, False), outcome(1.5, False), outcome(4, True)] + [
        outcome(4 + m / 10, True) for m in range(1, 40)]
    assert fired(alerts.evaluate(log, T0 + timedelta(minutes=30)), "high_failure_rate") == []


def test_high_failure_rate_stays_quiet_at_exactly_eighty_percent() -> None:
    log = [outcome(m, m % 5 != 0) for m in range(30)]
    rates = alerts.success_rate_series(log, timedelta(minutes=5))["s1"]
    assert min(v for _, v in rates[5:]) == pytest.approx(0.8)
    assert fired(alerts.evaluate(log, T0 + timedelta(minutes=30)), "high_failure_rate") == []


def breaker(minute: float, state: str, agent: str = "gap_fill_agent") -> dict[str, Any]:
    return entry(MetricEvent.BREAKER_STATE, now=T0 + timedelta(minutes=minute), salon_id="s1",
                 agent_name=agent, state=state)


def test_circuit_breaker_open_fires_at_once_and_clears_when_the_breaker_half_opens() -> None:
    log = [breaker(0, "closed"), breaker(3, "open"), breaker(33, "half_open"), breaker(34, "closed"),
           breaker(1, "closed", agent="retention_agent")]
    result = fired(alerts.evaluate(log, T0 + timedelta(hours=1)), "circuit_breaker_open")
    assert result == [alerts.Interval("circuit_breaker_open", "s1/gap_fill_agent",
                                      T0 + timedelta(minutes=3), T0 + timedelta(minutes=33))]


def test_circuit_breaker_open_is_still_firing_when_the_log_ends_open() -> None:
    result = alerts.evaluate([breaker(5, "open")], T0 + timedelta(minutes=6))
    assert [(i.rule, i.cleared_at) for i in result] == [("circuit_breaker_open", None)]


def approval(minute: float, approval_id: str, answered: bool = False) -> dict[str, Any]:
    event = MetricEvent.APPROVAL_ANSWERED if answered else MetricEvent.APPROVAL_REQUESTED
    return entry(event, now=T0 + timedelta(minutes=minute), salon_id="s1", agent_name="gap_fill_agent",
                 approval_id=approval_id)


def test_approval_backlog_fires_after_fifteen_minutes_above_ten_pending_and_clears_when_answered() -> None:
    log = [approval(m / 10, f"a{m}") for m in range(11)]  # 11 pending from minute 1
    log += [approval(1.5, "a1"), approval(30, "a0", answered=True)]  # a repeat request counts once
    result = fired(alerts.evaluate(log, T0 + timedelta(hours=1)), "approval_backlog")
    assert result == [alerts.Interval("approval_backlog", "s1", T0 + timedelta(minutes=16),
                                      T0 + timedelta(minutes=30))]


def test_approval_backlog_stays_quiet_at_ten_pending_or_above_ten_for_under_fifteen_minutes() -> None:
    ten = [approval(m, f"a{m}") for m in range(10)]
    assert fired(alerts.evaluate(ten, T0 + timedelta(hours=2)), "approval_backlog") == []
    brief = [*ten, approval(20, "a10"), approval(34, "a10", answered=True)]
    assert fired(alerts.evaluate(brief, T0 + timedelta(hours=2)), "approval_backlog") == []


def test_an_approval_entry_without_an_id_is_refused() -> None:
    bad = entry(MetricEvent.APPROVAL_REQUESTED, now=T0, salon_id="s1")
    with pytest.raises(ValueError, match="approval_id"):
        alerts.evaluate([bad], T0)


def test_approval_backlog_clears_when_cleanup_expires_the_unanswered_approvals() -> None:
    log = [approval(m / 10, f"a{m}") for m in range(12)]
    log += [entry(MetricEvent.APPROVAL_CLOSED, now=T0 + timedelta(minutes=40), salon_id="s1",
                  agent_name="gap_fill_agent", approval_id=f"a{m}", status="expired") for m in range(5)]
    result = fired(alerts.evaluate(log, T0 + timedelta(hours=1)), "approval_backlog")
    assert [(i.fired_at, i.cleared_at) for i in result] == [(T0 + timedelta(minutes=16),  # 11 pending at 1:00
                                                             T0 + timedelta(minutes=40))]


def test_high_failure_rate_clears_when_no_outcome_is_left_in_the_window() -> None:
    log = [outcome(0, False), outcome(1, False)]  # then nothing: the window empties at minute 6
    result = fired(alerts.evaluate(log, T0 + timedelta(hours=1)), "high_failure_rate")
    assert [(i.fired_at, i.cleared_at) for i in result] == [(T0 + timedelta(minutes=5), T0 + timedelta(minutes=6))]


def test_high_failure_rate_stays_quiet_when_the_window_empties_just_as_the_five_minutes_are_up() -> None:
    log = [outcome(0, False)]  # the only outcome leaves the window at minute 5: below 0.8 for under 5 minutes
    assert fired(alerts.evaluate(log, T0 + timedelta(hours=1)), "high_failure_rate") == []
