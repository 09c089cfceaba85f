"""Pub/Sub delivery rules with an explicit clock: leases, nacks, ordering, dead-lettering."""

from __future__ import annotations

import itertools

from google.pubsub_v1.types import pubsub as ps
from localcloud.pubsub.delivery import DeliveryState, Pending, RetryPolicy

_seq = itertools.count(1)


def message(data: str, key: str = "") -> Pending:
    seq = next(_seq)
    pb = ps.PubsubMessage.pb()(data=data.encode(), ordering_key=key, message_id=str(seq))
    return Pending(seq=seq, message=pb, size=pb.ByteSize())


def datas(leases: list) -> list[bytes]:
    return [lease.pending.message.data for lease in leases]


def state(**overrides: object) -> DeliveryState:
    settings: dict = {"ordered": False, "max_delivery_attempts": None, "retry_policy": None}
    settings.update(overrides)
    return DeliveryState(**settings)


def test_a_leased_message_is_not_handed_out_twice_until_its_deadline_passes() -> None:
    delivery = state()
    delivery.enqueue(message("a"))
    first = delivery.take(0.0, max_messages=10, ack_deadline_s=10, holder="c1")

    assert delivery.take(5.0, max_messages=10, ack_deadline_s=10, holder="c2") == []
    delivery.expire(10.0)
    again = delivery.take(10.0, max_messages=10, ack_deadline_s=10, holder="c2")
    assert datas(first) == datas(again) == [b"a"]
    assert again[0].pending.attempts == 2


def test_an_acknowledged_message_is_never_delivered_again() -> None:
    delivery = state()
    delivery.enqueue(message("a"))
    lease = delivery.take(0.0, max_messages=1, ack_deadline_s=10, holder="c")[0]

    assert delivery.acknowledge([lease.ack_id, "unknown-ack-id"]) == [lease.pending.message.message_id]
    assert not delivery.holds(lease.pending.message.message_id)
    delivery.expire(100.0)
    assert delivery.take(100.0, max_messages=1, ack_deadline_s=10, holder="c") == []


def test_extending_a_deadline_keeps_the_lease_and_zero_releases_it() -> None:
    delivery = state()
    delivery.enqueue(message("a"))
    lease = delivery.take(0.0, max_messages=1, ack_deadline_s=10, holder="c")[0]

    delivery.modify_deadline([lease.ack_id], 60, now=9.0)
    delivery.expire(30.0)
    assert delivery.take(30.0, max_messages=1, ack_deadline_s=10, holder="c") == []
    delivery.modify_deadline([lease.ack_id], 0, now=31.0)
    assert datas(delivery.take(31.0, max_messages=1, ack_deadline_s=10, holder="c")) == [b"a"]


def test_a_retry_policy_backs_off_exponentially_between_min_and_max() -> None:
    policy = RetryPolicy(minimum_backoff_s=10, maximum_backoff_s=60)
    assert [policy.delay(n) for n in range(1, 6)] == [10, 20, 40, 60, 60]

    delivery = state(retry_policy=policy)
    delivery.enqueue(message("a"))
    lease = delivery.take(0.0, max_messages=1, ack_deadline_s=10, holder="c")[0]
    delivery.modify_deadline([lease.ack_id], 0, now=1.0)
    assert delivery.take(10.9, max_messages=1, ack_deadline_s=10, holder="c") == []
    assert delivery.next_event(10.9) == 11.0
    assert datas(delivery.take(11.0, max_messages=1, ack_deadline_s=10, holder="c")) == [b"a"]


def test_after_max_delivery_attempts_a_nacked_message_is_returned_for_dead_lettering() -> None:
    delivery = state(max_delivery_attempts=5)
    delivery.enqueue(message("poison"))
    dead: list[Pending] = []
    for attempt in range(5):
        lease = delivery.take(float(attempt), max_messages=1, ack_deadline_s=10, holder="c")[0]
        dead = delivery.modify_deadline([lease.ack_id], 0, now=float(attempt))

    assert [p.message.data for p in dead] == [b"poison"]
    assert dead[0].attempts == 5
    assert delivery.backlog_size == 0 and delivery.lease_count == 0


def test_one_ordering_key_waits_for_its_batch_while_other_keys_flow() -> None:
    delivery = state(ordered=True)
    for item in (message("a1", "a"), message("a2", "a"), message("b1", "b"), message("a3", "a")):
        delivery.enqueue(item)

    first = delivery.take(0.0, max_messages=2, ack_deadline_s=10, holder="c")
    assert datas(first) == [b"a1", b"a2"]
    assert datas(delivery.take(0.0, max_messages=10, ack_deadline_s=10, holder="c")) == [b"b1"]
    delivery.acknowledge([lease.ack_id for lease in first])
    assert datas(delivery.take(0.0, max_messages=10, ack_deadline_s=10, holder="c")) == [b"a3"]


def test_nacking_an_ordered_message_puts_back_every_later_one_of_its_key_in_order() -> None:
    delivery = state(ordered=True)
    for item in (message("a1", "a"), message("a2", "a"), message("a3", "a")):
        delivery.enqueue(item)
    leases = delivery.take(0.0, max_messages=10, ack_deadline_s=10, holder="c")
    delivery.acknowledge([leases[0].ack_id])

    delivery.modify_deadline([leases[1].ack_id], 0, now=1.0)

    assert delivery.lease_count == 0
    assert datas(delivery.take(1.0, max_messages=10, ack_deadline_s=10, holder="c")) == [b"a2", b"a3"]


def test_outstanding_counts_only_the_holders_own_leases() -> None:
    delivery = state()
    for index in range(3):
        delivery.enqueue(message(f"m{index}"))
    delivery.take(0.0, max_messages=2, ack_deadline_s=10, holder="stream-1")
    delivery.take(0.0, max_messages=2, ack_deadline_s=10, holder="stream-2")

    assert delivery.outstanding("stream-1")[0] == 2
    assert delivery.outstanding("stream-2")[0] == 1


def test_max_bytes_limits_a_batch_but_never_starves_a_single_large_message() -> None:
    delivery = state()
    delivery.enqueue(message("x" * 100))
    delivery.enqueue(message("y" * 100))

    taken = delivery.take(0.0, max_messages=10, ack_deadline_s=10, holder="c", max_bytes=150)
    assert len(taken) == 1


def test_the_next_event_follows_extended_and_acknowledged_leases() -> None:
    delivery = state()
    delivery.enqueue(message("a"))
    delivery.enqueue(message("b"))
    first, second = delivery.take(0.0, max_messages=2, ack_deadline_s=10, holder="c")

    delivery.modify_deadline([first.ack_id], 60, now=1.0)
    assert delivery.next_event(1.0) == 10.0  # the second lease
    delivery.acknowledge([second.ack_id])
    assert delivery.next_event(1.0) == 61.0
    delivery.acknowledge([first.ack_id])
    assert delivery.next_event(1.0) is None


def test_one_per_key_hands_out_a_single_message_of_each_key_per_batch() -> None:
    delivery = state(ordered=True)
    for item in (message("a1", "a"), message("a2", "a"), message("b1", "b"), message("x")):
        delivery.enqueue(item)

    taken = delivery.take(0.0, max_messages=10, ack_deadline_s=10, holder="push", one_per_key=True)

    assert datas(taken) == [b"a1", b"b1", b"x"]
