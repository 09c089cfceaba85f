"""What the client SDKs need beyond the Python client: the Write stream, verify writes in commits, and
security rules loaded at runtime (``PUT …:securityRules``) or from ``--rules``."""

from __future__ import annotations

import json
import queue
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from fs_rules_helpers import RULES_FILE, unsigned_jwt
from localcloud.firestore import protos
from localcloud.firestore.server import Emulator
from localcloud.firestore.write_stream import WriteRequest, WriteResponse
from localcloud.testing import run_server

pytestmark = pytest.mark.integration
PROJECT = "demo-protocol"
DATABASE = f"projects/{PROJECT}/databases/(default)"
OWNER = (("authorization", "Bearer owner"),)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    server = Emulator("127.0.0.1", 0)  # no --rules: everything allowed until rules are PUT
    server.start()
    try:
        yield server
    finally:
        server.stop(0)


def _channel(emulator: Emulator) -> grpc.Channel:
    return grpc.insecure_channel(f"127.0.0.1:{emulator.port}")


def _update(name: str, **fields: int) -> Any:
    write = protos.Write()
    write.update.name = f"{DATABASE}/documents/{name}"
    for key, value in fields.items():
        write.update.fields[key].integer_value = value
    return write


def _verify(name: str, precondition: Any) -> Any:
    """A ``Write`` with ``verify = name`` (field 5, absent from the Python protos) and its precondition."""
    write = protos.Write()
    write.current_document.CopyFrom(precondition)
    encoded = f"{DATABASE}/documents/{name}".encode()
    return protos.Write.FromString(write.SerializeToString() + b"\x2a" + _varint(len(encoded)) + encoded)


def _varint(value: int) -> bytes:
    out = b""
    while value > 0x7F:
        out += bytes([(value & 0x7F) | 0x80])
        value >>= 7
    return out + bytes([value])


class WriteStream:
    """A client end of the bidi Write stream: send a request, read its response."""

    def __init__(self, emulator: Emulator, metadata: tuple[tuple[str, str], ...] = OWNER) -> None:
        self._channel = _channel(emulator)
        call = self._channel.stream_stream(
            "/google.firestore.v1.Firestore/Write",
            request_serializer=WriteRequest.SerializeToString,
            response_deserializer=WriteResponse.FromString,
        )
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._responses = call(iter(self._outbox.get, None), metadata=metadata, timeout=10)

    def send(self, request: Any) -> Any:
        self._outbox.put(request)
        return next(self._responses)

    def close(self) -> None:
        self._outbox.put(None)
        self._channel.close()


def test_the_write_stream_hands_out_a_stream_and_commits_each_batch_with_a_fresh_token(emulator: Emulator) -> None:
    stream = WriteStream(emulator)
    try:
        handshake = stream.send(WriteRequest(database=DATABASE))
        assert handshake.stream_id and handshake.stream_token and not handshake.write_results
        first = stream.send(WriteRequest(stream_token=handshake.stream_token, writes=[_update("a/1", v=1), _update("a/2", v=2)]))
        assert len(first.write_results) == 2 and first.commit_time.seconds > 0
        assert first.write_results[0].update_time == first.commit_time
        # The SDK pipelines batches: a token older than the latest is still acknowledged.
        second = stream.send(WriteRequest(stream_token=handshake.stream_token, writes=[_update("a/1", v=3)]))
        assert len({handshake.stream_token, first.stream_token, second.stream_token}) == 3
        assert second.stream_id == handshake.stream_id
        assert (second.commit_time.seconds, second.commit_time.nanos) > (first.commit_time.seconds, first.commit_time.nanos)
    finally:
        stream.close()
    (doc,), _ = emulator.store.documents_snapshot(DATABASE, [f"{DATABASE}/documents/a/1"])
    assert doc.fields["v"].integer_value == 3


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (WriteRequest(database=DATABASE, writes=[_update("a/1", v=1)]), None),
        (WriteRequest(database=DATABASE, stream_id="resumed"), None),
        (WriteRequest(), None),
        (WriteRequest(database=DATABASE), WriteRequest(stream_token=b"forged", writes=[_update("a/1", v=1)])),
    ],
    ids=["writes in the handshake", "resuming a stream", "no database", "a token this stream never issued"],
)
def test_the_write_stream_refuses_malformed_requests(emulator: Emulator, first: Any, second: Any) -> None:
    stream = WriteStream(emulator)
    try:
        with pytest.raises(grpc.RpcError) as raised:
            stream.send(first)
            stream.send(second)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        stream.close()


def test_a_denied_batch_ends_the_write_stream_with_permission_denied(emulator: Emulator) -> None:
    _put_rules(emulator, "rules_version = '2';\nservice cloud.firestore { match /databases/{d}/documents {\n"
               "  match /open/{id} { allow write: if request.auth != null; } } }")
    user = (("authorization", f"Bearer {unsigned_jwt('u1')}"),)
    stream = WriteStream(emulator, user)
    try:
        token = stream.send(WriteRequest(database=DATABASE)).stream_token
        assert stream.send(WriteRequest(stream_token=token, writes=[_update("open/1", v=1)])).write_results
        with pytest.raises(grpc.RpcError) as raised:
            stream.send(WriteRequest(stream_token=token, writes=[_update("open/2", v=1), _update("closed/1", v=1)]))
        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert raised.value.details().startswith("Missing or insufficient permissions.")
    finally:
        stream.close()
    found, _ = emulator.store.documents_snapshot(DATABASE, [f"{DATABASE}/documents/open/2"])
    assert found == []  # the whole batch was refused


