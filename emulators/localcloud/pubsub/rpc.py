"""gRPC plumbing shared by the Pub/Sub and Cloud Tasks emulators.

Both servers are built from ``grpc.method_handlers_generic_handler`` with the raw
protobuf classes that ship inside the Google client libraries, so no protoc step
exists. The Cloud Tasks emulator imports this module too.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent import futures
from typing import Any

import grpc


class RpcError(Exception):
    """An error the adapter answers with a gRPC status; raised anywhere below it."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid_argument(message: str) -> RpcError:
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message: str) -> RpcError:
    return RpcError(grpc.StatusCode.NOT_FOUND, message)


def already_exists(message: str) -> RpcError:
    return RpcError(grpc.StatusCode.ALREADY_EXISTS, message)


def failed_precondition(message: str) -> RpcError:
    return RpcError(grpc.StatusCode.FAILED_PRECONDITION, message)


Behaviour = Callable[[Any, grpc.ServicerContext], Any]


def unary(behaviour: Behaviour, request_pb: Any, response_pb: Any) -> grpc.RpcMethodHandler:
    """Wrap ``behaviour(request, context) -> response`` so an ``RpcError`` becomes a status."""

    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return behaviour(request, context)
        except RpcError as error:
            context.abort(error.code, error.message)

    return grpc.unary_unary_rpc_method_handler(
        handle,
        request_deserializer=request_pb.FromString,
        response_serializer=response_pb.SerializeToString,
    )


StreamBehaviour = Callable[[Iterator[Any], grpc.ServicerContext], Iterable[Any]]


def bidi(behaviour: StreamBehaviour, request_pb: Any, response_pb: Any) -> grpc.RpcMethodHandler:
    def handle(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            yield from behaviour(requests, context)
        except RpcError as error:
            context.abort(error.code, error.message)

    return grpc.stream_stream_rpc_method_handler(
        handle,
        request_deserializer=request_pb.FromString,
        response_serializer=response_pb.SerializeToString,
    )


def base_arguments(description: str, default_port: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    return parser


MAX_GRPC_MESSAGE_BYTES = 32 * 1024 * 1024


def serve(
    *,
    name: str,
    host: str,
    port: int,
    handlers: list[grpc.GenericRpcHandler],
    on_stop: Callable[[], None],
    max_workers: int = 64,
    detail: str = "",
) -> int:
    """Run a gRPC server until SIGINT/SIGTERM; print one ``ready`` line once it accepts RPCs."""
    # Streaming pulls park one worker each, so the pool is sized for many idle streams.
    # gRPC's default 4 MiB receive limit is below Pub/Sub's 10 MiB publish limit: a batch of large messages would
    # fail with RESOURCE_EXHAUSTED (which publishers retry forever) instead of reaching the service's own checks.
    options = [
        ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_BYTES),
    ]
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name), options=options
    )
    for handler in handlers:
        server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        print(f"localcloud {name}: cannot bind {host}:{port}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    server.start()
    suffix = f" {detail}" if detail else ""
    print(f"localcloud {name} ready on {host}:{bound}{suffix}", flush=True)
    stop.wait()
    on_stop()
    server.stop(grace=1.0).wait(5.0)
    print(f"localcloud {name} stopped", flush=True)
    return 0
