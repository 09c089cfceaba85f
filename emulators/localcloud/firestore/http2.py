"""A small HTTP/2 server connection (RFC 9113), enough for gRPC, on a socket the front door accepted.

Why our own: behind grpcio every RPC crossed five threads (the front door's splice in, grpcio's event
engine, its completion-queue poller, the handler pool, the splice out) and a profile of the emulator
under single-document writes spent ~30% of its CPU in the kernel switching between them. Here the
thread that reads a connection parses the frames and, for a call that cannot wait, runs it and writes
the answer itself: one wake-up per RPC.

Scope: cleartext HTTP/2 with prior knowledge (what gRPC clients speak to an emulator), any number of
concurrent streams, CONTINUATION, padding, flow control both ways, SETTINGS, PING, WINDOW_UPDATE,
RST_STREAM and GOAWAY. Header blocks are decoded with the ``hpack`` package; answers use literal header
fields only, so there is no encoder state to keep in step with the client. Priorities are ignored, there
is no server push and no h2c upgrade.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

SETTINGS_INITIAL_WINDOW_SIZE = 0x4
SETTINGS_MAX_FRAME_SIZE = 0x5
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
CANCEL = 0x8

DEFAULT_WINDOW = 65_535
DEFAULT_MAX_FRAME = 16_384
# What a client may send ahead of our WINDOW_UPDATEs, per stream and per connection: large, so a
# request is never held up by flow control on a loopback connection.
RECEIVE_WINDOW = 1 << 24
# A streaming sender waits while more than this is queued for its stream (the client reads slowly).
BACKLOG_BYTES = 1 << 20

_FRAME_HEAD = struct.Struct(">HBBBI")  # 24-bit length as 16 + 8 bits, type, flags, stream id
Header = tuple[bytes, bytes]


def frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    size = len(payload)
    return _FRAME_HEAD.pack(size >> 8, size & 0xFF, kind, flags, stream_id) + payload


def _hpack_int(value: int, prefix_bits: int) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([value])
    out = bytearray([limit])
    value -= limit
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_headers(headers: Sequence[Header]) -> bytes:
    """A header block of literal fields without indexing (``:status: 200`` from the static table)."""
    block = bytearray()
    for name, value in headers:
        if name == b":status" and value == b"200":
            block.append(0x88)
            continue
        block.append(0x00)
        block += _hpack_int(len(name), 7) + name
        block += _hpack_int(len(value), 7) + value
    return bytes(block)


class Stream:
    """One HTTP/2 stream; ``app`` is the application's own state for it."""

    __slots__ = ("app", "closed", "headers", "id", "outbox", "queued", "remote_closed", "send_window", "unacked")

    def __init__(self, stream_id: int, headers: list[tuple[str, str]], send_window: int) -> None:
        self.id = stream_id
        self.headers = headers
        self.send_window = send_window
        self.unacked = 0  # bytes received since our last WINDOW_UPDATE for the stream
        self.outbox: deque[tuple[bool, bytes, bool]] = deque()  # (is data, payload, end stream)
        self.queued = 0  # data bytes in the outbox
        self.remote_closed = False
        self.closed = False  # we ended it, or it was reset: nothing more is sent
        self.app: Any = None

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


class Application(Protocol):
    """What a connection tells the protocol above it (gRPC). Called on the connection's reader thread."""

    def on_stream(self, connection: Connection, stream: Stream) -> None:
        """A new stream with its request headers."""

    def on_data(self, connection: Connection, stream: Stream, data: bytes) -> None:
        """Request body bytes, as they arrive."""

    def on_end(self, connection: Connection, stream: Stream) -> None:
        """The client has sent everything (END_STREAM)."""

    def on_reset(self, connection: Connection, stream: Stream) -> None:
        """The client cancelled the stream, or the connection went away before it ended."""


