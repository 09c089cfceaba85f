"""Idempotency, the way AWS Powertools does it, as pure rules over one key record.

One mechanism for every handler (Pub/Sub event, Cloud Task, Scheduler run, webhook):

1. ``create()`` a record ``{status: IN_PROGRESS, payload_hash, expires_at}`` under the key.
   Creating succeeds for exactly one caller -- that caller runs the handler body.
2. The body finishes -> the record becomes ``COMPLETED`` with the stored result.
   The body raises -> the record is deleted so the platform's retry can run it again.
3. Anyone else who finds the record:
   - COMPLETED, same payload      -> gets the stored result; the body does not run again.
   - IN_PROGRESS, lease not over  -> ``IdempotencyInProgress``: retry later (raise so the
                                     platform redelivers; do not return success).
   - IN_PROGRESS, lease over      -> the previous run crashed: take the record over and run.
   - any status, other payload    -> ``IdempotencyKeyReused``: a client bug, never run.

Keys: use the platform's stable id -- CloudEvent ``source`` + ``id``, Cloud Tasks task name,
``X-CloudScheduler-ScheduleTime`` + job, Twilio ``MessageSid`` + status for callbacks.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from salonflow.governance.clock import require_aware

DEFAULT_LEASE = timedelta(minutes=5)  # > the longest handler run (Cloud Tasks deadline here is minutes)
DEFAULT_RETENTION = timedelta(days=2)  # > Pub/Sub / Cloud Tasks redelivery horizons (~24 h)


class IdempotencyStatus(enum.StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class IdempotencyError(Exception):
    pass


class IdempotencyInProgress(IdempotencyError):
    """Another run holds this key right now; ask the platform to retry later."""

    def __init__(self, key: str, retry_after: datetime) -> None:
        super().__init__(f"idempotency key {key!r} is in progress until {retry_after.isoformat()}")
        self.key = key
        self.retry_after = retry_after


class IdempotencyKeyReused(IdempotencyError):
    """The key was used before with a different payload."""


class IdempotencyLeaseLost(IdempotencyError):
    """Our lease expired and someone else took the key over; our result was not stored."""


def payload_hash(payload: Any) -> str:
    """A stable hash of a JSON-like payload (key order does not matter)."""
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def record_id(key: str) -> str:
    # Keys can hold '/', which Firestore ids must not; hashing also spreads writes.
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    status: IdempotencyStatus
    payload_hash: str
    lease_token: str
    expires_at: datetime  # end of the IN_PROGRESS lease
    delete_after: datetime  # TTL: when the record itself may be removed
    result: Any = None

    def to_firestore(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "status": self.status.value,
            "payload_hash": self.payload_hash,
            "lease_token": self.lease_token,
            "expires_at": self.expires_at,
            "delete_after": self.delete_after,
            "result": self.result,
        }

    @classmethod
    def from_firestore(cls, data: Mapping[str, Any]) -> IdempotencyRecord:
        return cls(
            key=str(data["key"]),
            status=IdempotencyStatus(data["status"]),
            payload_hash=str(data["payload_hash"]),
            lease_token=str(data.get("lease_token", "")),
            expires_at=data["expires_at"],
            delete_after=data["delete_after"],
            result=data.get("result"),
        )


def new_in_progress(key: str, hash_: str, lease_token: str, now: datetime,
                    lease: timedelta = DEFAULT_LEASE,
                    retention: timedelta = DEFAULT_RETENTION) -> IdempotencyRecord:
    require_aware(now)
    return IdempotencyRecord(key, IdempotencyStatus.IN_PROGRESS, hash_, lease_token, now + lease,
                             now + retention)


class Verdict(enum.StrEnum):
    RETURN_STORED = "return_stored"
    TAKE_OVER = "take_over"


def judge_existing(record: IdempotencyRecord, hash_: str, now: datetime) -> Verdict:
    """What a caller who lost the ``create()`` race does; raises for the two error cases."""
    require_aware(now)
    if record.payload_hash != hash_:
        raise IdempotencyKeyReused(f"idempotency key {record.key!r} reused with a different payload")
    if record.status is IdempotencyStatus.COMPLETED:
        return Verdict.RETURN_STORED
    if now >= record.expires_at:
        return Verdict.TAKE_OVER
    raise IdempotencyInProgress(record.key, record.expires_at)
