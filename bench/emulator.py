"""Benchmark of the Firestore emulator through the real Python client.

Prints start-up time (process start to the ready line, median of several starts), idle RSS, and
single-document writes/s, reads/s and 100-document queries/s from one client thread.

    .venv/bin/python bench/emulator.py [--seconds 3] [--starts 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from localcloud.testing import free_port, run_server, stop_process_group

PROJECT_ID = "demo-salonflow"


def time_to_ready() -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "firestore", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "ready" in line:
                return time.perf_counter() - started
        raise RuntimeError("emulator exited before it was ready")
    finally:
        stop_process_group(process)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def rate(operation: Callable[[int], object], seconds: float) -> float:
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        operation(count)
        count += 1
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput run")
    parser.add_argument("--starts", type=int, default=5, help="number of cold starts to time")
    args = parser.parse_args()

    starts = [time_to_ready() for _ in range(args.starts)]
    print(f"start to ready      : {statistics.median(starts) * 1000:7.0f} ms (median of {len(starts)})")

    with run_server("firestore", ["--project", PROJECT_ID]) as server:
        time.sleep(1.0)
        print(f"idle RSS            : {rss_mb(server.process.pid):7.1f} MB")
        os.environ["FIRESTORE_EMULATOR_HOST"] = server.address
        from google.cloud import firestore

        client = firestore.Client(project=PROJECT_ID)
        docs = client.collection("bench")
        payload = {"name": "Priya", "service": "haircut", "price_inr": 450, "tags": ["a", "b"]}
        docs.document("warm").set(payload)

        writes = rate(lambda i: docs.document(f"w{i % 1000}").set(payload), args.seconds)
        print(f"single-doc writes/s : {writes:7.0f}")
        reads = rate(lambda i: docs.document(f"w{i % 1000}").get(), args.seconds)
        print(f"single-doc reads/s  : {reads:7.0f}")

        hundred = client.collection("hundred")
        batch = client.batch()
        for i in range(100):
            batch.set(hundred.document(f"d{i:03d}"), {**payload, "i": i})
        batch.commit()
        queries = rate(lambda _i: list(hundred.stream()), args.seconds)
        print(f"100-doc queries/s   : {queries:7.1f}")
        print(f"loaded RSS          : {rss_mb(server.process.pid):7.1f} MB")
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
