"""``python -m localcloud firestore-web --firestore HOST:PORT``: the Firestore emulator as a browser reaches it.

The Firebase JS SDK in a browser cannot speak gRPC. It talks to Firestore over two HTTP/1.1 transports,
which this server translates to gRPC calls on our Firestore emulator (so security rules, triggers and
listeners behave exactly as for any gRPC client; the caller's ``Authorization`` goes along as metadata):

- **WebChannel** (closure's BrowserChannel, wire version 8) for the ``Listen`` and ``Write`` streams:
  ``/google.firestore.v1.Firestore/{Listen,Write}/channel``. A handshake POST (no ``SID``) opens a session
  and the gRPC stream, carrying the first messages and the init headers (``headers=`` in the body, since
  the SDK sets ``encodeInitMessageHeaders``); later POSTs (``SID``, ``RID``, ``count``/``ofs``/``reqN___data__``
  maps, deduplicated by map id) feed the stream; the backchannel GET (``RID=rpc``, ``AID`` = last array the
  client has, ``CI=0`` streaming or ``CI=1`` long polling) carries the server's arrays
  ``[[id, [<message as proto3 JSON>]], ...]`` in BrowserChannel's length-prefixed chunks. A gRPC error
  becomes ``[{"error": {"code", "status", "message"}}]``, which the SDK turns into the stream's error.
  ``TYPE=terminate`` closes a session; an unknown ``SID`` is answered ``400 Unknown SID``.
  ``GET /_localcloud/stats`` counts sessions, streaming and long-polling backchannels and REST calls.
- **REST/JSON** for the unary RPCs the SDK sends with XHR: ``POST /v1/{database}/documents:commit``,
  ``:batchGet``, ``:beginTransaction``, ``:rollback``, ``/v1/{parent}:runQuery``, ``:runAggregationQuery``
  (streamed results answered as one JSON array); errors as ``{"error": {"code", "message", "status"}}``.

Every answer carries CORS headers for the calling origin (the SDK sends credentials), and ``OPTIONS``
preflights are answered, so a page on another port (the console) can connect with
``connectFirestoreEmulator(db, host, port)``. Google's emulator serves these on its gRPC port; here they
have a port of their own (see docs/emulators.md).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from google.cloud.firestore_v1.types import firestore as _firestore
from google.protobuf import json_format

from localcloud.http_serving import allow_browser_origin, serve_until_signalled

SERVICE = "google.firestore.v1.Firestore"
STREAMS: dict[str, tuple[Any, Any]] = {
    "Listen": (_firestore.ListenRequest.pb(), _firestore.ListenResponse.pb()),
    "Write": (_firestore.WriteRequest.pb(), _firestore.WriteResponse.pb()),
}
# REST method -> (gRPC method, request class, response class, streamed response, field named by the URL path)
UNARY: dict[str, tuple[str, Any, Any, bool, str]] = {
    "commit": ("Commit", _firestore.CommitRequest.pb(), _firestore.CommitResponse.pb(), False, "database"),
    "batchGet": ("BatchGetDocuments", _firestore.BatchGetDocumentsRequest.pb(),
                 _firestore.BatchGetDocumentsResponse.pb(), True, "database"),
    "beginTransaction": ("BeginTransaction", _firestore.BeginTransactionRequest.pb(),
                         _firestore.BeginTransactionResponse.pb(), False, "database"),
    "rollback": ("Rollback", _firestore.RollbackRequest.pb(), None, False, "database"),
    "runQuery": ("RunQuery", _firestore.RunQueryRequest.pb(), _firestore.RunQueryResponse.pb(), True, "parent"),
    "runAggregationQuery": ("RunAggregationQuery", _firestore.RunAggregationQueryRequest.pb(),
                            _firestore.RunAggregationQueryResponse.pb(), True, "parent"),
}
HTTP_STATUS = {
    "INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400, "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403, "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "ABORTED": 409,
    "RESOURCE_EXHAUSTED": 429, "CANCELLED": 499, "UNIMPLEMENTED": 501, "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
CHANNEL_PATH = re.compile(r"^/google\.firestore\.v1\.Firestore/(Listen|Write)/channel$")
REST_PATH = re.compile(r"^/v1/(?P<path>projects/[^:]+):(?P<method>[A-Za-z]+)$")
BACKCHANNEL_HOLD_S = 25.0  # a backchannel GET ends after this (the client opens the next one at once)
SESSION_IDLE_S = 90.0  # a session with no request for this long is closed (the page went away)
EXPOSED = "X-HTTP-Session-Id, X-Client-Wire-Protocol, X-HTTP-Initial-Response"


def _json(obj: Any) -> str:
    # ASCII only: BrowserChannel chunk lengths count characters, and ASCII makes them equal to bytes.
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def chunk(arrays: list[Any]) -> bytes:
    text = _json(arrays)
    return f"{len(text)}\n{text}".encode()


def grpc_error_json(error: grpc.RpcError) -> dict[str, Any]:
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    status = code.name if code is not None else "UNKNOWN"
    message = error.details() if hasattr(error, "details") else str(error)
    return {"error": {"code": HTTP_STATUS.get(status, 500), "status": status, "message": message or status}}


def parse_headers_blob(blob: str) -> dict[str, str]:
    """The init message headers, as closure's HttpCors encodes them: ``Name:value\\r\\n`` repeated."""
    headers: dict[str, str] = {}
    for line in blob.split("\r\n"):
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip().lower()] = value.strip()
    return headers


