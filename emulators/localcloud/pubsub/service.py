"""gRPC adapter: google.pubsub.v1 Publisher and Subscriber over the broker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import grpc
from google.protobuf import empty_pb2
from google.pubsub_v1.types import pubsub as ps

from localcloud.pubsub import names
from localcloud.pubsub.broker import Broker
from localcloud.pubsub.rpc import bidi, invalid_argument, unary

PULL_WAIT_CAP_S = 10.0
STREAM_IDLE_WAKE_S = 15.0
EMPTY = empty_pb2.Empty


def _pb(proto_plus_type: Any) -> Any:
    return proto_plus_type.pb()


def _pull_wait(request: Any, context: grpc.ServicerContext) -> float:
    if request.return_immediately:
        return 0.0
    remaining = context.time_remaining()
    budget = PULL_WAIT_CAP_S if remaining is None else min(PULL_WAIT_CAP_S, remaining - 0.5)
    return max(0.0, budget)


class PubSubService:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    # ------------------------------------------------------------------ Publisher
    def create_topic(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.broker.create_topic(request)

    def update_topic(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.broker.update_topic(request.topic, request.update_mask.paths)

    def get_topic(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.broker.get_topic(request.topic)

    def list_topics(self, request: Any, _context: grpc.ServicerContext) -> Any:
        topics, token = self.broker.list_topics(request.project, request.page_size, request.page_token)
        return _pb(ps.ListTopicsResponse)(topics=topics, next_page_token=token)

    def list_topic_subscriptions(self, request: Any, _context: grpc.ServicerContext) -> Any:
        subs, token = self.broker.list_topic_subscriptions(
            request.topic, request.page_size, request.page_token
        )
        return _pb(ps.ListTopicSubscriptionsResponse)(subscriptions=subs, next_page_token=token)

    def list_topic_snapshots(self, request: Any, _context: grpc.ServicerContext) -> Any:
        self.broker.get_topic(request.topic)
        return _pb(ps.ListTopicSnapshotsResponse)()

    def delete_topic(self, request: Any, _context: grpc.ServicerContext) -> Any:
        self.broker.delete_topic(request.topic)
        return EMPTY()

    def publish(self, request: Any, _context: grpc.ServicerContext) -> Any:
        ids = self.broker.publish(request.topic, request.messages)
        return _pb(ps.PublishResponse)(message_ids=ids)

    def detach_subscription(self, request: Any, _context: grpc.ServicerContext) -> Any:
        self.broker.detach_subscription(request.subscription)
        return _pb(ps.DetachSubscriptionResponse)()

    # ------------------------------------------------------------------ Subscriber
    def create_subscription(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.broker.create_subscription(request)

    def get_subscription(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.broker.get_subscription(request.subscription)

    def update_subscription(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.broker.update_subscription(request.subscription, request.update_mask.paths)

    def list_subscriptions(self, request: Any, _context: grpc.ServicerContext) -> Any:
        subs, token = self.broker.list_subscriptions(request.project, request.page_size, request.page_token)
        return _pb(ps.ListSubscriptionsResponse)(subscriptions=subs, next_page_token=token)

    def delete_subscription(self, request: Any, _context: grpc.ServicerContext) -> Any:
        self.broker.delete_subscription(request.subscription)
        return EMPTY()

    def modify_push_config(self, request: Any, _context: grpc.ServicerContext) -> Any:
        self.broker.modify_push_config(request.subscription, request.push_config)
        return EMPTY()

    def pull(self, request: Any, context: grpc.ServicerContext) -> Any:
        received = self.broker.pull(request.subscription, request.max_messages, _pull_wait(request, context))
        return _pb(ps.PullResponse)(received_messages=received)

    def acknowledge(self, request: Any, _context: grpc.ServicerContext) -> Any:
        self.broker.acknowledge(request.subscription, request.ack_ids)
        return EMPTY()

    def modify_ack_deadline(self, request: Any, _context: grpc.ServicerContext) -> Any:
        self.broker.modify_ack_deadline(request.subscription, request.ack_ids, request.ack_deadline_seconds)
        return EMPTY()

    def streaming_pull(self, requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            first = next(requests)
        except StopIteration:
            return
        if first.modify_deadline_ack_ids and len(first.modify_deadline_ack_ids) != len(
            first.modify_deadline_seconds
        ):
            raise invalid_argument(
                "modify_deadline_ack_ids and modify_deadline_seconds must have the same length."
            )
        stream = self.broker.open_stream(first)
        reader_done = threading.Event()

        def read_requests() -> None:
            # Acks and deadline changes arrive while we are blocked sending; read them apart.
            try:
                for request in requests:
                    self.broker.stream_request(stream, request)
            except Exception:  # the client went away; the stream ends below
                pass
            finally:
                reader_done.set()
                self.broker.wake()

        def on_done() -> None:
            reader_done.set()
            self.broker.wake()

        context.add_callback(on_done)
        threading.Thread(target=read_requests, name="pubsub-stream-reader", daemon=True).start()
        properties = _pb(ps.StreamingPullResponse.SubscriptionProperties)(
            exactly_once_delivery_enabled=False,
            message_ordering_enabled=self.broker.get_subscription(first.subscription).enable_message_ordering,
        )
        try:
            while True:

                def is_open() -> bool:
                    return not reader_done.is_set() and context.is_active()

                batch = self.broker.next_stream_batch(stream, is_open, STREAM_IDLE_WAKE_S)
                if batch is None:
                    raise names.resource_not_found(stream.subscription)
                if not is_open() or self.broker.stopped:
                    return
                if batch:
                    yield _pb(ps.StreamingPullResponse)(
                        received_messages=batch, subscription_properties=properties
                    )
        finally:
            self.broker.close_stream(stream)

    # ------------------------------------------------------------------ wiring
    def handlers(self) -> list[grpc.GenericRpcHandler]:
        publisher = {
            "CreateTopic": unary(self.create_topic, _pb(ps.Topic), _pb(ps.Topic)),
            "UpdateTopic": unary(self.update_topic, _pb(ps.UpdateTopicRequest), _pb(ps.Topic)),
            "GetTopic": unary(self.get_topic, _pb(ps.GetTopicRequest), _pb(ps.Topic)),
            "ListTopics": unary(self.list_topics, _pb(ps.ListTopicsRequest), _pb(ps.ListTopicsResponse)),
            "ListTopicSubscriptions": unary(
                self.list_topic_subscriptions,
                _pb(ps.ListTopicSubscriptionsRequest),
                _pb(ps.ListTopicSubscriptionsResponse),
            ),
            "ListTopicSnapshots": unary(
                self.list_topic_snapshots,
                _pb(ps.ListTopicSnapshotsRequest),
                _pb(ps.ListTopicSnapshotsResponse),
            ),
            "DeleteTopic": unary(self.delete_topic, _pb(ps.DeleteTopicRequest), EMPTY),
            "Publish": unary(self.publish, _pb(ps.PublishRequest), _pb(ps.PublishResponse)),
            "DetachSubscription": unary(
                self.detach_subscription,
                _pb(ps.DetachSubscriptionRequest),
                _pb(ps.DetachSubscriptionResponse),
            ),
        }
        subscriber = {
            "CreateSubscription": unary(self.create_subscription, _pb(ps.Subscription), _pb(ps.Subscription)),
            "GetSubscription": unary(
                self.get_subscription, _pb(ps.GetSubscriptionRequest), _pb(ps.Subscription)
            ),
            "UpdateSubscription": unary(
                self.update_subscription, _pb(ps.UpdateSubscriptionRequest), _pb(ps.Subscription)
            ),
            "ListSubscriptions": unary(
                self.list_subscriptions, _pb(ps.ListSubscriptionsRequest), _pb(ps.ListSubscriptionsResponse)
            ),
            "DeleteSubscription": unary(self.delete_subscription, _pb(ps.DeleteSubscriptionRequest), EMPTY),
            "ModifyPushConfig": unary(self.modify_push_config, _pb(ps.ModifyPushConfigRequest), EMPTY),
            "Pull": unary(self.pull, _pb(ps.PullRequest), _pb(ps.PullResponse)),
            "Acknowledge": unary(self.acknowledge, _pb(ps.AcknowledgeRequest), EMPTY),
            "ModifyAckDeadline": unary(self.modify_ack_deadline, _pb(ps.ModifyAckDeadlineRequest), EMPTY),
            "StreamingPull": bidi(
                self.streaming_pull, _pb(ps.StreamingPullRequest), _pb(ps.StreamingPullResponse)
            ),
        }
        return [
            grpc.method_handlers_generic_handler("google.pubsub.v1.Publisher", publisher),
            grpc.method_handlers_generic_handler("google.pubsub.v1.Subscriber", subscriber),
        ]
