from datetime import UTC, datetime, timedelta

import pytest
from salonflow.governance.idempotency import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    IdempotencyRecord,
    IdempotencyStatus,
    Verdict,
    judge_existing,
    new_in_progress,
    payload_hash,
    record_id,
)

T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def test_payload_hash_ignores_key_order() -> None:
    assert payload_hash({"a": 1, "b": [1, 2]}) == payload_hash({"b": [1, 2], "a": 1})
    assert payload_hash({"a": 1}) != payload_hash({"a": 2})


def test_record_ids_are_safe_document_ids() -> None:
    assert "/" not in record_id("//pubsub.googleapis.com/projects/p/topics/t:123")


def test_a_completed_record_returns_the_stored_result() -> None:
    record = IdempotencyRecord("k", IdempotencyStatus.COMPLETED, payload_hash(1), "t", T0, T0, {"ok": True})
    assert judge_existing(record, payload_hash(1), T0 + timedelta(hours=1)) is Verdict.RETURN_STORED


def test_a_running_record_tells_the_caller_to_retry_later() -> None:
    record = new_in_progress("k", payload_hash(1), "t", T0)
    with pytest.raises(IdempotencyInProgress) as info:
        judge_existing(record, payload_hash(1), T0 + timedelta(minutes=1))
    assert info.value.retry_after == T0 + timedelta(minutes=5)


def test_an_expired_lease_can_be_taken_over() -> None:
    record = new_in_progress("k", payload_hash(1), "t", T0)
    assert judge_existing(record, payload_hash(1), T0 + timedelta(minutes=5)) is Verdict.TAKE_OVER


def test_a_reused_key_with_another_payload_is_rejected() -> None:
    record = IdempotencyRecord("k", IdempotencyStatus.COMPLETED, payload_hash(1), "t", T0, T0)
    with pytest.raises(IdempotencyKeyReused):
        judge_existing(record, payload_hash(2), T0)