class Connection:
    def __init__(self, sock: socket.socket, app: Application) -> None:
        self._sock = sock
        self._app = app
        self._decoder = hpack.Decoder()
        self._streams: dict[int, Stream] = {}
        self._lock = threading.Condition()  # windows, outboxes, the stream table and socket writes
        self._send_window = DEFAULT_WINDOW  # connection-level
        self._initial_send_window = DEFAULT_WINDOW
        self._max_send_frame = DEFAULT_MAX_FRAME
        self._unacked = 0  # connection-level bytes received since our last WINDOW_UPDATE
        self._blocked: dict[int, Stream] = {}  # streams with data waiting for the connection window
        self._continuation: tuple[int, int, bytearray] | None = None  # stream id, flags, block so far
        self._last_stream_id = 0
        self._gone = False

    # ------------------------------------------------------------------------------------------
    # Reading

    def serve(self, received: bytes) -> None:
        """Serve until the client closes the connection; ``received`` holds what was read already."""
        try:
            with self._lock:
                self._write(
                    frame(SETTINGS, 0, 0, struct.pack(">HI", SETTINGS_INITIAL_WINDOW_SIZE, RECEIVE_WINDOW))
                    + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", RECEIVE_WINDOW - DEFAULT_WINDOW))
                )
            buffer = bytearray(received)
            while len(buffer) < len(PREFACE):
                if not self._fill(buffer):
                    return
            if bytes(buffer[: len(PREFACE)]) != PREFACE:
                return
            del buffer[: len(PREFACE)]
            while True:
                position = self._handle_frames(buffer)
                del buffer[:position]
                if not self._fill(buffer):
                    return
        except (OSError, hpack.HPACKError, ProtocolError):
            pass
        finally:
            self._abandon()

    def _fill(self, buffer: bytearray) -> bool:
        chunk = self._sock.recv(262_144)
        buffer += chunk
        return bool(chunk)

    def _handle_frames(self, buffer: bytearray) -> int:
        """Handle every complete frame in ``buffer``; returns how many bytes were used."""
        position = 0
        end = len(buffer)
        while end - position >= 9:
            high, low, kind, flags, stream_id = _FRAME_HEAD.unpack_from(buffer, position)
            size = (high << 8) | low
            if end - position - 9 < size:
                break
            payload = bytes(buffer[position + 9 : position + 9 + size])
            position += 9 + size
            self._handle_frame(kind, flags, stream_id & 0x7FFFFFFF, payload)
        return position

    def _handle_frame(self, kind: int, flags: int, stream_id: int, payload: bytes) -> None:
        if self._continuation is not None and kind != CONTINUATION:
            raise ProtocolError("expected CONTINUATION")
        if kind == DATA:
            self._on_data(flags, stream_id, payload)
        elif kind == HEADERS:
            self._on_headers(flags, stream_id, payload)
        elif kind == CONTINUATION:
            self._on_continuation(flags, stream_id, payload)
        elif kind == SETTINGS:
            if not flags & ACK:
                self._on_settings(payload)
        elif kind == WINDOW_UPDATE:
            self._on_window_update(stream_id, struct.unpack(">I", payload)[0] & 0x7FFFFFFF)
        elif kind == PING:
            if not flags & ACK:
                with self._lock:
                    self._write(frame(PING, ACK, 0, payload))
        elif kind == RST_STREAM:
            self._on_reset(stream_id)
        elif kind == PUSH_PROMISE:
            raise ProtocolError("clients do not push")
        # PRIORITY, GOAWAY and unknown frames need nothing from us: a client that sends GOAWAY closes
        # the connection once its streams are done, which ends serve().

    def _on_headers(self, flags: int, stream_id: int, payload: bytes) -> None:
        offset, pad = 0, 0
        if flags & PADDED:
            pad = payload[0]
            offset = 1
        if flags & PRIORITY_FLAG:
            offset += 5
        block = payload[offset : len(payload) - pad]
        if flags & END_HEADERS:
            self._on_header_block(flags, stream_id, block)
        else:
            self._continuation = (stream_id, flags, bytearray(block))

    def _on_continuation(self, flags: int, stream_id: int, payload: bytes) -> None:
        if self._continuation is None or self._continuation[0] != stream_id:
            raise ProtocolError("unexpected CONTINUATION")
        _, first_flags, block = self._continuation
        block += payload
        if flags & END_HEADERS:
            self._continuation = None
            self._on_header_block(first_flags, stream_id, bytes(block))

    def _on_header_block(self, flags: int, stream_id: int, block: bytes) -> None:
        headers = self._decoder.decode(block)  # always decoded: it keeps the HPACK table in step
        stream = self._streams.get(stream_id)
        if stream is None:
            if stream_id <= self._last_stream_id or stream_id % 2 == 0:
                return  # trailers or headers of a stream already finished; nothing to do
            self._last_stream_id = stream_id
            stream = Stream(stream_id, [(str(k), str(v)) for k, v in headers], self._initial_send_window)
            with self._lock:
                self._streams[stream_id] = stream
            self._app.on_stream(self, stream)
        if flags & END_STREAM:
            self._end_of_request(stream)

    def _on_data(self, flags: int, stream_id: int, payload: bytes) -> None:
        self._acknowledge(stream_id, len(payload))
        stream = self._streams.get(stream_id)
        if stream is None or stream.remote_closed:
            return
        data = payload
        if flags & PADDED:
            data = payload[1 : len(payload) - payload[0]]
        if data:
            self._app.on_data(self, stream, data)
        if flags & END_STREAM:
            self._end_of_request(stream)

    def _end_of_request(self, stream: Stream) -> None:
        stream.remote_closed = True
        self._app.on_end(self, stream)
        with self._lock:
            self._forget_if_done(stream)

    def _acknowledge(self, stream_id: int, size: int) -> None:
        """Give back receive window as data arrives (it is buffered at once, never held up)."""
        updates = b""
        self._unacked += size
        if self._unacked >= RECEIVE_WINDOW // 2:
            updates += frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", self._unacked))
            self._unacked = 0
        stream = self._streams.get(stream_id)
        if stream is not None and not stream.remote_closed:
            stream.unacked += size
            if stream.unacked >= RECEIVE_WINDOW // 2:
                updates += frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", stream.unacked))
                stream.unacked = 0
        if updates:
            with self._lock:
                self._write(updates)

    def _on_settings(self, payload: bytes) -> None:
        with self._lock:
            for index in range(0, len(payload) - len(payload) % 6, 6):
                key, value = struct.unpack_from(">HI", payload, index)
                if key == SETTINGS_INITIAL_WINDOW_SIZE:
                    delta = value - self._initial_send_window
                    self._initial_send_window = value
                    for stream in self._streams.values():
                        stream.send_window += delta
                elif key == SETTINGS_MAX_FRAME_SIZE:
                    self._max_send_frame = value
            self._write(frame(SETTINGS, ACK, 0))
            self._flush_all()

    def _on_window_update(self, stream_id: int, increment: int) -> None:
        with self._lock:
            if stream_id == 0:
                self._send_window += increment
                self._flush_all()
            else:
                stream = self._streams.get(stream_id)
                if stream is not None:
                    stream.send_window += increment
                    self._flush(stream)

    def _on_reset(self, stream_id: int) -> None:
        with self._lock:
            stream = self._streams.pop(stream_id, None)
            if stream is None:
                return
            self._close_stream(stream)
        self._app.on_reset(self, stream)

    def _abandon(self) -> None:
        """The connection is gone: every open stream counts as reset."""
        with self._lock:
            self._gone = True
            streams = list(self._streams.values())
            self._streams.clear()
            for stream in streams:
                self._close_stream(stream)
            self._lock.notify_all()
        for stream in streams:
            self._app.on_reset(self, stream)
        with contextlib.suppress(OSError):
            self._sock.close()

    # ------------------------------------------------------------------------------------------
    # Writing (any thread)

    def send(
        self,
        stream: Stream,
        *,
        headers: Sequence[Header] = (),
        data: bytes = b"",
        trailers: Sequence[Header] | None = None,
        wait: bool = False,
    ) -> bool:
        """Queue headers, data (flow controlled) and trailers (ending the stream) and send what the
        windows allow. With ``wait`` block while the stream's backlog is large. False if the stream is
        closed (reset by the client, or the connection is gone): nothing was sent."""
        with self._lock:
            if stream.closed or self._gone:
                return False
            if headers:
                stream.outbox.append((False, encode_headers(headers), False))
            if data:
                stream.outbox.append((True, data, False))
                stream.queued += len(data)
            if trailers is not None:
                stream.outbox.append((False, encode_headers(trailers), True))
            self._flush(stream)
            while wait and stream.queued > BACKLOG_BYTES and not stream.closed and not self._gone:
                self._lock.wait()
            return not self._gone

    def reset(self, stream: Stream, code: int = CANCEL) -> None:
        with self._lock:
            if not stream.closed and not self._gone:
                self._write(frame(RST_STREAM, 0, stream.id, struct.pack(">I", code)))
            self._streams.pop(stream.id, None)
            self._close_stream(stream)

    def go_away(self) -> None:
        """Tell the client no new streams will be served, then close the connection."""
        with self._lock:
            if not self._gone:
                with contextlib.suppress(OSError):
                    self._write(frame(GOAWAY, 0, 0, struct.pack(">II", self._last_stream_id, NO_ERROR)))
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def _flush_all(self) -> None:
        for stream in list(self._blocked.values()):
            self._flush(stream)
        for stream in list(self._streams.values()):
            if stream.outbox:
                self._flush(stream)

    def _flush(self, stream: Stream) -> None:
        """Write as much of the stream's outbox as the windows allow (caller holds the lock)."""
        out = bytearray()
        outbox = stream.outbox
        while outbox and not stream.closed:
            is_data, payload, ends = outbox[0]
            if not is_data:
                out += self._header_frames(stream.id, payload, END_STREAM if ends else 0)
                outbox.popleft()
                if ends:
                    self._close_stream(stream)
                    self._forget_if_done(stream)
                continue
            allowed = min(len(payload), stream.send_window, self._send_window)
            if allowed <= 0:
                self._blocked[stream.id] = stream
                break
            for start in range(0, allowed, self._max_send_frame):
                out += frame(DATA, 0, stream.id, payload[start : min(allowed, start + self._max_send_frame)])
            stream.send_window -= allowed
            self._send_window -= allowed
            stream.queued -= allowed
            if allowed == len(payload):
                outbox.popleft()
            else:
                outbox[0] = (True, payload[allowed:], False)
        if not outbox:
            self._blocked.pop(stream.id, None)
        if out:
            self._write(bytes(out))
        self._lock.notify_all()

    def _header_frames(self, stream_id: int, block: bytes, flags: int) -> bytes:
        limit = self._max_send_frame
        if len(block) <= limit:
            return frame(HEADERS, flags | END_HEADERS, stream_id, block)
        pieces = [block[i : i + limit] for i in range(0, len(block), limit)]
        out = frame(HEADERS, flags, stream_id, pieces[0])
        for piece in pieces[1:-1]:
            out += frame(CONTINUATION, 0, stream_id, piece)
        return out + frame(CONTINUATION, END_HEADERS, stream_id, pieces[-1])

    def _close_stream(self, stream: Stream) -> None:
        stream.closed = True
        stream.outbox.clear()
        stream.queued = 0
        self._blocked.pop(stream.id, None)
        self._lock.notify_all()

    def _forget_if_done(self, stream: Stream) -> None:
        if stream.closed and stream.remote_closed:
            self._streams.pop(stream.id, None)

    def _write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError:
            self._gone = True
            self._lock.notify_all()


class ProtocolError(Exception):
    """The client broke HTTP/2: the connection is closed."""
