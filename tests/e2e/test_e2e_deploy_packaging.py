"""The deploy bundle, built and discovered exactly as the Firebase CLI does it.

The predeploy step copies shared/salonflow into a copy of functions/; only functions/requirements.txt
is installed into a clean virtual environment; then the SDK's admin server is started there and
``/__/functions.yaml`` is read, as ``firebase deploy`` does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from localcloud.testing import free_port, stop_process_group

ROOT = Path(__file__).resolve().parents[2]


def predeploy(target: Path) -> Path:
    """Run firebase.json's predeploy command against a copy of the repository's functions folder."""
    config = json.loads((ROOT / "firebase.json").read_text())
    (codebase,) = config["functions"]
    shutil.copytree(ROOT / codebase["source"], target / "functions",
                    ignore=shutil.ignore_patterns("salonflow", "venv", "__pycache__"))
    shutil.copytree(ROOT / "shared", target / "shared", ignore=shutil.ignore_patterns("__pycache__"))
    for command in codebase["predeploy"]:
        subprocess.run(command.replace("$RESOURCE_DIR", str(target / "functions")), shell=True, check=True)
    return target / "functions"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("deploy")
    source = predeploy(work)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(source / "requirements.txt")], check=True)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update({"ADMIN_PORT": str(port), "GOOGLE_CLOUD_PROJECT": "demo-salonflow"})
    process = subprocess.Popen([str(python), "-m", "firebase_functions.private.serving"], cwd=source, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/__/functions.yaml", timeout=2) as response:
                    return dict(yaml.safe_load(response.read()))
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read() if process.stderr else "admin server failed") from None
                time.sleep(0.2)
    finally:
        stop_process_group(process)  # type: ignore[arg-type]


EXPECTED_SCHEDULES = {
    "schedule_gap_fill": "*/5 * * * *",
    "schedule_no_show_prevention": "*/10 * * * *",
    "schedule_waitlist": "*/5 * * * *",
    "schedule_upsell": "*/30 * * * *",
    "schedule_retention": "0 * * * *",
    "schedule_analytics": "5 * * * *",
    "schedule_daily_analytics": "0 0 * * *",
    "schedule_cleanup": "15 * * * *",
}


def test_the_predeploy_copy_holds_the_shared_package_and_no_symlinks(tmp_path: Path) -> None:
    source = predeploy(tmp_path)
    assert (source / "salonflow" / "domain" / "__init__.py").is_file()
    assert not any(path.is_symlink() for path in source.rglob("*"))


def test_every_function_is_discovered_with_its_trigger_and_region(manifest: dict[str, Any]) -> None:
    endpoints = manifest["endpoints"]
    assert set(endpoints) == {"autonomous", "webhooks", "internal", "on_booking_written", "on_approval_updated",
                              "on_salon_event", *EXPECTED_SCHEDULES}
    assert all(endpoint["region"] == ["asia-south1"] for endpoint in endpoints.values())
    for name in ("autonomous", "webhooks", "internal"):
        assert endpoints[name]["httpsTrigger"] == {}


def test_schedules_run_in_kolkata_time_at_the_specs_intervals(manifest: dict[str, Any]) -> None:
    for name, cron in EXPECTED_SCHEDULES.items():
        trigger = manifest["endpoints"][name]["scheduleTrigger"]
        assert (trigger["schedule"], trigger["timeZone"]) == (cron, "Asia/Kolkata")


def test_triggers_listen_to_bookings_approvals_and_salon_events(manifest: dict[str, Any]) -> None:
    endpoints = manifest["endpoints"]
    booking = endpoints["on_booking_written"]["eventTrigger"]
    assert booking["eventType"] == "google.cloud.firestore.document.v1.written"
    assert booking["eventFilterPathPatterns"] == {"document": "salons/{salonId}/bookings/{bookingId}"}
    approval = endpoints["on_approval_updated"]["eventTrigger"]
    assert approval["eventType"] == "google.cloud.firestore.document.v1.updated"
    events = endpoints["on_salon_event"]["eventTrigger"]
    assert events["eventFilters"] == {"topic": "salon-events"} and events["retry"] is True


def test_twilio_secrets_are_declared_only_where_twilio_is_used(manifest: dict[str, Any]) -> None:
    secrets = {name: [s["key"] for s in endpoint.get("secretEnvironmentVariables") or []]
               for name, endpoint in manifest["endpoints"].items()}
    # on_salon_event WhatsApps the approvers of an approval nobody has told yet.
    assert secrets["webhooks"] == secrets["internal"] == secrets["on_salon_event"] == [
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]
    assert secrets["autonomous"] == []
    assert {p["name"] for p in manifest["params"] if p.get("type") == "secret"} == {
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"}


def test_every_function_runs_as_the_terraform_service_account_set_by_a_param(manifest: dict[str, Any]) -> None:
    accounts = {endpoint.get("serviceAccountEmail") for endpoint in manifest["endpoints"].values()}
    assert accounts == {"{{ params.FUNCTIONS_SERVICE_ACCOUNT }}"}
    [param] = [p for p in manifest["params"] if p["name"] == "FUNCTIONS_SERVICE_ACCOUNT"]
    assert param["default"] == "salon-flow-api@"
    terraform = (Path(__file__).resolve().parents[2] / "terraform" / "main.tf").read_text()
    assert 'account_id   = "salon-flow-api"' in terraform


def test_memory_and_timeouts_are_sized_per_function(manifest: dict[str, Any]) -> None:
    endpoints = manifest["endpoints"]
    assert endpoints["internal"]["availableMemoryMb"] == 1024 and endpoints["internal"]["timeoutSeconds"] == 300
    assert endpoints["webhooks"]["timeoutSeconds"] == 15
    assert endpoints["autonomous"]["availableMemoryMb"] == 512
