import json
import shutil
import time
from pathlib import Path

from localcloud.testing import RunningServer, run_server

SAMPLE = Path(__file__).parents[2] / "fixtures" / "functions_sample"


def _wait_for_calls(record: Path, count: int, timeout_s: float = 15.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if record.exists():
            calls = [json.loads(line) for line in record.read_text().splitlines()]
            if len(calls) >= count:
                return calls
        time.sleep(0.05)
    raise AssertionError(f"expected {count} calls in {record}")


def test_a_booking_write_reaches_its_firestore_trigger_as_a_change_with_path_params(
    tmp_path: Path, firestore_emulator: RunningServer, firestore_client
) -> None:
    source = tmp_path / "functions"
    shutil.copytree(SAMPLE, source)
    args = ["--project", "demo-salonflow", "--source", str(source), "--no-schedules",
            "--firestore", firestore_emulator.address]
    env = {"GOOGLE_CLOUD_PROJECT": "demo-salonflow", "FIRESTORE_EMULATOR_HOST": firestore_emulator.address}
    with run_server("functions", args, env=env):
        booking = firestore_client.document("salons/salon_1/bookings/bk_1")
        booking.set({"status": "booked"})
        booking.update({"status": "cancelled"})
        firestore_client.document("salons/salon_1/staff/st_1").set({"name": "Rahul"})  # no trigger
        calls = _wait_for_calls(source / "calls.jsonl", 2)
    by_state = {(c["before"] or {}).get("status"): c for c in calls}
    assert by_state[None]["after"] == {"status": "booked"}
    assert by_state["booked"]["after"] == {"status": "cancelled"}
    assert by_state["booked"]["params"] == {"salonId": "salon_1", "bookingId": "bk_1"}
    assert all(c["type"] == "google.cloud.firestore.document.v1.written" for c in calls)
    assert len(calls) == 2
