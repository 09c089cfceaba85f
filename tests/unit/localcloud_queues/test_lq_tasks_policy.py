"""Cloud Tasks rules with an explicit clock: backoff schedule, token bucket, queue defaults."""

from __future__ import annotations

import pytest
from google.cloud.tasks_v2.types import queue as queue_types
from localcloud.pubsub.rpc import RpcError
from localcloud.tasks.policy import RetrySchedule, TokenBucket, normalise_queue, retry_schedule_of


def schedule(**overrides: float) -> RetrySchedule:
    settings = {
        "max_attempts": 10,
        "min_backoff_s": 10.0,
        "max_backoff_s": 300.0,
        "max_doublings": 3,
        "max_retry_duration_s": 0.0,
    }
    settings.update(overrides)
    return RetrySchedule(**settings)  # type: ignore[arg-type]


def test_backoff_doubles_max_doublings_times_then_grows_linearly_up_to_max_backoff() -> None:
    # The example in Cloud Tasks' RetryConfig documentation.
    assert [schedule().delay_after(n) for n in range(1, 9)] == [10, 20, 40, 80, 160, 240, 300, 300]


def test_max_attempts_counts_the_first_attempt_and_minus_one_is_unlimited() -> None:
    assert not schedule(max_attempts=3).gives_up(2, 0.0, 1.0)
    assert schedule(max_attempts=3).gives_up(3, 0.0, 1.0)
    assert not schedule(max_attempts=-1).gives_up(10_000, 0.0, 1.0)


def test_max_retry_duration_stops_retries_once_it_has_elapsed_since_the_first_attempt() -> None:
    limited = schedule(max_attempts=-1, max_retry_duration_s=60.0)
    assert not limited.gives_up(5, 100.0, 159.0)
    assert limited.gives_up(5, 100.0, 160.0)


def test_the_token_bucket_allows_a_burst_then_the_configured_rate() -> None:
    bucket = TokenBucket(rate=5.0, capacity=5, now_s=0.0)
    assert sum(bucket.try_take(0.0) for _ in range(10)) == 5
    assert bucket.seconds_until_token(0.0) == pytest.approx(0.2)
    assert bucket.try_take(0.2)
    assert not bucket.try_take(0.2)
    assert sum(bucket.try_take(10.0) for _ in range(10)) == 5  # never more than the capacity


def test_a_queue_gets_cloud_tasks_defaults_and_keeps_what_was_set() -> None:
    queue = queue_types.Queue.pb()(name="projects/p/locations/l/queues/notifications")
    queue.rate_limits.max_dispatches_per_second = 10
    queue.retry_config.max_attempts = 3

    normalised = normalise_queue(queue)

    assert normalised.rate_limits.max_concurrent_dispatches == 1000
    assert normalised.rate_limits.max_burst_size == 10
    assert normalised.retry_config.max_attempts == 3
    assert normalised.retry_config.max_doublings == 16
    assert retry_schedule_of(normalised).min_backoff_s == pytest.approx(0.1)
    assert retry_schedule_of(normalised).max_backoff_s == 3600
    assert normalised.state == queue_types.Queue.State.RUNNING


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_dispatches_per_second", 501.0), ("max_concurrent_dispatches", 5001)],
)
def test_rate_limits_beyond_cloud_tasks_maxima_are_invalid(field: str, value: float) -> None:
    queue = queue_types.Queue.pb()(name="projects/p/locations/l/queues/q")
    setattr(queue.rate_limits, field, value)
    with pytest.raises(RpcError) as raised:
        normalise_queue(queue)
    assert raised.value.code.name == "INVALID_ARGUMENT"
