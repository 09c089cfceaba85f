import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from localcloud.testing import RunningServer, run_server

SAMPLE = Path(__file__).parents[2] / "fixtures" / "functions_sample"


@pytest.fixture
def host(tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    source = tmp_path / "functions"
    shutil.copytree(SAMPLE, source)
    with run_server(
        "functions", ["--project", "demo-salonflow", "--source", str(source), "--no-schedules"],
        env={"GOOGLE_CLOUD_PROJECT": "demo-salonflow"},
    ) as server:
        yield server, source / "calls.jsonl"


def _calls(record: Path) -> list[dict]:
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


def test_an_https_function_is_served_under_project_region_and_name_and_sees_only_its_own_path(host) -> None:
    server, _ = host
    response = httpx.post(f"http://{server.address}/demo-salonflow/asia-south1/echo/autonomous/decisions")
    assert response.status_code == 200
    assert response.json() == {"path": "/autonomous/decisions", "method": "POST"}


def test_a_function_asked_for_in_the_wrong_region_is_not_found(host) -> None:
    server, _ = host
    assert httpx.get(f"http://{server.address}/demo-salonflow/us-central1/echo/").status_code == 404


def test_the_manifest_lists_every_function_with_its_trigger(host) -> None:
    server, _ = host
    manifest = httpx.get(f"http://{server.address}/__/functions.yaml").text
    assert "scheduleTrigger" in manifest and "httpsTrigger" in manifest and "eventTrigger" in manifest
    assert "*/5 * * * *" in manifest


def test_a_scheduled_function_run_on_demand_receives_cloud_scheduler_headers(host) -> None:
    server, record = host
    response = httpx.post(
        f"http://{server.address}/_localcloud/scheduler/tick", json={"schedule_time": "2026-11-25T04:30:00Z"}
    )
    assert response.status_code == 200, response.text
    (call,) = _calls(record)
    assert call["time"] == "2026-11-25T04:30:00+00:00"
    assert call["job"].endswith("/jobs/firebase-schedule-tick-asia-south1")


def test_a_pubsub_push_body_reaches_a_pubsub_function_as_a_cloudevent(host) -> None:
    server, record = host
    push = {
        "message": {
            "data": base64.b64encode(json.dumps({"gap_id": "gap_1"}).encode()).decode(),
            "attributes": {"salon_id": "salon_1", "event_type": "GAP_FILLED"},
            "messageId": "1234",
            "publishTime": "2026-11-25T04:30:00.123Z",
        },
        "subscription": "projects/demo-salonflow/subscriptions/fn-on_event",
    }
    response = httpx.post(f"http://{server.address}/demo-salonflow/asia-south1/on_event", json=push)
    assert response.status_code == 204, response.text
    (call,) = _calls(record)
    assert call == {"kind": "pubsub", "id": "1234", "attributes": push["message"]["attributes"],
                    "data": {"gap_id": "gap_1"}}
