"""Every /autonomous endpoint over HTTP through the functions host: the auth matrix, and the one error shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import SALON_ID, Stack, start_stack, upcoming_tuesday
from localcloud.auth import emulator_id_token
from salonflow_demo.token import owner_token, usage

ERROR_KEYS = {"code", "message", "details"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(Path(tmp_path_factory.mktemp("api")), upcoming_tuesday(), customers=30, staff=2)


def call(stack: Stack, method: str, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{stack.cloud.function_url('autonomous')}{path}", data=data, method=method,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def operations(stack: Stack) -> list[tuple[str, str, str]]:
    status, document = call(stack, "GET", "/autonomous/openapi.json", None)
    assert status == 200 and document["openapi"] == "3.1.0"
    return [(method.upper(), path.replace("{id}", "x").replace("{name}", "gap_fill_agent"), item["x-min-role"])
            for path, methods in document["paths"].items() for method, item in methods.items()]


def test_every_endpoint_refuses_a_request_without_a_token_with_the_error_shape(stack: Stack) -> None:
    ops = operations(stack)
    assert len(ops) >= 25
    for method, path, _ in ops:
        status, body = call(stack, method, f"{path}?salon_id={SALON_ID}", None, {} if method != "GET" else None)
        assert status == 401, (method, path, status, body)
        assert set(body["error"]) == ERROR_KEYS


def test_every_endpoint_refuses_a_member_of_another_salon(stack: Stack) -> None:
    outsider = emulator_id_token("uid_outsider", stack.cloud.env["GOOGLE_CLOUD_PROJECT"],
                                 {"salon_roles": {"some_other_salon": "owner"}})
    for method, path, _ in operations(stack):
        status, body = call(stack, method, f"{path}?salon_id={SALON_ID}", outsider, {} if method != "GET" else None)
        assert status == 403, (method, path, status, body)


def test_staff_may_read_every_list_but_not_act_where_a_manager_is_needed(stack: Stack) -> None:
    staff = emulator_id_token("uid_staff", stack.cloud.env["GOOGLE_CLOUD_PROJECT"],
                              {"salon_roles": {SALON_ID: "staff"}})
    for method, path, min_role in operations(stack):
        status, body = call(stack, method, f"{path}?salon_id={SALON_ID}", staff, {} if method != "GET" else None)
        if min_role == "staff":
            assert status in (200, 404), (method, path, status, body)  # 404: the placeholder id "x" is unknown
        else:
            assert status == 403, (method, path, status, body)


def test_the_token_and_curl_make_token_prints_work_against_the_function_url_it_names(stack: Stack) -> None:
    token = owner_token(SALON_ID)
    printed = usage(SALON_ID, token)
    assert "/autonomous/autonomous/" not in printed and "/autonomous/agents?salon_id=" in printed
    status, body = call(stack, "GET", f"/agents?salon_id={SALON_ID}", token)  # the function URL's own paths
    assert status == 200 and len(body["items"]) == 7
    status, document = call(stack, "GET", "/openapi.json", None)
    assert status == 200 and document["openapi"] == "3.1.0"
    status, body = call(stack, "GET", "/agents?salon_id=salon_nowhere", owner_token("salon_nowhere"))
    assert status == 404 and body["error"]["code"] == "not_found"
