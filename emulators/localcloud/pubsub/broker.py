"""The Pub/Sub service layer: topics, subscriptions, publishing and leasing, thread-safe.

One condition variable guards all state; everything that waits for messages (pulls,
streaming pulls, the push worker, the lease reaper) waits on it with a timeout equal to
the next moment something can change, so an idle server uses no CPU.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.pubsub_v1.types import pubsub as ps

from localcloud.pubsub import config, names
from localcloud.pubsub.delivery import DeliveryState, Lease, Pending, RetryPolicy
from localcloud.pubsub.filter import Predicate, compile_filter
from localcloud.pubsub.journal import Journal, decode_pb, encode_pb
from localcloud.pubsub.rpc import failed_precondition, invalid_argument

MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_ATTRIBUTE_KEY_BYTES = 256
MAX_ATTRIBUTE_VALUE_BYTES = 1024
MAX_ORDERING_KEY_BYTES = 1024
MIN_STREAM_ACK_DEADLINE_S = 10
MAX_STREAM_ACK_DEADLINE_S = 600
DEAD_LETTER_ATTRIBUTES = (
    "CloudPubSubDeadLetterSourceDeliveryCount",
    "CloudPubSubDeadLetterSourceSubscription",
    "CloudPubSubDeadLetterSourceSubscriptionProject",
    "CloudPubSubDeadLetterSourceTopicPublishTime",
)

PUSH_HOLDER = "push"


@dataclass
class SubscriptionRecord:
    config: Any  # google.pubsub.v1.Subscription (raw protobuf)
    delivery: DeliveryState
    accepts: Predicate | None = None  # the subscription's filter, if any


@dataclass
class Stream:
    stream_id: str
    subscription: str
    ack_deadline_s: int
    max_messages: int
    max_bytes: int
    client_id: str
    closed: bool = False


@dataclass
class PushDelivery:
    subscription: Any  # Subscription config snapshot
    lease: Lease


@dataclass
class _Paging:
    items: list[Any] = field(default_factory=list)
    next_token: str = ""


def _page(sorted_names: list[str], page_size: int, token: str) -> _Paging:
    start = 0
    if token:
        if token not in sorted_names and not any(n > token for n in sorted_names):
            return _Paging()
        start = next((i for i, n in enumerate(sorted_names) if n > token), len(sorted_names))
    size = page_size if page_size > 0 else 1000
    chunk = sorted_names[start : start + size]
    more = start + size < len(sorted_names)
    return _Paging(chunk, chunk[-1] if more and chunk else "")


class Broker:
    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        journal: Journal | None = None,
    ) -> None:
        self._monotonic = monotonic
        self._journal = journal
        self._wall = wall
        self._cond = threading.Condition()
        self._topics: dict[str, Any] = {}
        self._subs: dict[str, SubscriptionRecord] = {}
        self._streams: dict[str, Stream] = {}
        self._seq = itertools.count(1)
        # Google's message ids are decimal strings; start somewhere unremarkable.
        self._message_ids = itertools.count(random.randint(10**15, 9 * 10**15))
        self._stream_ids = itertools.count(1)
        self._stopped = False
        if journal is not None:
            self._restore(journal.replay())
            journal.open(self._state_records())
        self._reaper = threading.Thread(target=self._reap_forever, name="pubsub-reaper", daemon=True)
        self._reaper.start()

    # ------------------------------------------------------------------ lifecycle
    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._reaper.join(timeout=2)
        if self._journal is not None:
            with self._cond:
                self._journal.close()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def now(self) -> float:
        return self._monotonic()

    # ------------------------------------------------------------------ topics
    def create_topic(self, topic: Any) -> Any:
        names.validate(topic.name, "topics")
        with self._cond:
            if topic.name in self._topics:
                raise names.resource_exists(topic.name)
            stored = ps.Topic.pb()()
            stored.CopyFrom(topic)
            stored.state = int(ps.Topic.State.ACTIVE)
            self._topics[topic.name] = stored
            self._record({"op": "topic", "pb": encode_pb(stored)})
            return self._copy(stored)

    def update_topic(self, topic: Any, paths: Iterable[str]) -> Any:
        with self._cond:
            stored = self._topic(topic.name)
            paths = list(paths)
            if not paths:
                raise invalid_argument("The update_mask in the UpdateTopicRequest must be set.")
            for path in paths:
                if path not in ("labels", "message_retention_duration", "message_storage_policy"):
                    raise invalid_argument(
                        f"Invalid update_mask provided in the UpdateTopicRequest: '{path}'"
                    )
                stored.ClearField(path)
                if path == "labels":
                    stored.labels.update(topic.labels)
                elif topic.HasField(path):
                    getattr(stored, path).CopyFrom(getattr(topic, path))
            self._record({"op": "topic", "pb": encode_pb(stored)})
            return self._copy(stored)

    def get_topic(self, name: str) -> Any:
        with self._cond:
            return self._copy(self._topic(name))

    def list_topics(self, project: str, page_size: int, token: str) -> tuple[list[Any], str]:
        project_id = names.validate_project(project)
        with self._cond:
            found = sorted(n for n in self._topics if names.project_of(n) == project_id)
            page = _page(found, page_size, token)
            return [self._copy(self._topics[n]) for n in page.items], page.next_token

    def delete_topic(self, name: str) -> None:
        with self._cond:
            self._topic(name)
            self._drop_topic(name)
            self._record({"op": "topic_del", "name": name})
            self._cond.notify_all()

    def list_topic_subscriptions(self, topic: str, page_size: int, token: str) -> tuple[list[str], str]:
        with self._cond:
            self._topic(topic)
            found = sorted(n for n, r in self._subs.items() if r.config.topic == topic)
            page = _page(found, page_size, token)
            return page.items, page.next_token

    def publish(self, topic: str, messages: Iterable[Any]) -> list[str]:
        messages = list(messages)
        if not messages:
            raise invalid_argument("The request contains no messages.")
        total = 0
        for message in messages:
            _validate_message(message)
            total += message.ByteSize()
        if total > MAX_REQUEST_BYTES:
            raise invalid_argument(f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
        with self._cond:
            self._topic(topic)
            ids = [self._publish_locked(topic, message) for message in messages]
            self._cond.notify_all()
            return ids

    # ------------------------------------------------------------------ subscriptions
    def create_subscription(self, subscription: Any) -> Any:
        names.validate(subscription.name, "subscriptions")
        if not subscription.topic:
            raise invalid_argument("The topic must be set.")
        normalised = config.normalise_subscription(subscription)
        with self._cond:
            if subscription.name in self._subs:
                raise names.resource_exists(subscription.name)
            self._topic(subscription.topic)
            if normalised.HasField("dead_letter_policy"):
                self._topic(normalised.dead_letter_policy.dead_letter_topic)
            record = SubscriptionRecord(
                config=normalised,
                delivery=DeliveryState(
                    ordered=normalised.enable_message_ordering,
                    max_delivery_attempts=config.max_attempts_of(normalised),
                    retry_policy=config.retry_policy_of(normalised),
                ),
                accepts=compile_filter(normalised.filter) if normalised.filter else None,
            )
            self._subs[subscription.name] = record
            self._record({"op": "sub", "pb": encode_pb(normalised)})
            self._cond.notify_all()
            return self._copy(normalised)

    def update_subscription(self, subscription: Any, paths: Iterable[str]) -> Any:
        paths = list(paths)
        if not paths:
            raise invalid_argument("The update_mask in the UpdateSubscriptionRequest must be set.")
        updatable = {
            "ack_deadline_seconds",
            "push_config",
            "labels",
            "dead_letter_policy",
            "retry_policy",
            "message_retention_duration",
            "retain_acked_messages",
            "expiration_policy",
            "detached",
        }
        with self._cond:
            record = self._sub(subscription.name)
            candidate = ps.Subscription.pb()()
            candidate.CopyFrom(record.config)
            for path in paths:
                if path not in updatable:
                    raise invalid_argument(
                        f"Invalid update_mask provided in the UpdateSubscriptionRequest: '{path}'"
                    )
                candidate.ClearField(path)
                if path == "labels":
                    candidate.labels.update(subscription.labels)
                elif path in ("ack_deadline_seconds", "retain_acked_messages", "detached"):
                    setattr(candidate, path, getattr(subscription, path))
                elif subscription.HasField(path):
                    getattr(candidate, path).CopyFrom(getattr(subscription, path))
            normalised = config.normalise_subscription(candidate)
            if normalised.HasField("dead_letter_policy"):
                self._topic(normalised.dead_letter_policy.dead_letter_topic)
            record.config = normalised
            record.delivery.reconfigure(
                max_delivery_attempts=config.max_attempts_of(normalised),
                retry_policy=config.retry_policy_of(normalised),
            )
            self._record({"op": "sub", "pb": encode_pb(normalised)})
            self._cond.notify_all()
            return self._copy(normalised)

    def modify_push_config(self, name: str, push_config: Any) -> None:
        if push_config.push_endpoint:
            config.validate_push_config(push_config)
        with self._cond:
            record = self._sub(name)
            record.config.ClearField("push_config")
            if push_config.push_endpoint:
                record.config.push_config.CopyFrom(push_config)
            self._record({"op": "sub", "pb": encode_pb(record.config)})
            self._cond.notify_all()

    def get_subscription(self, name: str) -> Any:
        with self._cond:
            return self._copy(self._sub(name).config)

    def list_subscriptions(self, project: str, page_size: int, token: str) -> tuple[list[Any], str]:
        project_id = names.validate_project(project)
        with self._cond:
            found = sorted(n for n in self._subs if names.project_of(n) == project_id)
            page = _page(found, page_size, token)
            return [self._copy(self._subs[n].config) for n in page.items], page.next_token

    def detach_subscription(self, name: str) -> None:
        """Cut a subscription off its topic, as Google's DetachSubscription: its messages are dropped, nothing
        new reaches it, and pulling from it fails; the subscription itself stays, marked ``detached``."""
        with self._cond:
            record = self._sub(name)
            record.config.detached = True
            dropped = [pending.message.message_id for pending in record.delivery.all_pending()]
            record.delivery.drop(dropped)
            self._record({"op": "sub", "pb": encode_pb(record.config)})
            self._acked(name, dropped)
            self._cond.notify_all()

    def delete_subscription(self, name: str) -> None:
        with self._cond:
            self._sub(name)
            del self._subs[name]
            self._record({"op": "sub_del", "name": name})
            self._cond.notify_all()

    # ------------------------------------------------------------------ leasing
    def pull(self, name: str, max_messages: int, wait_s: float) -> list[Any]:
        if max_messages <= 0:
            raise invalid_argument("max_messages must be a positive integer.")
        deadline = self.now() + max(0.0, wait_s)
        with self._cond:
            while True:
                record = self._attached_sub(name)
                now = self.now()
                self._expire_locked(now)
                leases = record.delivery.take(
                    now,
                    max_messages=max_messages,
                    ack_deadline_s=record.config.ack_deadline_seconds,
                    holder="pull",
                )
                if leases or now >= deadline or self._stopped:
                    return [self._received(record.config, lease) for lease in leases]
                self._wait_locked(deadline)

    def acknowledge(self, name: str, ack_ids: Iterable[str]) -> None:
        ack_ids = list(ack_ids)
        if not ack_ids:
            raise invalid_argument("No ack ids specified.")
        with self._cond:
            self._acked(name, self._sub(name).delivery.acknowledge(ack_ids))
            self._cond.notify_all()

    def modify_ack_deadline(self, name: str, ack_ids: Iterable[str], seconds: int) -> None:
        ack_ids = list(ack_ids)
        if not ack_ids:
            raise invalid_argument("No ack ids specified.")
        if not 0 <= seconds <= config.MAX_ACK_DEADLINE_S:
            raise invalid_argument(
                f"Invalid ack deadline given: {seconds}. It must be between 0 and {config.MAX_ACK_DEADLINE_S}."
            )
        with self._cond:
            record = self._sub(name)
            dead = record.delivery.modify_deadline(ack_ids, seconds, self.now())
            self._dead_letter_locked(record, dead)
            self._cond.notify_all()

    # ------------------------------------------------------------------ streaming pull
    def open_stream(self, first: Any) -> Stream:
        if not first.subscription:
            raise invalid_argument("The subscription must be set in the first StreamingPullRequest.")
        deadline = first.stream_ack_deadline_seconds
        if not MIN_STREAM_ACK_DEADLINE_S <= deadline <= MAX_STREAM_ACK_DEADLINE_S:
            raise invalid_argument(
                f"Invalid stream_ack_deadline_seconds: {deadline}. It must be between "
                f"{MIN_STREAM_ACK_DEADLINE_S} and {MAX_STREAM_ACK_DEADLINE_S}."
            )
        with self._cond:
            self._attached_sub(first.subscription)
            stream = Stream(
                stream_id=f"stream-{next(self._stream_ids)}",
                subscription=first.subscription,
                ack_deadline_s=deadline,
                max_messages=max(0, first.max_outstanding_messages),
                max_bytes=max(0, first.max_outstanding_bytes),
                client_id=first.client_id,
            )
            self._streams[stream.stream_id] = stream
        self.stream_request(stream, first)
        return stream

    def stream_request(self, stream: Stream, request: Any) -> None:
        """Apply the acks, deadline changes and settings carried by one stream request."""
        with self._cond:
            record = self._subs.get(stream.subscription)
            if record is None:
                return
            if request.stream_ack_deadline_seconds:
                stream.ack_deadline_s = min(
                    MAX_STREAM_ACK_DEADLINE_S,
                    max(MIN_STREAM_ACK_DEADLINE_S, request.stream_ack_deadline_seconds),
                )
            if request.ack_ids:
                self._acked(stream.subscription, record.delivery.acknowledge(request.ack_ids))
            if len(request.modify_deadline_ack_ids) != len(request.modify_deadline_seconds):
                return
            now = self.now()
            for ack_id, seconds in zip(
                request.modify_deadline_ack_ids, request.modify_deadline_seconds, strict=True
            ):
                dead = record.delivery.modify_deadline([ack_id], seconds, now)
                self._dead_letter_locked(record, dead)
            self._cond.notify_all()

    def next_stream_batch(
        self, stream: Stream, is_open: Callable[[], bool], wait_cap_s: float
    ) -> list[Any] | None:
        """Block until messages can be sent on ``stream``; ``None`` once its subscription is gone."""
        deadline = self.now() + wait_cap_s
        with self._cond:
            while True:
                if self._stopped or stream.closed or not is_open():
                    return []
                record = self._subs.get(stream.subscription)
                if record is None:
                    return None
                now = self.now()
                self._expire_locked(now)
                if not config.is_push(record.config):
                    leases = self._take_for_stream(record, stream, now)
                    if leases:
                        return [self._received(record.config, lease) for lease in leases]
                if now >= deadline:
                    return []
                self._wait_locked(deadline)

    def close_stream(self, stream: Stream) -> None:
        with self._cond:
            stream.closed = True
            self._streams.pop(stream.stream_id, None)
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # ------------------------------------------------------------------ push
    def next_push_deliveries(
        self, in_flight: Callable[[str], int], per_subscription: int, wait_cap_s: float
    ) -> list[PushDelivery]:
        """Block until some push subscription has a message to deliver (or ``wait_cap_s``)."""
        deadline = self.now() + wait_cap_s
        with self._cond:
            while not self._stopped:
                now = self.now()
                self._expire_locked(now)
                found: list[PushDelivery] = []
                for record in self._subs.values():
                    if not config.is_push(record.config) or record.config.detached:
                        continue
                    room = per_subscription - in_flight(record.config.name)
                    if room <= 0:
                        continue
                    for lease in record.delivery.take(
                        now,
                        max_messages=room,
                        ack_deadline_s=record.config.ack_deadline_seconds,
                        holder=PUSH_HOLDER,
                        # Pushes run concurrently, so a key goes out one message at a time.
                        one_per_key=True,
                    ):
                        found.append(PushDelivery(self._copy(record.config), lease))
                if found or now >= deadline:
                    return found
                self._wait_locked(deadline)
            return []

    def push_backlog(self) -> int:
        """Messages of push subscriptions not yet acknowledged by their endpoint (sent or waiting)."""
        with self._cond:
            return sum(record.delivery.backlog_size + record.delivery.lease_count
                       for record in self._subs.values()
                       if config.is_push(record.config) and not record.config.detached)

    def push_outcome(self, subscription: str, ack_id: str, success: bool, fallback: RetryPolicy) -> None:
        with self._cond:
            record = self._subs.get(subscription)
            if record is None:
                return
            if success:
                self._acked(subscription, record.delivery.acknowledge([ack_id]))
            else:
                dead = record.delivery.modify_deadline([ack_id], 0, self.now(), fallback_retry=fallback)
                self._dead_letter_locked(record, dead)
            self._cond.notify_all()

    def received_message(self, subscription: Any, lease: Lease) -> Any:
        return self._received(subscription, lease)

    # ------------------------------------------------------------------ internals
    def _topic(self, name: str) -> Any:
        topic = self._topics.get(name)
        if topic is None:
            raise names.resource_not_found(name)
        return topic

    def _sub(self, name: str) -> SubscriptionRecord:
        record = self._subs.get(name)
        if record is None:
            raise names.resource_not_found(name)
        return record

    def _attached_sub(self, name: str) -> SubscriptionRecord:
        record = self._sub(name)
        if record.config.detached:
            raise failed_precondition(f"Subscription has been detached from its topic: {name}")
        return record

    @staticmethod
    def _copy(message: Any) -> Any:
        duplicate = type(message)()
        duplicate.CopyFrom(message)
        return duplicate

    def _publish_locked(self, topic: str, message: Any) -> str:
        stored = ps.PubsubMessage.pb()()
        stored.CopyFrom(message)
        stored.message_id = str(next(self._message_ids))
        # Microsecond precision keeps the RFC 3339 form parseable by firebase-functions.
        stored.publish_time.FromDatetime(self._wall().astimezone(UTC))
        receivers = [
            name
            for name, record in self._subs.items()
            if record.config.topic == topic
            and not record.config.detached
            # A message the filter rejects counts as acknowledged at once, as on Google.
            and (record.accepts is None or record.accepts(stored.attributes))
        ]
        self._deliver_to(stored, receivers)
        self._record({"op": "pub", "msg": encode_pb(stored), "subs": receivers})
        return str(stored.message_id)

    def _deliver_to(self, stored: Any, receivers: Iterable[str]) -> None:
        size = stored.ByteSize()
        for name in receivers:
            record = self._subs.get(name)
            if record is not None and not record.delivery.holds(stored.message_id):
                record.delivery.enqueue(Pending(seq=next(self._seq), message=stored, size=size))

    def _dead_letter_locked(self, record: SubscriptionRecord, dead: list[Pending]) -> None:
        if not dead:
            return
        self._acked(record.config.name, [p.message.message_id for p in dead])
        target = record.config.dead_letter_policy.dead_letter_topic
        if target not in self._topics:
            return  # Google drops them too when the dead-letter topic has vanished.
        project = names.project_of(record.config.name)
        for pending in dead:
            forwarded = ps.PubsubMessage.pb()()
            forwarded.data = pending.message.data
            forwarded.attributes.update(pending.message.attributes)
            forwarded.ordering_key = pending.message.ordering_key
            forwarded.attributes.update(
                dict(
                    zip(
                        DEAD_LETTER_ATTRIBUTES,
                        (
                            str(pending.attempts),
                            names.short_id(record.config.name),
                            project,
                            pending.message.publish_time.ToJsonString(),
                        ),
                        strict=True,
                    )
                )
            )
            self._publish_locked(target, forwarded)

    def _expire_locked(self, now: float) -> None:
        for record in self._subs.values():
            dead = record.delivery.expire(now)
            self._dead_letter_locked(record, dead)

    def _take_for_stream(self, record: SubscriptionRecord, stream: Stream, now: float) -> list[Lease]:
        count, size = record.delivery.outstanding(stream.stream_id)
        room = (stream.max_messages - count) if stream.max_messages else 1000
        byte_room = (stream.max_bytes - size) if stream.max_bytes else 0
        if room <= 0 or (stream.max_bytes and byte_room <= 0):
            return []
        return record.delivery.take(
            now,
            max_messages=min(room, 1000),
            ack_deadline_s=stream.ack_deadline_s,
            holder=stream.stream_id,
            max_bytes=byte_room,
        )

    def _received(self, subscription: Any, lease: Lease) -> Any:
        received = ps.ReceivedMessage.pb()()
        received.ack_id = lease.ack_id
        received.message.CopyFrom(lease.pending.message)
        if config.max_attempts_of(subscription) is not None:
            received.delivery_attempt = lease.pending.attempts
        return received

    def _next_event_locked(self, now: float) -> float | None:
        moments = [m for r in self._subs.values() if (m := r.delivery.next_event(now)) is not None]
        return min(moments) if moments else None

    def _wait_locked(self, deadline: float) -> None:
        now = self.now()
        wake_at = deadline
        upcoming = self._next_event_locked(now)
        if upcoming is not None:
            wake_at = min(wake_at, upcoming)
        self._cond.wait(timeout=max(0.005, wake_at - now))

    # ------------------------------------------------------------------ persistence
    def _record(self, record: dict[str, Any]) -> None:
        if self._journal is None:
            return
        self._journal.append(record)
        if self._journal.wants_compaction:
            self._journal.compact(self._state_records())

    def _acked(self, subscription: str, message_ids: list[str]) -> None:
        if message_ids:
            self._record({"op": "ack", "sub": subscription, "ids": message_ids})

    def _drop_topic(self, name: str) -> None:
        self._topics.pop(name, None)
        # Google keeps the subscriptions, detached from any topic.
        for record in self._subs.values():
            if record.config.topic == name:
                record.config.topic = names.DELETED_TOPIC

    def _state_records(self) -> Iterator[dict[str, Any]]:
        """The whole state as journal records: what a snapshot holds."""
        for topic in self._topics.values():
            yield {"op": "topic", "pb": encode_pb(topic)}
        for record in self._subs.values():
            yield {"op": "sub", "pb": encode_pb(record.config)}
        holders: dict[str, tuple[int, Any, list[str]]] = {}
        for name, record in self._subs.items():
            for pending in record.delivery.all_pending():
                seq, message, subs = holders.get(
                    pending.message.message_id, (pending.seq, pending.message, [])
                )
                subs.append(name)
                holders[pending.message.message_id] = (min(seq, pending.seq), message, subs)
        for _seq, message, subs in sorted(holders.values(), key=lambda item: item[0]):
            yield {"op": "pub", "msg": encode_pb(message), "subs": subs}

    def _restore(self, records: Iterable[dict[str, Any]]) -> None:
        """Rebuild state from journal records; replaying a record twice changes nothing."""
        highest_id = 0
        for entry in records:
            op = entry.get("op")
            if op == "topic":
                topic = decode_pb(ps.Topic.pb(), entry["pb"])
                self._topics[topic.name] = topic
            elif op == "topic_del":
                self._drop_topic(entry["name"])
            elif op == "sub":
                sub = decode_pb(ps.Subscription.pb(), entry["pb"])
                existing = self._subs.get(sub.name)
                if existing is None:
                    self._subs[sub.name] = SubscriptionRecord(
                        config=sub,
                        delivery=DeliveryState(
                            ordered=sub.enable_message_ordering,
                            max_delivery_attempts=config.max_attempts_of(sub),
                            retry_policy=config.retry_policy_of(sub),
                        ),
                        accepts=compile_filter(sub.filter) if sub.filter else None,
                    )
                else:
                    existing.config = sub
                    existing.delivery.reconfigure(
                        max_delivery_attempts=config.max_attempts_of(sub),
                        retry_policy=config.retry_policy_of(sub),
                    )
            elif op == "sub_del":
                self._subs.pop(entry["name"], None)
            elif op == "pub":
                message = decode_pb(ps.PubsubMessage.pb(), entry["msg"])
                self._deliver_to(message, entry["subs"])
                if message.message_id.isdigit():
                    highest_id = max(highest_id, int(message.message_id))
            elif op == "ack":
                record = self._subs.get(entry["sub"])
                if record is not None:
                    record.delivery.drop(entry["ids"])
        if highest_id:
            self._message_ids = itertools.count(highest_id + 1)

    def _reap_forever(self) -> None:
        # Expires leases even when nobody is pulling, so dead-lettering happens on time.
        with self._cond:
            while not self._stopped:
                now = self.now()
                self._expire_locked(now)
                upcoming = self._next_event_locked(now)
                timeout = 60.0 if upcoming is None else max(0.005, upcoming - now)
                self._cond.wait(timeout=timeout)


def _validate_message(message: Any) -> None:
    if not message.data and not message.attributes:
        raise invalid_argument(
            "Some messages are empty: a message must contain data or at least one attribute."
        )
    for key, value in message.attributes.items():
        if not key or len(key.encode()) > MAX_ATTRIBUTE_KEY_BYTES:
            raise invalid_argument(f"Invalid attribute key: '{key}'.")
        if key.startswith("goog"):
            raise invalid_argument(f"Attribute keys cannot start with 'goog': '{key}'.")
        if len(value.encode()) > MAX_ATTRIBUTE_VALUE_BYTES:
            raise invalid_argument(f"Attribute value for key '{key}' is too long.")
    if len(message.ordering_key.encode()) > MAX_ORDERING_KEY_BYTES:
        raise invalid_argument("The ordering key is too long.")
