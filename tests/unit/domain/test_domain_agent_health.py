from datetime import UTC, datetime, timedelta

from salonflow.domain.agent_state import AgentHealth, RunFacts

NOW = datetime(2024, 1, 15, 10, 20, tzinfo=UTC)


def test_the_first_run_sets_the_heartbeat_and_its_own_duration() -> None:
    health = AgentHealth().after_run(RunFacts(elapsed_ms=180, succeeded=3), NOW)
    assert health.last_heartbeat == NOW
    assert health.average_response_time_ms == 180
    assert health.success_rate_24h == 1.0 and health.consecutive_failures == 0


def test_the_response_time_is_a_moving_average_of_runs() -> None:
    health = AgentHealth().after_run(RunFacts(elapsed_ms=100), NOW)
    health = health.after_run(RunFacts(elapsed_ms=600), NOW + timedelta(minutes=5))
    assert health.average_response_time_ms == 200  # 0.8 * 100 + 0.2 * 600


def test_the_success_rate_counts_the_actions_of_the_last_24_hours() -> None:
    health = AgentHealth().after_run(RunFacts(elapsed_ms=1, succeeded=1, failed=3), NOW - timedelta(hours=25))
    health = health.after_run(RunFacts(elapsed_ms=1, succeeded=9, failed=1), NOW - timedelta(hours=2))
    health = health.after_run(RunFacts(elapsed_ms=1, succeeded=6, failed=4), NOW)
    assert health.success_rate_24h == 0.75  # (9 + 6) / 20: the 25-hour-old run has aged out
    assert [h.hour for h in health.recent_outcomes] == [datetime(2024, 1, 15, 8, tzinfo=UTC),
                                                       datetime(2024, 1, 15, 10, tzinfo=UTC)]


def test_runs_in_the_same_hour_add_up() -> None:
    health = AgentHealth().after_run(RunFacts(elapsed_ms=1, succeeded=2), NOW)
    health = health.after_run(RunFacts(elapsed_ms=1, failed=2), NOW + timedelta(minutes=10))
    assert [(h.succeeded, h.failed) for h in health.recent_outcomes] == [(2, 2)]
    assert health.success_rate_24h == 0.5


def test_failed_runs_in_a_row_are_counted_until_one_succeeds() -> None:
    health = AgentHealth()
    for minute, run in enumerate([RunFacts(elapsed_ms=1, failed=2), RunFacts(elapsed_ms=1, crashed=True)]):
        health = health.after_run(run, NOW + timedelta(minutes=minute))
    assert health.consecutive_failures == 2
    mixed = health.after_run(RunFacts(elapsed_ms=1, succeeded=1, failed=1), NOW + timedelta(minutes=5))
    assert mixed.consecutive_failures == 0
