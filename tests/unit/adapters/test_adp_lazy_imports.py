"""Importing the ports and adapters must not import vendor SDKs: cold starts pay only for what runs."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ["twilio", "google.cloud.pubsub_v1", "google.cloud.tasks_v2", "firebase_admin.messaging", "grpc"]


def test_importing_every_adapter_loads_no_vendor_sdk() -> None:
    code = (
        "import sys\n"
        "import salonflow.ports, salonflow.adapters.twilio_errors, salonflow.adapters.twilio_messaging\n"
        "import salonflow.adapters.twilio_webhooks, salonflow.adapters.pubsub_events\n"
        "import salonflow.adapters.cloud_tasks, salonflow.adapters.push\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
