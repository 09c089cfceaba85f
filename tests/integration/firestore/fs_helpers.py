"""HTTP extras of the Firestore emulator, for the tests in this folder."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from localcloud.testing import RunningServer

PROJECT_ID = "demo-salonflow"


def emulator_url(server: RunningServer, path: str) -> str:
    return f"http://{server.address}{path}"


def http(server: RunningServer, method: str, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(emulator_url(server, path), method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def stats(server: RunningServer, database: str = "(default)") -> dict[str, Any]:
    _, body = http(server, "GET", f"/emulator/v1/projects/{PROJECT_ID}/databases/{database}:stats")
    return dict(json.loads(body))


def clear(server: RunningServer, database: str = "(default)") -> None:
    http(server, "DELETE", f"/emulator/v1/projects/{PROJECT_ID}/databases/{database}/documents")
