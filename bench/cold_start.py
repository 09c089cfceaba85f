"""Cold start of the functions bundle: import time and RSS of ``main``, then of each function's first call.

Each measurement runs in a fresh interpreter (a new instance, as Cloud Functions starts one), against
the local cloud's emulators. Prints medians over several runs; no assertions (see README: targets
are checked by reading these figures).

    .venv/bin/python bench/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from localcloud.stack import local_cloud

ROOT = Path(__file__).resolve().parents[1]

# One representative first call per function; each runs in its own fresh process.
PROBE = r'''
import json, resource, sys, time
from datetime import datetime, timezone
t0 = time.perf_counter()
sys.path.insert(0, "functions")
import main
t_import = time.perf_counter() - t0
rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
name = sys.argv[1]
from flask import Flask
app = Flask("probe")
t1 = time.perf_counter()
if name == "autonomous":
    with app.test_request_context("/autonomous/openapi.json"):
        from flask import request
        main.autonomous(request)
elif name == "webhooks":
    with app.test_request_context("/webhooks/twilio/status?salon_id=s&outreach_id=o", method="POST",
                                  data={"MessageSid": "SM1", "MessageStatus": "sent"}):
        from flask import request
        main.webhooks(request)
elif name == "internal":
    with app.test_request_context("/internal/tasks/execute", method="POST", data=b"{}"):
        from flask import request
        main.internal(request)
elif name == "schedule_gap_fill":
    with app.test_request_context("/", method="POST",
                                  headers={"X-CloudScheduler-ScheduleTime": "2026-11-25T04:30:00Z"}):
        from flask import request
        main.schedule_gap_fill(request)
t_call = time.perf_counter() - t1
rss_call = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"import_s": t_import, "import_rss_mb": rss_import, "call_s": t_call, "call_rss_mb": rss_call,
                  "modules": len(sys.modules)}))
'''

FUNCTIONS = ("autonomous", "webhooks", "internal", "schedule_gap_fill")


def measure(name: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PROBE, name], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with local_cloud(functions_source=None) as cloud:
        env = {**os.environ, **cloud.env}
        print(f"cold start, median of {args.runs} fresh interpreters per function")
        print(f"{'function':<20} {'import main':>12} {'RSS after import':>17} {'first call':>11} {'RSS after call':>15}")
        for name in FUNCTIONS:
            runs = [measure(name, env) for _ in range(args.runs)]
            def med(key: str, runs: list[dict[str, float]] = runs) -> float:
                return statistics.median(run[key] for run in runs)
            print(f"{name:<20} {med('import_s') * 1000:>10.0f}ms {med('import_rss_mb'):>15.1f}MB "
                  f"{med('call_s') * 1000:>9.0f}ms {med('call_rss_mb'):>13.1f}MB")


if __name__ == "__main__":
    main()
