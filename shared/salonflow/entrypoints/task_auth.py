"""Who may call the internal task endpoints: only Cloud Tasks (or Scheduler) acting as our service account.

In Google Cloud the bearer token is an OIDC ID token signed by Google; we verify its signature,
audience and ``email``. In the local cloud (``SALONFLOW_LOCAL_CLOUD=1``) the emulators send the same
claims unsigned, so only the claims are checked — that mode must never be enabled in production.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GOOGLE_ISSUERS = {"https://accounts.google.com", "accounts.google.com"}


class TaskAuthError(Exception):
    pass


@dataclass(frozen=True)
class TaskAuthConfig:
    service_account: str
    audience: str | None  # None: accept the URL-derived audience Cloud Tasks uses by default
    local_cloud: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TaskAuthConfig:
        source = os.environ if env is None else env
        return cls(
            service_account=source["TASKS_SERVICE_ACCOUNT"],
            audience=source.get("TASKS_OIDC_AUDIENCE") or None,
            local_cloud=source.get("SALONFLOW_LOCAL_CLOUD") == "1",
        )


def verify_task_caller(authorization: str | None, request_url: str, config: TaskAuthConfig) -> dict[str, Any]:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise TaskAuthError("missing bearer token")
    claims = _local_claims(token) if config.local_cloud else _google_claims(token, config.audience or request_url)
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise TaskAuthError("token not issued by Google")
    if claims.get("email") != config.service_account or claims.get("email_verified") is not True:
        raise TaskAuthError("token is not for the tasks service account")
    expected_audience = config.audience or request_url
    if config.local_cloud and not _audience_matches(str(claims.get("aud", "")), expected_audience):
        raise TaskAuthError("token audience does not match this endpoint")
    if float(claims.get("exp", 0)) < time.time():
        raise TaskAuthError("token expired")
    return claims


def _audience_matches(audience: str, expected: str) -> bool:
    # Cloud Tasks' default audience is the task URL; the function may see it without the query string.
    return audience == expected or audience.split("?", 1)[0] == expected.split("?", 1)[0]


def _local_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise TaskAuthError("not a JWT")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError as error:
        raise TaskAuthError("unreadable JWT") from error
    if not isinstance(claims, dict):
        raise TaskAuthError("JWT payload is not an object")
    return claims


def _google_claims(token: str, audience: str) -> dict[str, Any]:
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    try:
        return dict(id_token.verify_oauth2_token(token, google_requests.Request(), audience))
    except ValueError as error:
        raise TaskAuthError(f"invalid Google ID token: {error}") from error
