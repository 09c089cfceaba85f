"""Subscription settings: Google's defaults, ranges and error messages (pure)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from google.pubsub_v1.types import pubsub as ps

from localcloud.pubsub import names
from localcloud.pubsub.delivery import DEFAULT_RETRY_MAX_S, DEFAULT_RETRY_MIN_S, RetryPolicy
from localcloud.pubsub.filter import compile_filter
from localcloud.pubsub.rpc import invalid_argument

DEFAULT_ACK_DEADLINE_S = 10
MIN_ACK_DEADLINE_S = 10
MAX_ACK_DEADLINE_S = 600
DEFAULT_MAX_DELIVERY_ATTEMPTS = 5
MIN_MAX_DELIVERY_ATTEMPTS = 5
MAX_MAX_DELIVERY_ATTEMPTS = 100
DEFAULT_RETENTION_S = 7 * 24 * 3600
DEFAULT_EXPIRATION_TTL_S = 31 * 24 * 3600

# Our own push attribute: how a push subscription formats each delivery. Google's push
# attributes only know ``x-goog-version`` (real Pub/Sub may reject this key), so it is
# for local wiring only: it lets the local functions host receive CloudEvents.
FORMAT_ATTRIBUTE = "x-localcloud-format"
FORMAT_PUSH = "push"
FORMAT_CLOUDEVENT_BINARY = "cloudevent-binary"
FORMAT_CLOUDEVENT_STRUCTURED = "cloudevent-structured"
FORMATS = {FORMAT_PUSH, FORMAT_CLOUDEVENT_BINARY, FORMAT_CLOUDEVENT_STRUCTURED}

SubscriptionPb = Any


def seconds(duration: Any) -> float:
    return float(duration.seconds) + duration.nanos / 1e9


def normalise_subscription(subscription: SubscriptionPb) -> SubscriptionPb:
    """Validate a Subscription and fill the defaults Google reports back."""
    sub = ps.Subscription.pb()()
    sub.CopyFrom(subscription)
    if sub.ack_deadline_seconds == 0:
        sub.ack_deadline_seconds = DEFAULT_ACK_DEADLINE_S
    if not MIN_ACK_DEADLINE_S <= sub.ack_deadline_seconds <= MAX_ACK_DEADLINE_S:
        raise invalid_argument(
            f"Invalid ack_deadline_seconds: {sub.ack_deadline_seconds}; it must be between "
            f"{MIN_ACK_DEADLINE_S} and {MAX_ACK_DEADLINE_S}."
        )
    if not sub.HasField("message_retention_duration"):
        sub.message_retention_duration.seconds = DEFAULT_RETENTION_S
    if not sub.HasField("expiration_policy"):
        sub.expiration_policy.ttl.seconds = DEFAULT_EXPIRATION_TTL_S
    if sub.filter:
        compile_filter(sub.filter)
    if sub.enable_exactly_once_delivery:
        # Refused rather than silently downgraded to at-least-once.
        raise invalid_argument("Exactly-once delivery is not supported by the localcloud emulator.")
    if sub.HasField("push_config") and sub.push_config.push_endpoint:
        validate_push_config(sub.push_config)
    if sub.HasField("dead_letter_policy"):
        policy = sub.dead_letter_policy
        names.validate(policy.dead_letter_topic, "topics", "dead_letter_topic")
        if policy.max_delivery_attempts == 0:
            policy.max_delivery_attempts = DEFAULT_MAX_DELIVERY_ATTEMPTS
        if not MIN_MAX_DELIVERY_ATTEMPTS <= policy.max_delivery_attempts <= MAX_MAX_DELIVERY_ATTEMPTS:
            raise invalid_argument(
                "Invalid max_delivery_attempts: it must be between "
                f"{MIN_MAX_DELIVERY_ATTEMPTS} and {MAX_MAX_DELIVERY_ATTEMPTS}."
            )
    if sub.HasField("retry_policy"):
        policy = sub.retry_policy
        if not policy.HasField("minimum_backoff"):
            policy.minimum_backoff.seconds = int(DEFAULT_RETRY_MIN_S)
        if not policy.HasField("maximum_backoff"):
            policy.maximum_backoff.seconds = int(DEFAULT_RETRY_MAX_S)
        low, high = seconds(policy.minimum_backoff), seconds(policy.maximum_backoff)
        if not (0 <= low <= 600 and 0 <= high <= 600 and low <= high):
            raise invalid_argument(
                "Invalid retry_policy: backoffs must be within [0s, 600s] and minimum <= maximum."
            )
    sub.state = int(ps.Subscription.State.ACTIVE)
    return sub


def validate_push_config(push_config: Any) -> None:
    endpoint = urlparse(push_config.push_endpoint)
    if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
        raise invalid_argument(f"Invalid push endpoint given (endpoint={push_config.push_endpoint}).")
    chosen = push_config.attributes.get(FORMAT_ATTRIBUTE, FORMAT_PUSH)
    if chosen not in FORMATS:
        raise invalid_argument(
            f"Invalid push attribute {FORMAT_ATTRIBUTE}={chosen!r}; use one of {sorted(FORMATS)}."
        )


def retry_policy_of(sub: SubscriptionPb) -> RetryPolicy | None:
    if not sub.HasField("retry_policy"):
        return None
    return RetryPolicy(seconds(sub.retry_policy.minimum_backoff), seconds(sub.retry_policy.maximum_backoff))


def max_attempts_of(sub: SubscriptionPb) -> int | None:
    if not sub.HasField("dead_letter_policy") or not sub.dead_letter_policy.dead_letter_topic:
        return None
    return int(sub.dead_letter_policy.max_delivery_attempts)


def is_push(sub: SubscriptionPb) -> bool:
    return bool(sub.HasField("push_config") and sub.push_config.push_endpoint)
