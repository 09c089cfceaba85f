"""What the Firestore emulator reports it has in hand: trigger deliveries the function has not answered."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from localcloud.activity import ACTIVITY_PATH
from localcloud.tasks.recorder import recording_endpoint
from localcloud.testing import RunningServer

pytestmark = pytest.mark.integration

PROJECT = "demo-salonflow"


def http(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def pending(emulator: RunningServer) -> int:
    return int(http("GET", f"http://{emulator.address}{ACTIVITY_PATH}")["pending"])


def test_a_trigger_delivery_is_pending_from_the_commit_until_the_function_answers(
    firestore_emulator: RunningServer, firestore_client: Any
) -> None:
    trigger_url = f"http://{firestore_emulator.address}/emulator/v1/projects/{PROJECT}/triggers/activity-probe"
    with recording_endpoint(held=True) as function:
        http("PUT", trigger_url, {"eventType": "google.cloud.firestore.document.v1.written",
                                  "document": "probes/{probe}", "url": function.url})
        try:
            firestore_client.collection("probes").document("p1").set({"n": 1})
            assert pending(firestore_emulator) == 1  # counted inside the commit, before the write returned
            function.wait_for(1)
            assert pending(firestore_emulator) == 1  # delivered, not answered

            function.release()
            deadline = time.monotonic() + 60
            while pending(firestore_emulator) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert pending(firestore_emulator) == 0
        finally:
            http("DELETE", trigger_url)