def parse_maps(body: str) -> tuple[list[tuple[int, str]], dict[str, str]]:
    """``count=N&ofs=K&req0___data__=...`` -> [(map id, raw JSON)], plus the init headers if present."""
    fields = urllib.parse.parse_qs(body, keep_blank_values=True)
    count = int(fields.get("count", ["0"])[0] or 0)
    offset = int(fields.get("ofs", ["0"])[0] or 0)
    maps = []
    for index in range(count):
        data = fields.get(f"req{index}___data__")
        if data:
            maps.append((offset + index, data[0]))
    headers = parse_headers_blob(fields["headers"][0]) if "headers" in fields else {}
    return maps, headers


@dataclass
class Session:
    sid: str
    rpc: str
    metadata: list[tuple[str, str]]
    requests: queue.Queue[Any] = field(default_factory=queue.Queue)
    arrays: list[tuple[int, Any]] = field(default_factory=list)
    next_array_id: int = 1  # array 0 is the handshake's "c"
    last_map_id: int = -1
    closed: bool = False
    backchannel_generation: int = 0
    touched: float = field(default_factory=time.monotonic)
    call: Any = None
    cond: threading.Condition = field(default_factory=threading.Condition)

    def request_iterator(self) -> Iterator[Any]:
        while True:
            item = self.requests.get()
            if item is None:
                return
            yield item

    def feed(self, maps: list[tuple[int, str]]) -> None:
        request_class = STREAMS[self.rpc][0]
        for map_id, raw in maps:
            if map_id <= self.last_map_id:
                continue  # a retried POST: already fed
            self.last_map_id = map_id
            message = json_format.ParseDict(json.loads(raw), request_class(), ignore_unknown_fields=True)
            self.requests.put(message)

    def push(self, payload: Any) -> None:
        with self.cond:
            self.arrays.append((self.next_array_id, payload))
            self.next_array_id += 1
            self.cond.notify_all()

    def last_array_id(self) -> int:
        with self.cond:
            return self.next_array_id - 1

    def acknowledge(self, acked: int) -> None:
        with self.cond:
            self.arrays = [(i, p) for i, p in self.arrays if i > acked]

    def wait_for_arrays(self, after: int, timeout_s: float, generation: int) -> list[tuple[int, Any]]:
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while True:
                ready = [(i, p) for i, p in self.arrays if i > after]
                if ready or self.closed or generation != self.backchannel_generation:
                    return ready
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self.cond.wait(remaining)

    def close(self) -> None:
        with self.cond:
            if self.closed:
                return
            self.closed = True
            self.cond.notify_all()
        self.requests.put(None)
        if self.call is not None:
            self.call.cancel()