def _commit(emulator: Emulator, *writes: Any) -> Any:
    channel = _channel(emulator)
    try:
        commit = channel.unary_unary(
            "/google.firestore.v1.Firestore/Commit",
            request_serializer=protos.CommitRequest.SerializeToString,
            response_deserializer=protos.CommitResponse.FromString,
        )
        return commit(protos.CommitRequest(database=DATABASE, writes=list(writes)), metadata=OWNER, timeout=10)
    finally:
        channel.close()


def test_verify_writes_check_a_version_without_writing_it(emulator: Emulator) -> None:
    created = _commit(emulator, _update("read/1", v=1))
    read_version = protos.Precondition(update_time=created.commit_time)
    response = _commit(emulator, _verify("read/1", read_version), _update("written/1", v=1))
    assert len(response.write_results) == 2
    (doc,), _ = emulator.store.documents_snapshot(DATABASE, [f"{DATABASE}/documents/read/1"])
    assert doc.update_time == created.commit_time  # verified, not rewritten
    assert emulator.store.stats(DATABASE).writes == 2

    _commit(emulator, _update("read/1", v=2))  # someone else changes what the transaction read
    with pytest.raises(grpc.RpcError) as raised:
        _commit(emulator, _verify("read/1", read_version), _update("written/2", v=1))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    found, _ = emulator.store.documents_snapshot(DATABASE, [f"{DATABASE}/documents/written/2"])
    assert found == []


def test_a_verify_that_a_document_is_still_missing(emulator: Emulator) -> None:
    _commit(emulator, _verify("never/1", protos.Precondition(exists=False)), _update("written/1", v=1))
    _commit(emulator, _update("never/1", v=1))
    with pytest.raises(grpc.RpcError) as raised:
        _commit(emulator, _verify("never/1", protos.Precondition(exists=False)))
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    stale = protos.Timestamp(seconds=1)
    with pytest.raises(grpc.RpcError):
        _commit(emulator, _verify("never/1", protos.Precondition(update_time=stale)))


# -- rules loaded at runtime -----------------------------------------------------------------------------------------
def _put_rules(emulator: Emulator, content: str | None, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    body = raw if raw is not None else json.dumps({"rules": {"files": [{"name": "firestore.rules", "content": content}]}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{emulator.port}/emulator/v1/projects/{PROJECT}:securityRules", data=body, method="PUT"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _anonymous_write(emulator: Emulator, name: str) -> grpc.StatusCode:
    channel = _channel(emulator)
    try:
        commit = channel.unary_unary(
            "/google.firestore.v1.Firestore/Commit",
            request_serializer=protos.CommitRequest.SerializeToString,
            response_deserializer=protos.CommitResponse.FromString,
        )
        commit(protos.CommitRequest(database=DATABASE, writes=[_update(name, v=1)]), timeout=10)
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()
    finally:
        channel.close()


def test_rules_put_at_runtime_take_over_and_a_syntax_error_keeps_the_previous_rules(emulator: Emulator) -> None:
    assert _anonymous_write(emulator, "salons/s1") == grpc.StatusCode.OK  # no rules yet: open, like Google's
    status, _ = _put_rules(emulator, RULES_FILE.read_text())
    assert status == 200
    assert _anonymous_write(emulator, "salons/s1") == grpc.StatusCode.PERMISSION_DENIED

    broken = "rules_version = '2';\nservice cloud.firestore {\n  match /databases/{d}/documents {\n    allow read: if true &&;\n  }\n}\n"
    status, body = _put_rules(emulator, broken)
    assert status == 400
    error = body["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    position = error["details"][0]["issues"][0]["sourcePosition"]
    assert position["line"] == 4 and position["column"] >= 5
    assert error["message"].startswith("Line 4")
    assert _anonymous_write(emulator, "salons/s1") == grpc.StatusCode.PERMISSION_DENIED  # old rules in force

    status, body = _put_rules(emulator, None, raw=b"not json")
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
    status, _ = _put_rules(emulator, None, raw=json.dumps({"rules": {}}).encode())
    assert status == 400

    open_rules = "rules_version = '2';\nservice cloud.firestore { match /{document=**} { allow read, write: if true; } }"
    assert _put_rules(emulator, open_rules)[0] == 200
    assert _anonymous_write(emulator, "salons/s1") == grpc.StatusCode.OK


def test_the_rules_flag_enforces_a_file_from_the_start(tmp_path: Path) -> None:
    rules = tmp_path / "firestore.rules"
    rules.write_text("rules_version = '2';\nservice cloud.firestore { match /databases/{d}/documents {\n"
                     "  match /public/{id} { allow read, write: if true; } } }")
    with run_server("firestore", ["--project", PROJECT, "--rules", str(rules)]) as server:
        channel = grpc.insecure_channel(server.address)
        commit = channel.unary_unary(
            "/google.firestore.v1.Firestore/Commit",
            request_serializer=protos.CommitRequest.SerializeToString,
            response_deserializer=protos.CommitResponse.FromString,
        )
        try:
            commit(protos.CommitRequest(database=DATABASE, writes=[_update("public/1", v=1)]), timeout=10)
            with pytest.raises(grpc.RpcError) as raised:
                commit(protos.CommitRequest(database=DATABASE, writes=[_update("private/1", v=1)]), timeout=10)
            assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
            commit(protos.CommitRequest(database=DATABASE, writes=[_update("private/1", v=1)]), metadata=OWNER, timeout=10)
        finally:
            channel.close()
