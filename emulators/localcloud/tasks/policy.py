"""Cloud Tasks queue rules with no I/O and no clock: defaults, backoff, the token bucket."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from google.cloud.tasks_v2.types import queue as queue_types

from localcloud.pubsub.rpc import invalid_argument

# Defaults Cloud Tasks reports for a queue created through the API.
DEFAULT_MAX_DISPATCHES_PER_SECOND = 500.0
DEFAULT_MAX_CONCURRENT_DISPATCHES = 1000
DEFAULT_MAX_ATTEMPTS = 100
DEFAULT_MIN_BACKOFF_S = 0.1
DEFAULT_MAX_BACKOFF_S = 3600.0
DEFAULT_MAX_DOUBLINGS = 16
MAX_DISPATCHES_PER_SECOND_LIMIT = 500.0
MAX_CONCURRENT_DISPATCHES_LIMIT = 5000
MAX_BURST_SIZE = 100


@dataclass(frozen=True)
class RetrySchedule:
    max_attempts: int  # -1: unlimited
    min_backoff_s: float
    max_backoff_s: float
    max_doublings: int
    max_retry_duration_s: float  # 0: unlimited

    def delay_after(self, failed_attempts: int) -> float:
        """Wait before the next attempt once ``failed_attempts`` attempts have failed.

        The interval doubles ``max_doublings`` times, then grows linearly by the last
        doubled interval, and never exceeds ``max_backoff`` (Cloud Tasks' documented rule:
        min 10s, max 300s, 3 doublings gives 10, 20, 40, 80, 160, 240, 300, 300 ...).
        """
        if failed_attempts <= 0:
            return 0.0
        k = failed_attempts - 1
        if k <= self.max_doublings:
            delay = self.min_backoff_s * (2.0**k)
        else:
            step = self.min_backoff_s * (2.0**self.max_doublings)
            delay = step * (k - self.max_doublings + 1)
        return float(min(self.max_backoff_s, delay))

    def gives_up(self, attempts: int, first_attempt_s: float | None, now_s: float) -> bool:
        """True once ``attempts`` attempts have failed and no further one is allowed."""
        if self.max_attempts != -1 and attempts >= self.max_attempts:
            return True
        if self.max_retry_duration_s > 0 and first_attempt_s is not None:
            return now_s - first_attempt_s >= self.max_retry_duration_s
        return False


class TokenBucket:
    """Refills ``rate`` tokens a second up to ``capacity``; a dispatch spends one token."""

    def __init__(self, rate: float, capacity: int, now_s: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = float(capacity)
        self._updated = now_s

    def reconfigure(self, rate: float, capacity: int, now_s: float) -> None:
        self._refill(now_s)
        self.rate = rate
        self.capacity = capacity
        self.tokens = min(self.tokens, float(capacity))

    def try_take(self, now_s: float) -> bool:
        self._refill(now_s)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def seconds_until_token(self, now_s: float) -> float:
        self._refill(now_s)
        if self.tokens >= 1.0:
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1.0 - self.tokens) / self.rate

    def _refill(self, now_s: float) -> None:
        elapsed = max(0.0, now_s - self._updated)
        self.tokens = min(float(self.capacity), self.tokens + elapsed * self.rate)
        self._updated = now_s


def burst_size_for(rate: float) -> int:
    """Cloud Tasks picks ``max_burst_size`` itself; we use the rate rounded up, 1..100."""
    return max(1, min(MAX_BURST_SIZE, math.ceil(rate)))


def _seconds(duration: Any) -> float:
    return float(duration.seconds) + duration.nanos / 1e9


def _set_seconds(duration: Any, value: float) -> None:
    duration.seconds = int(value)
    duration.nanos = round((value - int(value)) * 1e9)


def normalise_queue(queue: Any) -> Any:
    """Validate a Queue's settings and fill Cloud Tasks' defaults (returns a new message)."""
    result = queue_types.Queue.pb()()
    result.CopyFrom(queue)
    limits = result.rate_limits
    if limits.max_dispatches_per_second == 0:
        limits.max_dispatches_per_second = DEFAULT_MAX_DISPATCHES_PER_SECOND
    if not 0 < limits.max_dispatches_per_second <= MAX_DISPATCHES_PER_SECOND_LIMIT:
        raise invalid_argument(
            f"rate_limits.max_dispatches_per_second must be in (0, {MAX_DISPATCHES_PER_SECOND_LIMIT:g}]."
        )
    if limits.max_concurrent_dispatches == 0:
        limits.max_concurrent_dispatches = DEFAULT_MAX_CONCURRENT_DISPATCHES
    if not 0 < limits.max_concurrent_dispatches <= MAX_CONCURRENT_DISPATCHES_LIMIT:
        raise invalid_argument(
            f"rate_limits.max_concurrent_dispatches must be in [1, {MAX_CONCURRENT_DISPATCHES_LIMIT}]."
        )
    limits.max_burst_size = burst_size_for(limits.max_dispatches_per_second)
    retry = result.retry_config
    if retry.max_attempts == 0:
        retry.max_attempts = DEFAULT_MAX_ATTEMPTS
    if retry.max_attempts < -1:
        raise invalid_argument("retry_config.max_attempts must be -1 (unlimited) or positive.")
    if not retry.HasField("min_backoff"):
        _set_seconds(retry.min_backoff, DEFAULT_MIN_BACKOFF_S)
    if not retry.HasField("max_backoff"):
        _set_seconds(retry.max_backoff, DEFAULT_MAX_BACKOFF_S)
    if retry.max_doublings == 0:
        retry.max_doublings = DEFAULT_MAX_DOUBLINGS
    if _seconds(retry.min_backoff) < 0 or _seconds(retry.min_backoff) > _seconds(retry.max_backoff):
        raise invalid_argument("retry_config.min_backoff must be between 0 and retry_config.max_backoff.")
    if retry.max_doublings < 0:
        raise invalid_argument("retry_config.max_doublings must not be negative.")
    if result.state == 0:
        result.state = int(queue_types.Queue.State.RUNNING)
    return result


def retry_schedule_of(queue: Any) -> RetrySchedule:
    retry = queue.retry_config
    return RetrySchedule(
        max_attempts=int(retry.max_attempts),
        min_backoff_s=_seconds(retry.min_backoff),
        max_backoff_s=_seconds(retry.max_backoff),
        max_doublings=int(retry.max_doublings),
        max_retry_duration_s=_seconds(retry.max_retry_duration),
    )