class Gateway:
    def __init__(self, firestore_target: str) -> None:
        self.channel = grpc.insecure_channel(firestore_target, options=[
            ("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        self.sessions: dict[str, Session] = {}
        self.lock = threading.Lock()
        # GET /_localcloud/stats: how the SDKs connected (streaming or long-polling backchannels, REST calls).
        self.stats = {"sessions": 0, "backchannel_streaming": 0, "backchannel_long_polling": 0, "rest_calls": 0}
        threading.Thread(target=self._reap, daemon=True, name="webchannel-reaper").start()

    # -------------------------------------------------------------------------------------- WebChannel
    def open_session(self, rpc: str, headers: dict[str, str], maps: list[tuple[int, str]]) -> Session:
        metadata = [("authorization", headers["authorization"])] if "authorization" in headers else []
        session = Session(sid=os.urandom(12).hex(), rpc=rpc, metadata=metadata)
        session.feed(maps)
        request_class, response_class = STREAMS[rpc]
        stub = self.channel.stream_stream(f"/{SERVICE}/{rpc}", request_serializer=request_class.SerializeToString,
                                          response_deserializer=response_class.FromString)
        session.call = stub(session.request_iterator(), metadata=metadata)
        with self.lock:
            self.sessions[session.sid] = session
            self.stats["sessions"] += 1
        threading.Thread(target=self._pump, args=(session,), daemon=True, name=f"webchannel-{rpc}").start()
        return session

    def _pump(self, session: Session) -> None:
        try:
            for response in session.call:
                session.push([json_format.MessageToDict(response)])
            session.push(["close"])
        except grpc.RpcError as error:
            if not session.closed:
                session.push([grpc_error_json(error)])
        finally:
            with session.cond:
                session.closed = True
                session.cond.notify_all()
            session.requests.put(None)

    def session(self, sid: str) -> Session | None:
        with self.lock:
            found = self.sessions.get(sid)
        if found is not None:
            found.touched = time.monotonic()
        return found

    def drop(self, sid: str) -> None:
        with self.lock:
            session = self.sessions.pop(sid, None)
        if session is not None:
            session.close()

    def _reap(self) -> None:
        while True:
            time.sleep(5)
            now = time.monotonic()
            with self.lock:
                stale = [sid for sid, s in self.sessions.items() if now - s.touched > SESSION_IDLE_S]
            for sid in stale:
                self.drop(sid)

    # ------------------------------------------------------------------------------------------ REST
    def unary(self, path: str, method: str, body: bytes, authorization: str | None) -> tuple[int, Any]:
        grpc_method, request_class, response_class, streamed, path_field = UNARY[method]
        with self.lock:
            self.stats["rest_calls"] += 1
        payload = json.loads(body or b"{}")
        request = json_format.ParseDict(payload, request_class(), ignore_unknown_fields=True)
        if path_field == "database":
            request.database = path.split("/documents", 1)[0]
        else:
            setattr(request, path_field, path)
        metadata = [("authorization", authorization)] if authorization else []
        serializer = request_class.SerializeToString
        try:
            if streamed:
                stream = self.channel.unary_stream(f"/{SERVICE}/{grpc_method}", request_serializer=serializer,
                                                   response_deserializer=response_class.FromString)
                return 200, [json_format.MessageToDict(r) for r in stream(request, metadata=metadata, timeout=60)]
            if response_class is None:
                from google.protobuf import empty_pb2

                call = self.channel.unary_unary(f"/{SERVICE}/{grpc_method}", request_serializer=serializer,
                                                response_deserializer=empty_pb2.Empty.FromString)
                call(request, metadata=metadata, timeout=60)
                return 200, {}
            call = self.channel.unary_unary(f"/{SERVICE}/{grpc_method}", request_serializer=serializer,
                                            response_deserializer=response_class.FromString)
            return 200, json_format.MessageToDict(call(request, metadata=metadata, timeout=60))
        except grpc.RpcError as error:
            answer = grpc_error_json(error)
            return int(answer["error"]["code"]), answer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    gateway: Gateway

    def log_message(self, format: str, *args: Any) -> None:
        return

    # ------------------------------------------------------------------------------------ plumbing
    def _cors(self) -> None:
        allow_browser_origin(self)
        self.send_header("Access-Control-Expose-Headers", EXPOSED)

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8",
                extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _params(self) -> tuple[str, dict[str, str]]:
        parsed = urllib.parse.urlsplit(self.path)
        return parsed.path, {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}

    # ------------------------------------------------------------------------------------- methods
    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        requested = self.headers.get("Access-Control-Request-Headers")
        self.send_header("Access-Control-Allow-Headers", requested or "*")
        self.send_header("Access-Control-Max-Age", "3600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        path, params = self._params()
        if path == "/":
            self._answer(200, b"Ok")
            return
        if path == "/_localcloud/stats":
            with self.gateway.lock:
                stats = {**self.gateway.stats, "open_sessions": len(self.gateway.sessions)}
            self._answer(200, _json(stats).encode(), "application/json")
            return
        match = CHANNEL_PATH.match(path)
        if not match:
            self._answer(404, b"Not found")
            return
        self._channel(match.group(1), params, b"")

    def do_POST(self) -> None:
        path, params = self._params()
        body = self._body()
        match = CHANNEL_PATH.match(path)
        if match:
            self._channel(match.group(1), params, body)
            return
        rest = REST_PATH.match(path)
        if rest and rest.group("method") in UNARY:
            try:
                status, answer = self.gateway.unary(urllib.parse.unquote(rest.group("path")), rest.group("method"),
                                                    body, self.headers.get("Authorization"))
            except (ValueError, json_format.ParseError) as error:
                status, answer = 400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": str(error)}}
            self._answer(status, _json(answer).encode(), "application/json; charset=utf-8")
            return
        self._answer(404, b"Not found")

    # ---------------------------------------------------------------------------------- WebChannel
    def _channel(self, rpc: str, params: dict[str, str], body: bytes) -> None:
        sid = params.get("SID")
        if params.get("TYPE") == "terminate":
            if sid:
                self.gateway.drop(sid)
            self._answer(200, b"")
            return
        if not sid:
            if self.command != "POST":
                self._answer(400, b"Bad request: a WebChannel opens with a POST")
                return
            maps, headers = parse_maps(body.decode("utf-8"))
            opened = self.gateway.open_session(rpc, headers, maps)
            extra = {"X-HTTP-Session-Id": opened.sid} if params.get("X-HTTP-Session-Id") else {}
            self._answer(200, chunk([[0, ["c", opened.sid, "", 8]]]), extra=extra)
            return
        session = self.gateway.session(sid)
        if session is None:
            self._answer(400, b"Unknown SID")
            return
        if self.command == "POST":
            maps, _ = parse_maps(body.decode("utf-8"))
            if "AID" in params:
                session.acknowledge(int(params["AID"]))
            try:
                session.feed(maps)
            except (ValueError, json_format.ParseError) as error:
                session.push([{"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": str(error)}}])
            self._answer(200, chunk([1, session.last_array_id(), 0]))
            return
        if params.get("RID") == "rpc":
            self._backchannel(session, int(params.get("AID", "-1")), params.get("CI") == "1")
            return
        self._answer(400, b"Bad request")

    def _backchannel(self, session: Session, acked: int, long_polling: bool) -> None:
        with self.gateway.lock:
            self.gateway.stats["backchannel_long_polling" if long_polling else "backchannel_streaming"] += 1
        session.acknowledge(acked)
        with session.cond:
            session.backchannel_generation += 1
            generation = session.backchannel_generation
            session.cond.notify_all()
        if long_polling:
            ready = session.wait_for_arrays(acked, BACKCHANNEL_HOLD_S, generation)
            if not ready:
                session.push(["noop"])
                ready = session.wait_for_arrays(acked, 0, generation)
            self._answer(200, chunk([[i, p] for i, p in ready]))
            return
        self.send_response(200)
        self._cors()
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache, no-store")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        cursor = acked
        deadline = time.monotonic() + BACKCHANNEL_HOLD_S
        try:
            # Something at once: the SDK's buffering-proxy detection waits for the first bytes.
            if not session.wait_for_arrays(cursor, 0, generation):
                session.push(["noop"])
            while time.monotonic() < deadline and generation == session.backchannel_generation:
                ready = session.wait_for_arrays(cursor, deadline - time.monotonic(), generation)
                if ready:
                    self._write_chunk(chunk([[i, p] for i, p in ready]))
                    cursor = ready[-1][0]
                if session.closed and not [a for a in session.arrays if a[0] > cursor]:
                    break
            self._write_chunk(b"")
        except OSError:
            self.close_connection = True

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud firestore-web")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--firestore", required=True, help="HOST:PORT of the Firestore emulator (gRPC)")
    args = parser.parse_args(argv)
    handler = type("BoundHandler", (Handler,), {"gateway": Gateway(args.firestore)})
    server = Server((args.host, args.port), handler)
    return serve_until_signalled(server, f"localcloud firestore-web ready on {args.host}:{server.server_address[1]} -> {args.firestore}")
