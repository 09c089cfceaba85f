"""Fixture for the /autonomous API: a real Firestore emulator and Firebase Auth emulator-mode tokens."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_support import NOW
from salonflow.api.app import AutonomousApi
from salonflow.api.auth import firebase_token_verifier
from salonflow.api.context import ApiDeps
from salonflow.api.http import ApiRequest, ApiResponse
from salonflow.domain.salon import Salon


@pytest.fixture
def api(firestore_client: Any) -> Iterator[Callable[..., ApiResponse]]:
    previous = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
    os.environ["FIREBASE_AUTH_EMULATOR_HOST"] = "127.0.0.1:9099"
    app = AutonomousApi(ApiDeps(firestore=lambda: firestore_client, clock=lambda: NOW), firebase_token_verifier)
    for salon_id in ("salon_a", "salon_b"):  # the salons the tokens name; anything else answers 404
        firestore_client.document(f"salons/{salon_id}").set(Salon(
            id=salon_id, name=f"Salon {salon_id[-1].upper()}", created_at=NOW, updated_at=NOW).to_firestore())

    def call(method: str, path: str, *, token: str | None = None, query: dict[str, str] | None = None,
             body: Any = None, raw_body: bytes | None = None, headers: dict[str, str] | None = None) -> ApiResponse:
        headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        payload = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else b"")
        return app.handle(ApiRequest(method=method, path=path, headers=headers, body=payload,
                                     query={k: [v] for k, v in (query or {}).items()}))

    try:
        yield call
    finally:
        if previous is None:
            os.environ.pop("FIREBASE_AUTH_EMULATOR_HOST", None)
        else:
            os.environ["FIREBASE_AUTH_EMULATOR_HOST"] = previous

