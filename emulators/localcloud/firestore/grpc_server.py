"""gRPC over ``http2``: length-prefixed protobuf messages, the status in trailers, a table of methods.

A unary or server-streaming call that cannot wait is answered on the connection's reader thread, the
cheapest path for a client blocked on its answer. A call that may wait (for a transaction's lock, for
the disk) runs on a worker thread, as does one whose handler raises ``Reschedule`` before it changed
anything. A bidirectional stream gets a thread of its own for its lifetime.

Behaviour follows grpcio's server where clients can see it: ``UNIMPLEMENTED "Method not found!"``,
``INTERNAL "Exception deserializing request!"``, ``UNKNOWN "Exception calling application: ..."``,
initial metadata sent with the first message, messages up to 64 MiB, gzip/deflate requests accepted.
"""

from __future__ import annotations

import logging
import queue
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from localcloud.firestore import errors
from localcloud.firestore.http2 import Connection, Header, Stream

log = logging.getLogger("localcloud.firestore.grpc")

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
WORKER_THREADS = 128
_RESPONSE_HEADERS: tuple[Header, ...] = ((b":status", b"200"), (b"content-type", b"application/grpc"))
_OK_TRAILERS: tuple[Header, ...] = ((b"grpc-status", b"0"),)
_END = object()
_CANCELLED = object()


class Reschedule(Exception):
    """Raised by a handler running on the reader thread that must wait: run it again on a worker."""


class Cancelled(Exception):
    """The client cancelled the call (or went away) while its requests were being read."""


@dataclass(frozen=True)
class Method:
    """``unary``: ``handler(request, call) -> message``; ``server_stream``: ``handler(request, call) ->
    Iterable[message]`` (computed before the first message goes out, so errors become the status);
    ``bidi``: ``handler(requests, call) -> Iterator[message]``. ``inline(request)`` says whether the call
    may run on the reader thread."""

    kind: Literal["unary", "server_stream", "bidi"]
    request_type: Any
    handler: Callable[..., Any]
    inline: Callable[[Any], bool] = lambda _request: False


