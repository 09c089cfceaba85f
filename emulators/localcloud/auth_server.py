"""``python -m localcloud auth``: the Firebase Auth emulator's REST surface, as far as Salon Flow uses it.

The Firebase JS SDK (``connectAuthEmulator(auth, "http://127.0.0.1:9099")``) and firebase-admin (with
``FIREBASE_AUTH_EMULATOR_HOST``) call these Identity Toolkit / Secure Token endpoints under the emulator's
host, exactly as Google's Auth emulator serves them::

    POST /identitytoolkit.googleapis.com/v1/accounts:signInWithPassword   {email, password}
    POST /identitytoolkit.googleapis.com/v1/accounts:signInWithCustomToken {token}   (an unsigned JWT, uid + claims)
    POST /identitytoolkit.googleapis.com/v1/accounts:signUp               {email, password, displayName}
    POST /identitytoolkit.googleapis.com/v1/accounts:lookup               {idToken} | {localId: [..]} | {email: [..]}
    POST /identitytoolkit.googleapis.com/v1/accounts:update               {idToken|localId, customAttributes, ...}
    POST /identitytoolkit.googleapis.com/v1/projects/{p}/accounts         admin create (firebase-admin create_user)
    POST /identitytoolkit.googleapis.com/v1/projects/{p}/accounts:{lookup,update,delete}
    POST /securetoken.googleapis.com/v1/token                             grant_type=refresh_token
    DELETE /emulator/v1/projects/{p}/accounts                             remove every account

ID tokens are unsigned JWTs (``alg: none``) with Google's claims plus the account's custom claims at the top
level (``salon_roles``), like the real emulator's: the Firestore emulator reads them as ``request.auth`` and
firebase-admin accepts them only while ``FIREBASE_AUTH_EMULATOR_HOST`` is set. Accounts can also be given at
start with ``--users FILE`` (a JSON list of ``{uid, email, password, displayName, claims}``).
Errors use Identity Toolkit's shape: ``{"error": {"code": 400, "message": "INVALID_PASSWORD", "errors": [...]}}``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from localcloud.auth import emulator_id_token
from localcloud.http_serving import allow_browser_origin, serve_until_signalled

TOKEN_LIFETIME_S = 3600


@dataclass
class Account:
    uid: str
    email: str | None = None
    password: str | None = None
    display_name: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    disabled: bool = False
    created_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    last_login_ms: int | None = None

    def as_user_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"localId": self.uid, "emailVerified": bool(self.email), "disabled": self.disabled,
                                "createdAt": str(self.created_ms), "providerUserInfo": []}
        if self.email:
            info["email"] = self.email
            info["providerUserInfo"] = [{"providerId": "password", "email": self.email, "federatedId": self.email,
                                         "rawId": self.email}]
            info["passwordHash"] = "fakeHash:salt=fakeSalt:password=***"
        if self.display_name:
            info["displayName"] = self.display_name
        if self.claims:
            info["customAttributes"] = json.dumps(self.claims)
        if self.last_login_ms:
            info["lastLoginAt"] = str(self.last_login_ms)
        return info


class AuthError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AuthState:
    def __init__(self, project: str) -> None:
        self.project = project
        self.accounts: dict[str, Account] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.lock = threading.Lock()

    def add(self, account: Account) -> Account:
        with self.lock:
            if account.email and any(a.email == account.email and a.uid != account.uid
                                     for a in self.accounts.values()):
                raise AuthError("EMAIL_EXISTS")
            self.accounts[account.uid] = account
        return account

    def by_email(self, email: str) -> Account | None:
        with self.lock:
            return next((a for a in self.accounts.values() if a.email == email.lower()), None)

    def sign_in(self, account: Account, provider: str) -> dict[str, Any]:
        if account.disabled:
            raise AuthError("USER_DISABLED")
        account.last_login_ms = int(time.time() * 1000)
        refresh = os.urandom(24).hex()
        with self.lock:
            self.refresh_tokens[refresh] = account.uid
        return {"kind": "identitytoolkit#VerifyPasswordResponse", "localId": account.uid,
                "email": account.email or "", "displayName": account.display_name or "",
                "idToken": self.id_token(account, provider), "registered": True, "refreshToken": refresh,
                "expiresIn": str(TOKEN_LIFETIME_S)}

    def id_token(self, account: Account, provider: str) -> str:
        claims: dict[str, Any] = {**account.claims}
        firebase: dict[str, Any] = {"sign_in_provider": provider, "identities": {}}
        if account.email:
            claims.update({"email": account.email, "email_verified": True})
            firebase["identities"] = {"email": [account.email]}
        claims["firebase"] = firebase
        if account.display_name:
            claims["name"] = account.display_name
        return emulator_id_token(account.uid, self.project, claims, lifetime_s=TOKEN_LIFETIME_S)

    def account_of_token(self, id_token: str) -> Account:
        claims = _jwt_claims(id_token)
        uid = claims.get("user_id") or claims.get("sub") if claims else None
        with self.lock:
            account = self.accounts.get(str(uid)) if uid else None
        if account is None:
            raise AuthError("INVALID_ID_TOKEN")
        return account


def _jwt_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) < 2:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


_RESERVED = {"iss", "aud", "auth_time", "user_id", "sub", "iat", "exp", "email", "email_verified", "firebase",
             "name", "uid"}


def _custom_attributes(raw: Any) -> dict[str, Any]:
    claims = json.loads(raw) if isinstance(raw, str) and raw else (raw or {})
    if not isinstance(claims, dict):
        raise AuthError("INVALID_CLAIMS")
    if set(claims) & _RESERVED:
        raise AuthError("FORBIDDEN_CLAIM : " + ", ".join(sorted(set(claims) & _RESERVED)))
    return claims


class Api:
    def __init__(self, state: AuthState) -> None:
        self.state = state

    def handle(self, method: str, path: str, body: dict[str, Any], admin: bool) -> dict[str, Any]:
        state = self.state
        if method == "DELETE" and re.fullmatch(r"/emulator/v1/projects/[^/]+/accounts", path):
            with state.lock:
                state.accounts.clear()
                state.refresh_tokens.clear()
            return {}
        if path == "/securetoken.googleapis.com/v1/token":
            return self.refresh(body)
        match = re.fullmatch(r"/identitytoolkit\.googleapis\.com/v1/(?:projects/[^/]+/)?accounts(?::(\w+))?", path)
        if not match or method != "POST":
            raise AuthError("NOT_FOUND", 404)
        action = match.group(1) or "signUp"
        if action == "signInWithPassword":
            account = state.by_email(str(body.get("email", "")))
            if account is None:
                raise AuthError("EMAIL_NOT_FOUND")
            if account.password != body.get("password"):
                raise AuthError("INVALID_PASSWORD")
            return state.sign_in(account, "password")
        if action == "signInWithCustomToken":
            claims = _jwt_claims(str(body.get("token", "")))
            uid = (claims or {}).get("uid")
            if not uid:
                raise AuthError("INVALID_CUSTOM_TOKEN")
            with state.lock:
                account = state.accounts.get(str(uid))
            if account is None:
                account = state.add(Account(uid=str(uid)))
            extra = (claims or {}).get("claims")
            if isinstance(extra, dict):
                account.claims = {**account.claims, **extra}
            answer = state.sign_in(account, "custom")
            answer["kind"] = "identitytoolkit#VerifyCustomTokenResponse"
            return answer
        if action == "signUp":
            email = str(body["email"]).lower() if body.get("email") else None
            account = state.add(Account(uid=str(body.get("localId") or os.urandom(14).hex()), email=email,
                                        password=body.get("password"), display_name=body.get("displayName"),
                                        claims=_custom_attributes(body.get("customAttributes"))))
            if admin:
                return {"kind": "identitytoolkit#SignupNewUserResponse", "localId": account.uid,
                        "email": account.email or ""}
            return state.sign_in(account, "password")
        if action == "lookup":
            if body.get("idToken"):
                return {"kind": "identitytoolkit#GetAccountInfoResponse",
                        "users": [state.account_of_token(str(body["idToken"])).as_user_info()]}
            with state.lock:
                found = [a for a in state.accounts.values()
                         if a.uid in body.get("localId", []) or a.email in body.get("email", [])]
            return {"kind": "identitytoolkit#GetAccountInfoResponse", "users": [a.as_user_info() for a in found]}
        if action == "update":
            if body.get("idToken"):
                account = state.account_of_token(str(body["idToken"]))
            else:
                with state.lock:
                    found_account = state.accounts.get(str(body.get("localId")))
                if found_account is None:
                    raise AuthError("USER_NOT_FOUND")
                account = found_account
            if "customAttributes" in body:
                if not admin:
                    raise AuthError("INSUFFICIENT_PERMISSION", 403)
                account.claims = _custom_attributes(body["customAttributes"])
            if "password" in body:
                account.password = body["password"]
            if "displayName" in body:
                account.display_name = body["displayName"]
            if "disableUser" in body:
                account.disabled = bool(body["disableUser"])
            return {"kind": "identitytoolkit#SetAccountInfoResponse", "localId": account.uid,
                    "email": account.email or ""}
        if action == "delete":
            if not admin:
                raise AuthError("INSUFFICIENT_PERMISSION", 403)
            with state.lock:
                state.accounts.pop(str(body.get("localId")), None)
            return {"kind": "identitytoolkit#DeleteAccountResponse"}
        raise AuthError(f"UNSUPPORTED_OPERATION : {action}", 400)

    def refresh(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("grant_type") != "refresh_token":
            raise AuthError("INVALID_GRANT_TYPE")
        token = str(body.get("refresh_token", ""))
        with self.state.lock:
            uid = self.state.refresh_tokens.get(token)
            account = self.state.accounts.get(uid) if uid else None
        if account is None:
            raise AuthError("INVALID_REFRESH_TOKEN")
        if account.disabled:
            raise AuthError("USER_DISABLED")
        id_token = self.state.id_token(account, "password" if account.email else "custom")
        return {"access_token": id_token, "expires_in": str(TOKEN_LIFETIME_S), "token_type": "Bearer",
                "refresh_token": token, "id_token": id_token, "user_id": account.uid,
                "project_id": self.state.project}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: Api

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _cors(self) -> None:
        allow_browser_origin(self)

    def _send(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.send_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", self.headers.get("Access-Control-Request-Headers") or "*")
        self.send_header("Access-Control-Max-Age", "3600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/":
            self._send(200, {"authEmulator": {"ready": True}})
        elif re.fullmatch(r"/emulator/v1/projects/[^/]+/config", path):
            self._send(200, {"signIn": {"allowDuplicateEmails": False}, "usageMode": "DEFAULT"})
        else:
            self._send(404, {"error": {"code": 404, "message": "NOT_FOUND"}})

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = urllib.parse.urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        try:
            if "application/x-www-form-urlencoded" in content_type:
                body: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
            else:
                body = json.loads(raw or b"{}")
            admin = (self.headers.get("Authorization") or "").strip().lower() == "bearer owner"
            self._send(200, self.api.handle(method, path, body, admin))
        except AuthError as error:
            self._send(error.status, {"error": {"code": error.status, "message": error.message,
                                                "errors": [{"message": error.message, "reason": "invalid",
                                                            "domain": "global"}]}})
        except (KeyError, ValueError) as error:
            self._send(400, {"error": {"code": 400, "message": f"INVALID_ARGUMENT : {error}"}})


def load_users(state: AuthState, path: Path) -> None:
    for item in json.loads(path.read_text()):
        state.add(Account(uid=item["uid"], email=(item.get("email") or "").lower() or None,
                          password=item.get("password"), display_name=item.get("displayName"),
                          claims=dict(item.get("claims") or {})))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud auth")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9099)
    parser.add_argument("--project", default="demo-salonflow")
    parser.add_argument("--users", type=Path, help="JSON list of accounts to create at start")
    args = parser.parse_args(argv)
    state = AuthState(args.project)
    if args.users:
        load_users(state, args.users)
    handler = type("BoundHandler", (Handler,), {"api": Api(state)})
    server = ThreadingHTTPServer((args.host, args.port), handler)
    server.daemon_threads = True
    return serve_until_signalled(server, f"localcloud auth ready on {args.host}:{server.server_address[1]} (project {args.project})")
