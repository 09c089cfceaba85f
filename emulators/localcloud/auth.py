"""Firebase Auth emulator-style ID tokens: unsigned JWTs with Google's claims.

firebase-admin accepts them only when ``FIREBASE_AUTH_EMULATOR_HOST`` is set (the local cloud sets
it), exactly as it accepts the Firebase Auth emulator's tokens; a production verifier rejects them.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from typing import Any


def _b64(part: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def emulator_id_token(uid: str, project: str, claims: Mapping[str, Any] | None = None,
                      lifetime_s: int = 3600) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"iss": f"https://securetoken.google.com/{project}", "aud": project, "sub": uid,
                               "user_id": uid, "iat": now, "exp": now + lifetime_s, "auth_time": now,
                               "firebase": {"sign_in_provider": "custom"}, **(claims or {})}
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."
