"""Who is calling, and may they act on this salon?

Identity is a Firebase ID token (``Authorization: Bearer``) verified with firebase-admin; roles come
from the custom claim ``salon_roles = {"<salon_id>": "owner" | "manager" | "staff"}``. The salon is
always named by the request and must be one of the caller's: nothing in a body can change it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from salonflow.api.http import ApiError, ApiRequest
from salonflow.domain.enums import SalonRole

_RANK = {SalonRole.STAFF: 1, SalonRole.MANAGER: 2, SalonRole.OWNER: 3}

TokenVerifier = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class Caller:
    uid: str
    salon_roles: Mapping[str, SalonRole]

    def role_in(self, salon_id: str) -> SalonRole | None:
        return self.salon_roles.get(salon_id)


def firebase_token_verifier(token: str) -> Mapping[str, Any]:
    # Imported on first use: most function instances never verify a token.
    from firebase_admin import auth

    from salonflow.adapters.firebase_app import default_app

    return auth.verify_id_token(token, app=default_app())  # type: ignore[no-any-return]


def authenticate(request: ApiRequest, verify: TokenVerifier) -> Caller:
    header = request.header("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "an 'Authorization: Bearer <Firebase ID token>' header is required")
    try:
        claims = verify(token.strip())
    except Exception as error:  # firebase-admin raises several token error types
        raise ApiError(401, "unauthenticated", "the ID token is invalid or expired") from error
    roles: dict[str, SalonRole] = {}
    raw_roles = claims.get("salon_roles")
    if isinstance(raw_roles, Mapping):
        for salon_id, role in raw_roles.items():
            if role in SalonRole._value2member_map_:
                roles[str(salon_id)] = SalonRole(role)
    return Caller(uid=str(claims.get("uid") or claims.get("sub")), salon_roles=roles)


def authorize(caller: Caller, salon_id: str | None, min_role: SalonRole) -> SalonRole:
    if not salon_id:
        raise ApiError(400, "salon_required", "the 'salon_id' query parameter is required")
    role = caller.role_in(salon_id)
    if role is None:
        raise ApiError(403, "forbidden", "you are not a member of this salon")
    if _RANK[role] < _RANK[min_role]:
        raise ApiError(403, "forbidden", f"this action needs the {min_role.value} role or higher")
    return role
