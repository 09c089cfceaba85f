"""Local-mode OIDC tokens: unsigned JWTs (``alg: none``) in the shape Google signs them.

Cloud Tasks and Pub/Sub push attach ``Authorization: Bearer <id token>`` when a task or
push subscription names a service account. Locally there is no Google key to sign with,
so the token carries Google's claims with an empty signature; an endpoint running in
local mode decodes the payload and checks ``iss``, ``aud`` and ``email`` without
verifying a signature (see docs/emulators.md). A production verifier rejects it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime

ISSUER = "https://accounts.google.com"
LIFETIME_S = 3600


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unsigned_id_token(*, audience: str, email: str, now: datetime) -> str:
    issued = int(now.timestamp())
    header = {"alg": "none", "typ": "JWT"}
    # ``sub`` is the service account's numeric unique id at Google; derive a stable one.
    subject = str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16))
    payload = {
        "iss": ISSUER,
        "aud": audience,
        "azp": subject,
        "sub": subject,
        "email": email,
        "email_verified": True,
        "iat": issued,
        "exp": issued + LIFETIME_S,
    }
    encoded = (_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload))
    return ".".join(encoded) + "."


def decode_unverified(token: str) -> dict[str, object]:
    """The claims of a token made by :func:`unsigned_id_token` (for local-mode verifiers and tests)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    claims = json.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not an object")
    return claims


def opaque_access_token(email: str) -> str:
    """Stand-in for the OAuth access token Google mints for ``oauth_token`` targets."""
    return "localcloud-access-token." + _b64url(email.encode())
