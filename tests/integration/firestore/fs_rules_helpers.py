"""Callers with a Firebase Auth identity for the emulator's security-rules tests.

The Python client always sends ``authorization: Bearer owner`` to an emulator (an admin, which bypasses
rules). A PWA user sends an unsigned JWT instead; ``user_client`` is a real ``firestore.Client`` whose
every RPC carries such a token, the way the Firebase JS SDK's ``mockUserToken`` does.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from google.cloud import firestore

RULES_FILE = Path(__file__).resolve().parents[3] / "firestore.rules"


def unsigned_jwt(uid: str, **claims: Any) -> str:
    def part(payload: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    body = {"sub": uid, "user_id": uid, "iss": "https://securetoken.google.com/demo", **claims}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(body)}."


class _UserClient(firestore.Client):  # type: ignore[misc]
    """A Firestore client that authenticates as a signed-in user (or nobody) instead of the owner."""

    _bearer: str | None = None

    @property
    def _rpc_metadata(self) -> list[tuple[str, str]]:
        metadata = [(key, value) for key, value in super()._rpc_metadata if key != "authorization"]
        if self._bearer is not None:
            metadata.append(("authorization", f"Bearer {self._bearer}"))
        return metadata


@contextmanager
def emulator_env(address: str) -> Iterator[None]:
    previous = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = address
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = previous


def user_client(project: str, uid: str | None, roles: dict[str, str] | None = None) -> Any:
    """A client for ``uid`` with custom claim ``salon_roles`` (``uid=None``: unauthenticated)."""
    client = _UserClient(project=project)
    if uid is not None:
        client._bearer = unsigned_jwt(uid, salon_roles=roles or {})
    return client


def admin_client(project: str) -> Any:
    return firestore.Client(project=project)
