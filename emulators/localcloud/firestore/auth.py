"""Who is calling, and the single seam where access is decided.

Firestore's emulator convention: ``authorization: Bearer owner`` is an admin (bypasses security
rules); any other bearer token is an unsigned JWT whose claims become ``request.auth``; no header
means unauthenticated. Every RPC parses the caller once and asks the ``Authorizer`` before it reads or
writes. ``AllowAll`` is the authorizer until a security-rules engine is plugged in (issue 7).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Caller:
    kind: Literal["admin", "user", "anonymous"]
    uid: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


ADMIN = Caller("admin")
ANONYMOUS = Caller("anonymous")


def caller_from_metadata(metadata: Iterable[tuple[str, Any]]) -> Caller:
    for key, value in metadata:
        if key == "authorization":
            return caller_from_header(value if isinstance(value, str) else value.decode())
    return ANONYMOUS


def caller_from_header(header: str) -> Caller:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token:
        return ANONYMOUS
    if token == "owner":
        return ADMIN
    claims = _unsigned_jwt_claims(token)
    if claims is None:
        return ANONYMOUS
    uid = claims.get("user_id") or claims.get("sub")
    return Caller("user", uid=str(uid) if uid is not None else None, claims=claims)


def _unsigned_jwt_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) < 2:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


Method = Literal["get", "list", "create", "update", "delete"]


@dataclass(frozen=True)
class Access:
    """One access to decide. ``method`` is a security-rules method: get, list, create, update, delete."""

    caller: Caller
    method: Method
    database: str  # projects/{p}/databases/{d}
    path: str  # full document name, or for ``list`` the queried parent + "/" + collection id
    resource: Any | None = None  # Document as stored (None if absent)
    request_resource: Any | None = None  # Document as it would be after a write
    query: Any | None = None  # StructuredQuery for ``list``
    time_micros: int = 0
    # Documents before (``get``) and after the pending commit (``get_after``), by full name.
    data: DataLookup | None = None


class DataLookup(Protocol):
    def get(self, name: str) -> Any | None: ...

    def get_after(self, name: str) -> Any | None: ...


PERMISSION_DENIED_MESSAGE = "Missing or insufficient permissions."


class Authorizer(Protocol):
    def authorize(self, access: Access) -> None:
        """Return to allow; raise ``errors.FirestoreError("PERMISSION_DENIED", PERMISSION_DENIED_MESSAGE)``."""


class AllowAll:
    def authorize(self, access: Access) -> None:
        return None
