"""The authorization seam: callers parsed from metadata, every read and write asks the authorizer."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from localcloud.firestore import errors, protos
from localcloud.firestore.auth import PERMISSION_DENIED_MESSAGE, Access, caller_from_header
from localcloud.firestore.server import Emulator

pytestmark = pytest.mark.integration
DATABASE = "projects/demo-salonflow/databases/(default)"


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(payload: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}."


def test_callers_are_admin_user_or_anonymous() -> None:
    assert caller_from_header("Bearer owner").is_admin
    user = caller_from_header("Bearer " + _unsigned_jwt({"sub": "u1", "role": "stylist"}))
    assert (user.kind, user.uid, user.claims["role"]) == ("user", "u1", "stylist")
    assert caller_from_header("Basic abc").kind == "anonymous"


class OnlyOwnDocuments:
    """Users may touch ``users/<uid>`` only; records what it was asked."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bool, bool]] = []  # (method, uid, existed before, exists after)
        self._lock = threading.Lock()

    def authorize(self, access: Access) -> None:
        assert access.data is not None  # lookups are only valid during the call
        before = access.data.get(access.path) is not None
        after = access.data.get_after(access.path) is not None
        with self._lock:
            self.seen.append((access.method, str(access.caller.uid), before, after))
        uid = access.caller.uid
        if uid is None or not access.path.endswith(f"/users/{uid}"):
            raise errors.FirestoreError("PERMISSION_DENIED", PERMISSION_DENIED_MESSAGE)


@pytest.fixture
def guarded() -> Iterator[tuple[Emulator, OnlyOwnDocuments]]:
    authorizer = OnlyOwnDocuments()
    emulator = Emulator("127.0.0.1", 0, authorizer=authorizer)
    emulator.start()
    try:
        yield emulator, authorizer
    finally:
        emulator.stop(0)


def _commit_stub(emulator: Emulator) -> Any:
    channel = grpc.insecure_channel(f"127.0.0.1:{emulator.port}")
    return channel.unary_unary(
        "/google.firestore.v1.Firestore/Commit",
        request_serializer=protos.CommitRequest.SerializeToString,
        response_deserializer=protos.CommitResponse.FromString,
    )


def _set(name: str) -> Any:
    request = protos.CommitRequest(database=DATABASE)
    write = request.writes.add()
    write.update.name = f"{DATABASE}/documents/{name}"
    write.update.fields["v"].integer_value = 1
    return request


def test_the_authorizer_decides_writes_per_caller_and_admins_bypass_it(
    guarded: tuple[Emulator, OnlyOwnDocuments],
) -> None:
    emulator, authorizer = guarded
    commit = _commit_stub(emulator)
    alice = (("authorization", "Bearer " + _unsigned_jwt({"user_id": "alice"})),)
    commit(_set("users/alice"), metadata=alice)
    with pytest.raises(grpc.RpcError) as raised:
        commit(_set("users/bob"), metadata=alice)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert raised.value.details() == PERMISSION_DENIED_MESSAGE
    with pytest.raises(grpc.RpcError):
        commit(_set("users/alice"))  # anonymous
    commit(_set("users/bob"), metadata=(("authorization", "Bearer owner"),))
    assert authorizer.seen == [
        ("create", "alice", False, True),
        ("create", "alice", False, True),
        ("update", "None", True, True),
    ]  # the admin write never reached the authorizer