class Call:
    """One call: its metadata, its requests as they arrive, and how its answer is sent."""

    def __init__(self, connection: Connection, stream: Stream, method: Method) -> None:
        self.connection = connection
        self.stream = stream
        self.method = method
        self.metadata: list[tuple[str, str]] = stream.headers
        self.inline = False  # the handler is running on the reader thread
        self._encoding = stream.header("grpc-encoding") or "identity"
        self._buffer = bytearray()
        self._messages: list[bytes] = []
        self._requests: queue.SimpleQueue[Any] | None = queue.SimpleQueue() if method.kind == "bidi" else None
        self._callbacks: list[Callable[[], None]] = []
        self._headers_sent = False
        self._done = False
        self._lock = threading.Lock()

    def add_done_callback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the call ends, however it ends (answered, cancelled, connection lost)."""
        with self._lock:
            if not self._done:
                self._callbacks.append(callback)
                return
        callback()

    # ------------------------------------------------------------------------------------------
    # Requests

    def receive(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= 5:
            size = int.from_bytes(buffer[1:5], "big")
            if size > MAX_MESSAGE_BYTES:
                raise errors.FirestoreError(
                    "RESOURCE_EXHAUSTED", f"Received message larger than max ({size} vs. {MAX_MESSAGE_BYTES})"
                )
            if len(buffer) < 5 + size:
                return
            message = bytes(buffer[5 : 5 + size])
            if buffer[0]:
                message = self._decompress(message)
            del buffer[: 5 + size]
            if self._requests is not None:
                self._requests.put(message)
            else:
                self._messages.append(message)

    def _decompress(self, message: bytes) -> bytes:
        if self._encoding == "gzip":
            return zlib.decompress(message, wbits=31)
        if self._encoding == "deflate":
            return zlib.decompress(message)
        raise errors.FirestoreError("UNIMPLEMENTED", f"Compression {self._encoding} is not supported.")

    def request(self) -> Any:
        if not self._messages:
            raise errors.FirestoreError("INTERNAL", "Exception deserializing request!")
        try:
            return self.method.request_type.FromString(self._messages[0])
        except Exception as exc:
            raise errors.FirestoreError("INTERNAL", "Exception deserializing request!") from exc

    def requests(self) -> Iterator[Any]:
        """A bidi call's requests, in order; ends when the client half-closes, raises ``Cancelled``."""
        assert self._requests is not None
        while True:
            item = self._requests.get()
            if item is _END or item is _CANCELLED:
                self._requests.put(item)  # later calls see the same end
                if item is _CANCELLED:
                    raise Cancelled()
                return
            yield self.method.request_type.FromString(item)

    def end_of_requests(self) -> None:
        if self._requests is not None:
            self._requests.put(_END)

    def cancel(self) -> None:
        if self._requests is not None:
            self._requests.put(_CANCELLED)
        self.finish()

    # ------------------------------------------------------------------------------------------
    # Answers

    def send_messages(self, messages: Iterable[Any], *, wait: bool = False) -> bool:
        data = b"".join(_framed(message.SerializeToString()) for message in messages)
        headers = () if self._headers_sent else _RESPONSE_HEADERS
        self._headers_sent = True
        return self.connection.send(self.stream, headers=headers, data=data, wait=wait)

    def send_status(self, code: str = "OK", message: str = "", *, data: bytes = b"") -> None:
        """End the call with ``code`` (a trailers-only answer when nothing was sent before)."""
        trailers: tuple[Header, ...] = _OK_TRAILERS
        if code != "OK":
            trailers = (
                (b"grpc-status", str(errors.STATUS_CODES[code]).encode()),
                (b"grpc-message", quote(message, safe=" !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~").encode()),
            )
        headers = () if self._headers_sent else _RESPONSE_HEADERS
        self._headers_sent = True
        self.connection.send(self.stream, headers=headers, data=data, trailers=trailers)
        self.finish()

    def answer(self, messages: list[Any]) -> None:
        """All of a call's messages and the OK status, in one write."""
        data = b"".join(_framed(message.SerializeToString()) for message in messages)
        self.send_status(data=data)

    def finish(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("a call's done callback failed")


def _framed(payload: bytes) -> bytes:
    return b"\x00" + len(payload).to_bytes(4, "big") + payload


class GrpcServer:
    """The ``http2.Application`` serving ``methods`` (keyed by ``/package.Service/Method``)."""

    def __init__(self, methods: dict[str, Method]) -> None:
        self._methods = methods
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, function: Callable[..., None], *args: Any) -> None:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="rpc")
            pool = self._pool
        pool.submit(function, *args)

    # ------------------------------------------------------------------------------------------
    # http2.Application

    def on_stream(self, connection: Connection, stream: Stream) -> None:
        method = self._methods.get(stream.header(":path") or "")
        if method is None:
            call = Call(connection, stream, Method("unary", None, lambda *_: None))
            call.send_status("UNIMPLEMENTED", "Method not found!")
            return
        call = Call(connection, stream, method)
        stream.app = call
        if method.kind == "bidi":
            threading.Thread(target=self._serve_stream, args=(call,), name="rpc-stream", daemon=True).start()

    def on_data(self, connection: Connection, stream: Stream, data: bytes) -> None:
        call: Call | None = stream.app
        if call is None:
            return
        try:
            call.receive(data)
        except errors.FirestoreError as exc:
            stream.app = None
            call.cancel()
            call.send_status(exc.code, exc.message)

    def on_end(self, connection: Connection, stream: Stream) -> None:
        call: Call | None = stream.app
        if call is None:
            return
        if call.method.kind == "bidi":
            call.end_of_requests()
            return
        try:
            request = call.request()
        except errors.FirestoreError as exc:
            call.send_status(exc.code, exc.message)
            return
        if call.method.inline(request):
            try:
                self._answer(call, request, inline=True)
                return
            except Reschedule:
                pass
        self._submit(self._answer, call, request, False)

    def on_reset(self, connection: Connection, stream: Stream) -> None:
        call: Call | None = stream.app
        if call is not None:
            call.cancel()

    # ------------------------------------------------------------------------------------------
    # Running calls

    def _answer(self, call: Call, request: Any, inline: bool) -> None:
        call.inline = inline
        try:
            result = call.method.handler(request, call)
            messages = [result] if call.method.kind == "unary" else list(result)
        except Reschedule:
            if inline:
                raise
            call.send_status("INTERNAL", "a call was rescheduled twice")
            return
        except errors.FirestoreError as exc:
            call.send_status(exc.code, exc.message)
            return
        except Exception as exc:
            log.exception("Exception calling application")
            call.send_status("UNKNOWN", f"Exception calling application: {exc}")
            return
        call.answer(messages)

    def _serve_stream(self, call: Call) -> None:
        responses: Iterator[Any] | None = None
        try:
            responses = call.method.handler(call.requests(), call)
            for response in responses:
                if not call.send_messages([response], wait=True):
                    return  # the client is gone; closing the generator runs its cleanup
            call.send_status()
        except Cancelled:
            pass
        except errors.FirestoreError as exc:
            call.send_status(exc.code, exc.message)
        except Exception as exc:
            log.exception("Exception iterating responses")
            call.send_status("UNKNOWN", f"Exception iterating responses: {exc}")
        finally:
            if responses is not None and hasattr(responses, "close"):
                responses.close()
            call.finish()
