"""How much work an emulator has taken on and not finished: what tells "idle" from "between two steps".

Each emulator that delivers to the functions (Firestore triggers, Pub/Sub pushes, Twilio callbacks)
counts a delivery from the moment it exists until the function has answered it, so work is never
invisible while it travels. Cloud Tasks needs no counter: a task stays listed until its answer.
The HTTP emulators answer ``GET /_localcloud/activity``; the gRPC ones a method of their own.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import grpc

ACTIVITY_PATH = "/_localcloud/activity"
ACTIVITY_METHOD = "/localcloud.v1.Activity/Pending"


class PendingWork:
    """A thread-safe count of deliveries begun and not yet finished."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 0

    def begin(self) -> None:
        with self._lock:
            self._pending += 1

    def end(self) -> None:
        with self._lock:
            self._pending -= 1

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending


def activity_json(pending: int) -> bytes:
    return json.dumps({"pending": pending}).encode()


def grpc_activity_handler(pending: Callable[[dict[str, Any]], int]) -> grpc.GenericRpcHandler:
    """The activity method for a gRPC emulator; request and answer are JSON bytes (no proto to ship).

    ``pending(request)`` gets the decoded request (e.g. Cloud Tasks' ``horizon_s``)."""
    import grpc

    service, method = ACTIVITY_METHOD.strip("/").split("/")

    def answer(request: bytes, _context: Any) -> bytes:
        return activity_json(pending(json.loads(request or b"{}")))

    return grpc.method_handlers_generic_handler(service, {
        method: grpc.unary_unary_rpc_method_handler(
            answer, request_deserializer=lambda raw: raw, response_serializer=lambda raw: raw),
    })


def grpc_pending(host: str, request: dict[str, Any] | None = None, timeout_s: float = 10.0) -> int:
    """Ask the gRPC emulator at ``host`` (HOST:PORT) how much work it has in hand."""
    import grpc

    with grpc.insecure_channel(host) as channel:
        call = channel.unary_unary(ACTIVITY_METHOD, request_serializer=lambda raw: raw,
                                   response_deserializer=lambda raw: raw)
        return int(json.loads(call(json.dumps(request or {}).encode(), timeout=timeout_s))["pending"])
