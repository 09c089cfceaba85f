"""The local cloud's way in for browsers, without a browser: the Auth emulator as firebase-admin and the JS SDK
call it, and firestore-web's REST and WebChannel transports over our Firestore emulator with rules enforced."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localcloud.testing import RunningServer, run_server

ROOT = Path(__file__).resolve().parents[3]
PROJECT = "demo-browser"
DATABASE = f"projects/{PROJECT}/databases/(default)"


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, RunningServer]]:
    with run_server("firestore", ["--project", PROJECT, "--rules", str(ROOT / "firestore.rules")]) as firestore, \
            run_server("auth", ["--project", PROJECT]) as auth, \
            run_server("firestore-web", ["--firestore", firestore.address]) as web:
        yield {"firestore": firestore, "auth": auth, "web": web}


@pytest.fixture(scope="module")
def staff_token(servers: dict[str, RunningServer]) -> str:
    """A staff member of salon s1, created as firebase-admin creates accounts (admin token), signed in."""
    status, answer = post(f"http://{servers['auth'].address}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/accounts",
                          {"localId": "u_staff", "email": "staff@example.com", "password": "secret123",
                           "customAttributes": json.dumps({"salon_roles": {"s1": "staff"}})},
                          {"authorization": "Bearer owner"})
    assert status == 200, answer
    return sign_in(servers["auth"], "staff@example.com", "secret123")


def post(url: str, body: Any, headers: dict[str, str] | None = None, raw: bool = False) -> tuple[int, Any]:
    data = body.encode() if raw else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            text = response.read().decode()
            return response.status, text if raw else json.loads(text or "null")
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, text if raw else json.loads(text or "null")


def sign_in(auth: RunningServer, email: str, password: str) -> str:
    status, answer = post(f"http://{auth.address}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword"
                          "?key=fake", {"email": email, "password": password, "returnSecureToken": True})
    assert status == 200, answer
    return str(answer["idToken"])


def test_firebase_admin_creates_an_account_with_claims_and_verifies_its_token(
        servers: dict[str, RunningServer], monkeypatch: pytest.MonkeyPatch) -> None:
    import firebase_admin
    from firebase_admin import auth

    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", servers["auth"].address)
    app = firebase_admin.initialize_app(options={"projectId": PROJECT}, name="browser-transport")
    try:
        auth.create_user(uid="u_admin_made", email="owner@example.com", password="secret123", app=app)
        auth.set_custom_user_claims("u_admin_made", {"salon_roles": {"s1": "owner"}}, app=app)
        token = sign_in(servers["auth"], "owner@example.com", "secret123")
        claims = auth.verify_id_token(token, app=app)
        assert claims["uid"] == "u_admin_made" and claims["salon_roles"] == {"s1": "owner"}
        assert auth.get_user("u_admin_made", app=app).custom_claims == {"salon_roles": {"s1": "owner"}}
        status, refreshed = post(f"http://{servers['auth'].address}/securetoken.googleapis.com/v1/token?key=fake",
                                 {"grant_type": "refresh_token", "refresh_token": "nope"})
        assert status == 400 and refreshed["error"]["message"] == "INVALID_REFRESH_TOKEN"
    finally:
        firebase_admin.delete_app(app)
    status, wrong = post(f"http://{servers['auth'].address}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword",
                         {"email": "owner@example.com", "password": "nope"})
    assert status == 400 and wrong["error"]["message"] == "INVALID_PASSWORD"


def test_rest_commit_and_batch_get_go_through_the_rules_with_the_callers_token(
        servers: dict[str, RunningServer], staff_token: str) -> None:
    web = f"http://{servers['web'].address}/v1/{DATABASE}/documents"
    token = staff_token
    name = f"{DATABASE}/documents/salons/s1/approvals/a1"
    # The Admin SDK's token bypasses the rules (seeding), a member's token is checked by them.
    status, _ = post(f"{web}:commit", {"writes": [{"update": {"name": name, "fields": {
        "salon_id": {"stringValue": "s1"}, "status": {"stringValue": "pending"}}}}]}, {"authorization": "Bearer owner"})
    assert status == 200
    status, found = post(f"{web}:batchGet", {"documents": [name]}, {"authorization": f"Bearer {token}"})
    assert status == 200 and found[0]["found"]["fields"]["status"] == {"stringValue": "pending"}
    status, refused = post(f"{web}:commit", {"writes": [{"update": {"name": name, "fields": {
        "status": {"stringValue": "approved"}}}}]}, {"authorization": f"Bearer {token}"})
    assert status == 403 and refused["error"]["status"] == "PERMISSION_DENIED"
    status, anonymous = post(f"{web}:batchGet", {"documents": [name]})
    assert status == 403, anonymous


def chunks(text: str) -> list[Any]:
    """BrowserChannel's length-prefixed chunks."""
    found, at = [], 0
    while at < len(text):
        newline = text.index("\n", at)
        size = int(text[at:newline])
        found.append(json.loads(text[newline + 1:newline + 1 + size]))
        at = newline + 1 + size
    return found


