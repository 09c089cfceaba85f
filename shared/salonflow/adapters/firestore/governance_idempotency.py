"""Idempotency records in ``salons/{salon_id}/idempotency_keys/{sha256(key)}``.

Usage, as a context manager::

    store = IdempotencyStore(client, salon_id, clock)
    with store.guard(key, payload) as run:
        if run.replayed:
            return run.result            # done before: the stored result, body not run again
        result = handle(payload)
        run.complete(result)             # stored; must be JSON/Firestore-serialisable
    # an exception inside the block deletes the IN_PROGRESS record and propagates

or as a decorator::

    @idempotent(lambda event: (store_for(event), event["id"], event))
    def handle(event): ...

Cost: first run 1 write (create) + 1 write (complete); a replay 1 failed create + 1 read;
a crashed run's takeover 1 read + 1 write in a transaction. Records carry ``delete_after``
for a Firestore TTL policy.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.governance.clock import Clock, system_clock
from salonflow.governance.idempotency import (
    DEFAULT_LEASE,
    DEFAULT_RETENTION,
    IdempotencyLeaseLost,
    IdempotencyRecord,
    IdempotencyStatus,
    Verdict,
    judge_existing,
    new_in_progress,
    payload_hash,
    record_id,
)

COLLECTION = "idempotency_keys"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class IdempotentRun:
    key: str
    replayed: bool
    result: Any = None
    _store: IdempotencyStore | None = field(default=None, repr=False)
    _lease_token: str = ""
    _completed: bool = False

    def complete(self, result: Any) -> None:
        if self.replayed:
            raise RuntimeError("a replayed run has nothing to complete")
        assert self._store is not None
        self._store._complete(self.key, self._lease_token, result)
        self.result = result
        self._completed = True


class IdempotencyStore:
    def __init__(
        self,
        client: firestore.Client,
        salon_id: str,
        clock: Clock = system_clock,
        *,
        lease: timedelta = DEFAULT_LEASE,
        retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self._client = client
        self._clock = clock
        self._lease = lease
        self._retention = retention
        self._collection = client.collection("salons", salon_id, COLLECTION)

    def _ref(self, key: str) -> Any:
        return self._collection.document(record_id(key))

    @contextmanager
    def guard(self, key: str, payload: Any = None) -> Iterator[IdempotentRun]:
        run = self._acquire(key, payload_hash(payload))
        if run.replayed:
            yield run
            return
        try:
            yield run
        except BaseException:
            self._abandon(key, run._lease_token)
            raise
        if not run._completed:
            # The body returned without a result: remember that it ran.
            run.complete(None)

    def _acquire(self, key: str, hash_: str) -> IdempotentRun:
        token = secrets.token_hex(8)
        ref = self._ref(key)
        try:
            ref.create(
                new_in_progress(key, hash_, token, self._clock(), self._lease, self._retention).to_firestore()
            )
            return IdempotentRun(key, replayed=False, _store=self, _lease_token=token)
        except gexc.AlreadyExists:
            pass

        def take_over_or_read(transaction: Any) -> IdempotentRun:
            snap = ref.get(transaction=transaction)
            now = self._clock()
            if not snap.exists:  # deleted by a failed run between our create and this read
                transaction.create(
                    ref, new_in_progress(key, hash_, token, now, self._lease, self._retention).to_firestore()
                )
                return IdempotentRun(key, replayed=False, _store=self, _lease_token=token)
            record = IdempotencyRecord.from_firestore(snap.to_dict() or {})
            if judge_existing(record, hash_, now) is Verdict.RETURN_STORED:
                return IdempotentRun(key, replayed=True, result=record.result)
            transaction.set(
                ref, new_in_progress(key, hash_, token, now, self._lease, self._retention).to_firestore()
            )
            return IdempotentRun(key, replayed=False, _store=self, _lease_token=token)

        return run_transaction(self._client, take_over_or_read)

    def _complete(self, key: str, token: str, result: Any) -> None:
        ref = self._ref(key)

        def finish(transaction: Any) -> None:
            snap = ref.get(transaction=transaction)
            data = (snap.to_dict() or {}) if snap.exists else {}
            if data.get("lease_token") != token or data.get("status") != IdempotencyStatus.IN_PROGRESS.value:
                raise IdempotencyLeaseLost(f"lease on {key!r} was taken over before completion")
            transaction.update(
                ref,
                {
                    "status": IdempotencyStatus.COMPLETED.value,
                    "result": result,
                    "completed_at": self._clock(),
                },
            )

        run_transaction(self._client, finish)

    def _abandon(self, key: str, token: str) -> None:
        ref = self._ref(key)

        def delete_if_ours(transaction: Any) -> None:
            snap = ref.get(transaction=transaction)
            data = (snap.to_dict() or {}) if snap.exists else {}
            # Only our own unfinished lease: a COMPLETED record stays, whatever raised afterwards.
            if data.get("lease_token") == token and data.get("status") == IdempotencyStatus.IN_PROGRESS.value:
                transaction.delete(ref)

        run_transaction(self._client, delete_if_ours)

    def status(self, key: str) -> IdempotencyRecord | None:
        snap = self._ref(key).get()
        return IdempotencyRecord.from_firestore(snap.to_dict() or {}) if snap.exists else None


def idempotent(
    resolve: Callable[..., tuple[IdempotencyStore, str, Any]],
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a handler: ``resolve(*args, **kwargs) -> (store, key, payload)``.

    The handler's return value is stored and returned to every replay; it must be
    Firestore-serialisable (dicts, lists, strings, numbers, None).
    """

    def decorator(handler: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(handler)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            store, key, payload = resolve(*args, **kwargs)
            with store.guard(key, payload) as run:
                if run.replayed:
                    return run.result  # type: ignore[no-any-return]
                result = handler(*args, **kwargs)
                run.complete(result)
                return result

        return wrapper

    return decorator
