from datetime import UTC, datetime, timedelta

from salonflow.governance.circuit_breaker import (
    BreakerConfig,
    BreakerState,
    BreakerStateName,
    CallOutcome,
    admit,
    agent_status_after,
    apply_outcome,
    breaker_config_for,
    manual_reset,
    on_failure,
    on_success,
    outcome_for,
)
from salonflow.governance.clock import ManualClock

CONFIG = BreakerConfig()
START = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def fail(state: BreakerState, now: datetime, times: int = 1) -> BreakerState:
    for _ in range(times):
        state = on_failure(state, now, "twilio_http_503", CONFIG) or state
    return state


def test_four_consecutive_errors_keep_it_closed_and_the_fifth_opens_it() -> None:
    state = fail(BreakerState(), START, 4)
    assert state.state is BreakerStateName.CLOSED and state.error_count == 4
    state = fail(state, START)
    assert state.state is BreakerStateName.OPEN
    assert state.cooldown_until == START + timedelta(minutes=5)
    assert state.last_error == "twilio_http_503" and state.last_error_time == START


def test_a_success_resets_the_consecutive_count() -> None:
    state = fail(BreakerState(), START, 4)
    state = on_success(state, START) or state
    assert state.error_count == 0
    assert fail(state, START, 4).state is BreakerStateName.CLOSED


def test_breaker_goes_open_half_open_closed_over_time() -> None:
    clock = ManualClock(START)
    state = fail(BreakerState(), clock(), 5)
    assert not admit(state, clock.advance(timedelta(minutes=4, seconds=59)), CONFIG).allowed

    admission = admit(state, clock.advance(timedelta(seconds=1)), CONFIG)
    assert admission.allowed and admission.trial
    assert admission.new_state is not None
    state = admission.new_state
    assert state.state is BreakerStateName.HALF_OPEN

    second = admit(state, clock(), CONFIG)
    assert not second.allowed  # exactly one trial call

    state = on_success(state, clock()) or state
    assert state.state is BreakerStateName.CLOSED and state.error_count == 0 and state.cooldown_until is None
    assert admit(state, clock(), CONFIG).allowed


def test_a_failed_trial_reopens_for_another_cooldown() -> None:
    clock = ManualClock(START)
    state = fail(BreakerState(), clock(), 5)
    admission = admit(state, clock.advance(timedelta(minutes=5)), CONFIG)
    assert admission.new_state is not None
    state = fail(admission.new_state, clock.advance(timedelta(seconds=3)))
    assert state.state is BreakerStateName.OPEN
    assert state.cooldown_until == clock() + timedelta(minutes=5)


def test_a_trial_that_never_reports_back_is_reissued_after_its_lease() -> None:
    clock = ManualClock(START)
    state = fail(BreakerState(), clock(), 5)
    admission = admit(state, clock.advance(timedelta(minutes=5)), CONFIG)
    assert admission.new_state is not None
    state = admission.new_state
    assert not admit(state, clock.advance(timedelta(minutes=4)), CONFIG).allowed
    assert admit(state, clock.advance(timedelta(minutes=1)), CONFIG).trial


def test_without_auto_recovery_only_a_manual_reset_closes_it() -> None:
    state = fail(BreakerState(auto_recovery=False), START, 5)
    later = admit(state, START + timedelta(hours=3), CONFIG)
    assert not later.allowed and later.retry_at is None
    assert admit(manual_reset(state), START, CONFIG).allowed


def test_failures_and_late_successes_while_open_write_nothing() -> None:
    state = fail(BreakerState(), START, 5)
    assert on_failure(state, START, "timeout", CONFIG) is None
    assert on_success(state, START) is None


def test_a_success_on_a_healthy_breaker_writes_nothing() -> None:
    assert on_success(BreakerState(), START) is None


def test_per_recipient_errors_never_count() -> None:
    outcome = outcome_for(succeeded=False, counts_for_breaker=False)
    assert outcome is CallOutcome.NOT_COUNTED
    assert apply_outcome(fail(BreakerState(), START, 4), outcome, START, CONFIG) is None
    assert outcome_for(succeeded=False, counts_for_breaker=True) is CallOutcome.INFRASTRUCTURE_FAILURE


def test_state_round_trips_through_the_spec_fields() -> None:
    state = fail(BreakerState(), START, 5)
    raw = state.to_firestore()
    assert set(raw) == {"state", "error_count", "last_error", "last_error_time", "cooldown_until", "auto_recovery"}
    assert BreakerState.from_firestore(raw) == state


def test_the_agent_config_cooldown_sets_the_breaker_cooldown() -> None:
    assert breaker_config_for({"cooldown_minutes": 10}, CONFIG).cooldown == timedelta(minutes=10)
    assert breaker_config_for({}, CONFIG).cooldown == timedelta(minutes=5)


def test_agent_status_follows_the_breaker_but_a_paused_agent_stays_paused() -> None:
    opened = fail(BreakerState(), START, 5)
    assert agent_status_after("active", opened) == "circuit_breaker"
    assert agent_status_after("paused", opened) is None
    assert agent_status_after("circuit_breaker", manual_reset(opened)) == "active"
    assert agent_status_after("paused", manual_reset(opened)) is None