def test_a_webchannel_listen_session_streams_the_target_and_a_refusal(
        servers: dict[str, RunningServer], staff_token: str) -> None:
    base = f"http://{servers['web'].address}/google.firestore.v1.Firestore/Listen/channel"
    headers = urllib.parse.quote(f"Authorization:Bearer {staff_token}\r\n")
    listen = {"database": DATABASE, "addTarget": {"targetId": 2, "documents": {
        "documents": [f"{DATABASE}/documents/salons/s1/approvals/a1"]}}}
    body = f"headers={headers}&count=1&ofs=0&req0___data__={urllib.parse.quote(json.dumps(listen))}"
    status, opened = post(f"{base}?VER=8&RID=1000&CVER=22&X-HTTP-Session-Id=gsessionid&zx=a&t=1", body,
                          {"content-type": "application/x-www-form-urlencoded"}, raw=True)
    assert status == 200
    [[[array_id, handshake]]] = chunks(opened)
    assert array_id == 0 and handshake[0] == "c"
    sid = handshake[1]
    with urllib.request.urlopen(f"{base}?VER=8&RID=rpc&SID={sid}&AID=0&CI=1&TYPE=xmlhttp&zx=b&t=1", timeout=30) as got:
        arrays = chunks(got.read().decode())[0]
    messages = [payload[0] for _, payload in arrays if isinstance(payload[0], dict)]
    assert any("targetChange" in m for m in messages), messages
    # Another salon's document: the target is removed with PERMISSION_DENIED.
    other = {"database": DATABASE, "addTarget": {"targetId": 4, "documents": {
        "documents": [f"{DATABASE}/documents/salons/s2/approvals/a1"]}}}
    status, acked = post(f"{base}?VER=8&SID={sid}&RID=1001&AID={arrays[-1][0]}&zx=c&t=1",
                         f"count=1&ofs=1&req0___data__={urllib.parse.quote(json.dumps(other))}",
                         {"content-type": "application/x-www-form-urlencoded"}, raw=True)
    assert status == 200 and chunks(acked)[0][0] == 1
    removal = None
    for _ in range(5):
        with urllib.request.urlopen(f"{base}?VER=8&RID=rpc&SID={sid}&AID={arrays[-1][0]}&CI=1&TYPE=xmlhttp&t=1",
                                    timeout=30) as got:
            arrays = chunks(got.read().decode())[0]
        removal = next((p[0]["targetChange"] for _, p in arrays if isinstance(p[0], dict)
                        and p[0].get("targetChange", {}).get("targetChangeType") == "REMOVE"), None)
        if removal:
            break
    assert removal is not None and removal["cause"]["code"] == 7 and removal["targetIds"] == [4]
    with urllib.request.urlopen(f"{base}?VER=8&SID={sid}&RID=1002&TYPE=terminate&zx=d&t=1", timeout=10) as got:
        assert got.status == 200
    status, unknown = post(f"{base}?VER=8&SID={sid}&RID=1003&AID=0&zx=e&t=1", "count=0",
                           {"content-type": "application/x-www-form-urlencoded"}, raw=True)
    assert status == 400 and "Unknown SID" in unknown
