"""The emulator enforcing the project's firestore.rules on real google-cloud-firestore clients that
authenticate as PWA users (unsigned JWTs with the ``salon_roles`` claim), as Google's emulator does."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from fs_rules_helpers import RULES_FILE, admin_client, emulator_env, unsigned_jwt, user_client
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from localcloud.firestore import protos
from localcloud.firestore.auth import PERMISSION_DENIED_MESSAGE
from localcloud.firestore.server import Emulator
from localcloud.rules.firestore_authorizer import make_authorizer

pytestmark = pytest.mark.integration
PROJECT = "demo-rules-py"
DATABASE = f"projects/{PROJECT}/databases/(default)"


@dataclass
class Clients:
    admin: Any
    owner: Any
    manager: Any
    staff: Any
    outsider: Any
    anonymous: Any

    def all(self) -> list[Any]:
        return [self.admin, self.owner, self.manager, self.staff, self.outsider, self.anonymous]


@pytest.fixture(scope="module")
def rules_emulator() -> Iterator[Emulator]:
    emulator = Emulator("127.0.0.1", 0, authorizer=make_authorizer(str(RULES_FILE)))
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop(0)


def _approval(expires_in: timedelta, status: str = "pending") -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": "apr1",
        "salon_id": "s1",
        "decision_id": "dec1",
        "agent_name": "gap_fill_agent",
        "action_type": "gap_fill",
        "action_summary": "Fill a 60-minute gap",
        "action_details": {"gap_id": "gap1"},
        "priority": "medium",
        "status": status,
        "expires_at": now + expires_in,
        "notifications_sent": {"whatsapp": True},
        "response": {"action": None, "responded_by": None, "responded_at": None, "notes": None},
        "created_at": now - timedelta(minutes=5),
        "updated_at": now - timedelta(minutes=5),
    }


@pytest.fixture
def clients(rules_emulator: Emulator) -> Iterator[Clients]:
    rules_emulator.store.clear(DATABASE)
    with emulator_env(f"127.0.0.1:{rules_emulator.port}"):
        made = Clients(
            admin=admin_client(PROJECT),
            owner=user_client(PROJECT, "u_owner", {"s1": "owner"}),
            manager=user_client(PROJECT, "u_manager", {"s1": "manager"}),
            staff=user_client(PROJECT, "u_staff", {"s1": "staff"}),
            outsider=user_client(PROJECT, "u_outsider", {"s2": "owner"}),
            anonymous=user_client(PROJECT, None),
        )
    earlier = datetime.now(UTC) - timedelta(days=3)
    batch = made.admin.batch()
    for salon_id in ("s1", "s2"):
        batch.set(made.admin.document(f"salons/{salon_id}"), {"id": salon_id, "name": "Glow", "created_at": earlier, "updated_at": earlier})
        approval = _approval(timedelta(minutes=10)) | {"salon_id": salon_id}
        batch.set(made.admin.document(f"salons/{salon_id}/approvals/apr1"), approval)
    batch.set(made.admin.document("salons/s1/approvals/expired"), _approval(timedelta(seconds=-1)) | {"id": "expired"})
    batch.set(made.admin.document("salons/s1/audit_logs/log1"), {"id": "log1", "salon_id": "s1"})
    batch.commit()
    try:
        yield made
    finally:
        for client in made.all():
            client.close()


def _response(uid: str, at: Any = firestore.SERVER_TIMESTAMP) -> dict[str, Any]:
    return {
        "status": "approved",
        "response": {"action": "approve", "responded_by": uid, "responded_at": at, "notes": None},
        "updated_at": at,
    }


def test_members_read_their_salon_and_everyone_else_is_denied(clients: Clients) -> None:
    for member in (clients.owner, clients.manager, clients.staff):
        assert member.document("salons/s1").get().get("name") == "Glow"
    for stranger in (clients.outsider, clients.anonymous):
        with pytest.raises(exceptions.PermissionDenied) as denied:
            stranger.document("salons/s1").get()
        assert PERMISSION_DENIED_MESSAGE in str(denied.value)
    with pytest.raises(exceptions.PermissionDenied):
        clients.owner.document("salons/s2/approvals/apr1").get()


def test_an_approval_signed_with_server_timestamps_passes_because_request_time_is_the_commit_time(
    clients: Clients,
) -> None:
    clients.manager.document("salons/s1/approvals/apr1").update(_response("u_manager"))
    stored = clients.admin.document("salons/s1/approvals/apr1").get().to_dict()
    assert stored["status"] == "approved"
    assert stored["response"]["responded_at"] == stored["updated_at"]


def test_an_approval_stamped_with_the_client_clock_or_after_expiry_or_by_staff_is_denied(clients: Clients) -> None:
    with pytest.raises(exceptions.PermissionDenied):
        clients.owner.document("salons/s1/approvals/apr1").update(_response("u_owner", at=datetime.now(UTC)))
    with pytest.raises(exceptions.PermissionDenied):
        clients.owner.document("salons/s1/approvals/expired").update(_response("u_owner"))
    with pytest.raises(exceptions.PermissionDenied):
        clients.staff.document("salons/s1/approvals/apr1").update(_response("u_staff"))
    assert clients.admin.document("salons/s1/approvals/apr1").get().get("status") == "pending"


def test_collection_group_queries_are_judged_by_their_constraints_not_their_results(clients: Clients) -> None:
    group = clients.owner.collection_group("approvals")
    pinned = group.where(filter=FieldFilter("salon_id", "==", "s1")).where(filter=FieldFilter("status", "==", "pending"))
    assert {snapshot.id for snapshot in pinned.stream()} == {"apr1", "expired"}
    # Every document this query could return today belongs to s1, but nothing in the query proves it.
    unpinned = group.where(filter=FieldFilter("id", "==", "expired"))
    with pytest.raises(exceptions.PermissionDenied):
        list(unpinned.stream())
    clients.admin.recursive_delete(clients.admin.collection("salons"))
    with pytest.raises(exceptions.PermissionDenied):
        list(clients.owner.collection_group("approvals").stream())  # denied even with no documents at all
    with pytest.raises(exceptions.PermissionDenied):
        clients.owner.collection_group("approvals").count().get()


def test_one_denied_write_rejects_the_whole_commit(clients: Clients) -> None:
    batch = clients.owner.batch()
    batch.update(clients.owner.document("salons/s1"), {"name": "Renamed", "updated_at": firestore.SERVER_TIMESTAMP})
    batch.update(clients.owner.document("salons/s1/audit_logs/log1"), {"erased": True})
    with pytest.raises(exceptions.PermissionDenied):
        batch.commit()
    assert clients.admin.document("salons/s1").get().get("name") == "Glow"
    clients.owner.document("salons/s1").update({"name": "Renamed", "updated_at": firestore.SERVER_TIMESTAMP})
    assert clients.admin.document("salons/s1").get().get("name") == "Renamed"


def test_reads_inside_a_transaction_are_checked(clients: Clients) -> None:
    @firestore.transactional
    def peek(transaction: Any, client: Any) -> Any:
        return client.document("salons/s1/approvals/apr1").get(transaction=transaction).get("status")

    assert peek(clients.staff.transaction(), clients.staff) == "pending"
    with pytest.raises(exceptions.PermissionDenied):
        peek(clients.outsider.transaction(), clients.outsider)


def test_list_documents_is_a_list_of_the_collection(clients: Clients) -> None:
    assert {ref.id for ref in clients.staff.collection("salons/s1/approvals").list_documents()} == {"apr1", "expired"}
    with pytest.raises(exceptions.PermissionDenied):
        list(clients.outsider.collection("salons/s1/approvals").list_documents())
    with pytest.raises(exceptions.PermissionDenied):
        list(clients.staff.collection("salons/s1/audit_logs").list_documents())


def test_the_owner_token_bypasses_the_rules_and_users_cannot_list_collection_ids(clients: Clients) -> None:
    clients.admin.document("salons/s1/audit_logs/log2").set({"id": "log2", "salon_id": "s1"})
    assert {c.id for c in clients.admin.document("salons/s1").collections()} >= {"audit_logs", "approvals"}
    with pytest.raises(exceptions.PermissionDenied):
        list(clients.owner.document("salons/s1").collections())


def _listen(emulator: Emulator, token: str, name: str) -> Any:
    channel = grpc.insecure_channel(f"127.0.0.1:{emulator.port}")
    listen = channel.stream_stream(
        "/google.firestore.v1.Firestore/Listen",
        request_serializer=protos.ListenRequest.SerializeToString,
        response_deserializer=protos.ListenResponse.FromString,
    )
    request = protos.ListenRequest(database=DATABASE)
    request.add_target.target_id = 7
    request.add_target.documents.documents.append(f"{DATABASE}/documents/{name}")
    responses = listen(iter([request]), metadata=(("authorization", f"Bearer {token}"),), timeout=5)
    try:
        return next(responses)
    finally:
        responses.cancel()
        channel.close()


def test_a_listener_on_a_document_the_caller_may_not_read_is_removed_with_permission_denied(
    rules_emulator: Emulator, clients: Clients
) -> None:
    member = _listen(rules_emulator, unsigned_jwt("u_staff", salon_roles={"s1": "staff"}), "salons/s1/approvals/apr1")
    assert member.target_change.target_change_type == protos.TargetChange.ADD
    stranger = _listen(rules_emulator, unsigned_jwt("u_outsider", salon_roles={"s2": "owner"}), "salons/s1/approvals/apr1")
    assert stranger.target_change.target_change_type == protos.TargetChange.REMOVE
    assert stranger.target_change.cause.code == grpc.StatusCode.PERMISSION_DENIED.value[0]


def test_a_token_is_only_read_not_verified(clients: Clients, rules_emulator: Emulator) -> None:
    """Like Google's emulator: any payload is believed, so a forged role works here and nowhere else."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256"}).encode()).decode().rstrip("=")
    forged = unsigned_jwt("u_x", salon_roles={"s2": "staff"}).split(".", 1)[1]
    with emulator_env(f"127.0.0.1:{rules_emulator.port}"):
        client = user_client(PROJECT, "u_x")
    client._bearer = f"{header}.{forged}signature"
    try:
        assert client.document("salons/s2").get().exists
    finally:
        client.close()
