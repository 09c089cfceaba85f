"""Running governance work in Firestore transactions, with retries that survive contention.

The client's ``@transactional`` retries only an ABORTED *commit*; under contention a
*read* can be aborted too, and ``max_attempts`` runs out quickly when 50 callers queue on
one counter. ``run_transaction`` retries the whole function on ABORTED (and on the
client's "exceeded attempts" error) with jittered backoff until a deadline.

The function may run more than once: it must only read and stage writes on the
transaction, never send anything.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore

T = TypeVar("T")

DEFAULT_DEADLINE_S = 30.0


def run_transaction(
    client: firestore.Client,
    fn: Callable[[Any], T],
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
    attempts_per_round: int = 5,
) -> T:
    """Run ``fn(transaction)`` in a read-write transaction until it commits or the deadline passes."""
    give_up_at = time.monotonic() + deadline_s
    backoff = 0.02
    while True:
        transaction = client.transaction(max_attempts=attempts_per_round)
        try:
            return firestore.transactional(fn)(transaction)
        except (gexc.Aborted, ValueError) as exc:
            if isinstance(exc, ValueError) and not isinstance(exc.__cause__, gexc.Aborted):
                raise  # a real ValueError from fn, not the client's "too many attempts"
            if time.monotonic() + backoff > give_up_at:
                raise
        time.sleep(backoff * (0.5 + random.random()))
        backoff = min(backoff * 2, 1.0)
