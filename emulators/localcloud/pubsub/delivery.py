"""The delivery state of one subscription: backlog, leases, ordering, attempts (no I/O, no clock).

Every method takes ``now`` (seconds on a monotonic clock) from the caller, so the rules
below are tested without waiting:

* A message is leased to one consumer at a time until its ack deadline; expiry or a
  ``modify_ack_deadline(0)`` (a nack) puts it back, after the retry policy's backoff.
* ``delivery_attempt`` counts deliveries of one message to this subscription. When a
  message that has already been delivered ``max_delivery_attempts`` times is nacked or
  expires, it is handed back to the caller for dead-lettering instead of redelivered.
* With message ordering on, a key's messages go out in publish order and no message of
  a key is handed out while an earlier batch of that key is still leased. A nack or an
  expiry of one message also puts back every later leased message of the same key, so
  the key is redelivered in order, as Google does.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_RETRY_MIN_S = 10.0
DEFAULT_RETRY_MAX_S = 600.0


@dataclass(frozen=True)
class RetryPolicy:
    minimum_backoff_s: float = DEFAULT_RETRY_MIN_S
    maximum_backoff_s: float = DEFAULT_RETRY_MAX_S

    def delay(self, failed_deliveries: int) -> float:
        """Exponential backoff: min, 2*min, 4*min, ... capped at max."""
        if failed_deliveries <= 0:
            return 0.0
        exponent = min(failed_deliveries - 1, 32)
        return float(min(self.maximum_backoff_s, self.minimum_backoff_s * (2**exponent)))


@dataclass
class Pending:
    """One published message as this subscription sees it."""

    seq: int
    message: Any  # google.pubsub.v1.PubsubMessage (raw protobuf)
    size: int
    attempts: int = 0
    available_at: float = 0.0

    @property
    def ordering_key(self) -> str:
        return str(self.message.ordering_key)


@dataclass
class Lease:
    ack_id: str
    pending: Pending
    deadline: float
    holder: str


@dataclass
class Batch:
    leases: list[Lease] = field(default_factory=list)


class DeliveryState:
    def __init__(
        self,
        *,
        ordered: bool,
        max_delivery_attempts: int | None,
        retry_policy: RetryPolicy | None,
    ) -> None:
        self.ordered = ordered
        self.max_delivery_attempts = max_delivery_attempts
        self.retry_policy = retry_policy
        self._backlog: list[Pending] = []  # sorted by seq
        self._leases: dict[str, Lease] = {}
        self._ack_prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self._ids: set[str] = set()
        # Heaps of future moments, so finding the next one never scans every message.
        # Entries may be stale (a lease acked or extended); they are skipped when reached.
        self._deadlines: list[tuple[float, str]] = []
        self._delays: list[float] = []

    # -- configuration -------------------------------------------------------------------
    def reconfigure(self, *, max_delivery_attempts: int | None, retry_policy: RetryPolicy | None) -> None:
        self.max_delivery_attempts = max_delivery_attempts
        self.retry_policy = retry_policy

    # -- inputs --------------------------------------------------------------------------
    def enqueue(self, pending: Pending) -> None:
        bisect.insort(self._backlog, pending, key=lambda item: item.seq)
        self._ids.add(pending.message.message_id)

    def holds(self, message_id: str) -> bool:
        return message_id in self._ids

    def drop(self, message_ids: Iterable[str]) -> None:
        """Forget messages wherever they are (used when replaying acknowledgements)."""
        gone = set(message_ids)
        self._backlog = [p for p in self._backlog if p.message.message_id not in gone]
        for ack_id in [a for a, lease in self._leases.items() if lease.pending.message.message_id in gone]:
            del self._leases[ack_id]
        self._ids -= gone

    def all_pending(self) -> list[Pending]:
        """Every message not yet acknowledged, leased or not, in publish order."""
        pending = self._backlog + [lease.pending for lease in self._leases.values()]
        return sorted(pending, key=lambda item: item.seq)

    def take(
        self,
        now: float,
        *,
        max_messages: int,
        ack_deadline_s: float,
        holder: str,
        max_bytes: int = 0,
        one_per_key: bool = False,
    ) -> list[Lease]:
        """Lease up to ``max_messages`` deliverable messages (and ``max_bytes`` if > 0).

        ``one_per_key`` hands out at most one message of each ordering key, for consumers
        that would otherwise process a batch concurrently (push deliveries).
        """
        taken: list[Lease] = []
        if max_messages <= 0:
            return taken
        blocked = self._keys_in_flight() if self.ordered else set()
        total_bytes = 0
        remaining: list[Pending] = []
        for index, pending in enumerate(self._backlog):
            if len(taken) >= max_messages:
                remaining.extend(self._backlog[index:])
                break
            key = pending.ordering_key if self.ordered else ""
            deliverable = (
                pending.available_at <= now
                and key not in blocked
                and (max_bytes <= 0 or not taken or total_bytes + pending.size <= max_bytes)
            )
            if not deliverable:
                remaining.append(pending)
                if key:
                    # A later message of this key must wait for this one.
                    blocked.add(key)
                continue
            pending.attempts += 1
            lease = Lease(self._new_ack_id(), pending, now + ack_deadline_s, holder)
            self._leases[lease.ack_id] = lease
            heapq.heappush(self._deadlines, (lease.deadline, lease.ack_id))
            taken.append(lease)
            total_bytes += pending.size
            if key and one_per_key:
                blocked.add(key)
        self._backlog = remaining
        return taken

    def acknowledge(self, ack_ids: Iterable[str]) -> list[str]:
        """Drop the leases; unknown or expired ack ids are ignored, as without exactly-once.

        Returns the ids of the messages acknowledged.
        """
        done: list[str] = []
        for ack_id in ack_ids:
            lease = self._leases.pop(ack_id, None)
            if lease is not None:
                message_id = lease.pending.message.message_id
                self._ids.discard(message_id)
                done.append(message_id)
        return done

    def modify_deadline(
        self,
        ack_ids: Iterable[str],
        seconds: float,
        now: float,
        *,
        fallback_retry: RetryPolicy | None = None,
    ) -> list[Pending]:
        """Extend leases, or nack them when ``seconds`` is 0. Returns messages to dead-letter.

        ``fallback_retry`` is the backoff used when the subscription has no retry policy
        (push deliveries back off even then).
        """
        if seconds <= 0:
            return self._release([a for a in ack_ids if a in self._leases], now, fallback_retry)
        for ack_id in ack_ids:
            lease = self._leases.get(ack_id)
            if lease is not None:
                lease.deadline = now + seconds
                heapq.heappush(self._deadlines, (lease.deadline, ack_id))
        return []

    def expire(self, now: float) -> list[Pending]:
        """Return leases past their deadline to the backlog; returns messages to dead-letter."""
        expired: list[str] = []
        while self._deadlines and self._deadlines[0][0] <= now:
            _deadline, ack_id = heapq.heappop(self._deadlines)
            lease = self._leases.get(ack_id)
            if lease is not None and lease.deadline <= now and ack_id not in expired:
                expired.append(ack_id)
        return self._release(expired, now)

    # -- observations --------------------------------------------------------------------
    def outstanding(self, holder: str) -> tuple[int, int]:
        """Messages and bytes leased to ``holder`` and not yet acked/nacked/expired."""
        count = 0
        size = 0
        for lease in self._leases.values():
            if lease.holder == holder:
                count += 1
                size += lease.pending.size
        return count, size

    def next_event(self, now: float) -> float | None:
        """The earliest future moment at which something becomes deliverable or expires."""
        while self._deadlines:
            deadline, ack_id = self._deadlines[0]
            lease = self._leases.get(ack_id)
            if lease is not None and lease.deadline == deadline:
                break
            heapq.heappop(self._deadlines)  # acked, released or extended since
        while self._delays and self._delays[0] <= now:
            heapq.heappop(self._delays)
        moments = [heap[0] for heap in (self._delays,) if heap]
        if self._deadlines:
            moments.append(self._deadlines[0][0])
        return min(moments) if moments else None

    @property
    def backlog_size(self) -> int:
        return len(self._backlog)

    @property
    def lease_count(self) -> int:
        return len(self._leases)

    # -- internals -----------------------------------------------------------------------
    def _new_ack_id(self) -> str:
        return f"{self._ack_prefix}-{next(self._counter)}"

    def _keys_in_flight(self) -> set[str]:
        return {lease.pending.ordering_key for lease in self._leases.values() if lease.pending.ordering_key}

    def _release(
        self, ack_ids: list[str], now: float, fallback_retry: RetryPolicy | None = None
    ) -> list[Pending]:
        policy = self.retry_policy or fallback_retry
        released = [self._leases.pop(ack_id) for ack_id in ack_ids]
        if self.ordered:
            released.extend(self._later_leases_of_same_keys(released))
        dead: list[Pending] = []
        for lease in released:
            pending = lease.pending
            if self.max_delivery_attempts is not None and pending.attempts >= self.max_delivery_attempts:
                self._ids.discard(pending.message.message_id)
                dead.append(pending)
                continue
            delay = policy.delay(pending.attempts) if policy else 0.0
            pending.available_at = now + delay
            if delay > 0:
                heapq.heappush(self._delays, pending.available_at)
            self.enqueue(pending)
        return dead

    def _later_leases_of_same_keys(self, released: list[Lease]) -> list[Lease]:
        earliest: dict[str, int] = {}
        for lease in released:
            key = lease.pending.ordering_key
            if key:
                earliest[key] = min(earliest.get(key, lease.pending.seq), lease.pending.seq)
        if not earliest:
            return []
        followers = [
            ack_id
            for ack_id, lease in self._leases.items()
            if lease.pending.ordering_key in earliest
            and lease.pending.seq > earliest[lease.pending.ordering_key]
        ]
        return [self._leases.pop(ack_id) for ack_id in followers]
