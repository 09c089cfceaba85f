"""Firestore emulator writes/s with and without ``--data-dir`` (journal fsynced before each answer).

Single-document ``set`` through the real Python client, from one thread and from several threads
(where group commit lets concurrent commits share an fsync). Prints the median of several runs of
each, side by side, plus the time to recover the data directory on a restart.

    .venv/bin/python bench/emulator_persistence.py [--seconds 3] [--runs 3] [--threads 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from localcloud.testing import run_server

PROJECT_ID = "demo-salonflow"


def client_for(address: str) -> Any:
    from google.cloud import firestore

    os.environ["FIRESTORE_EMULATOR_HOST"] = address
    return firestore.Client(project=PROJECT_ID)


def writes_per_second(address: str, threads: int, seconds: float) -> float:
    client = client_for(address)
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def work(worker: int) -> None:
        collection = client.collection(f"bench{worker}")
        while time.perf_counter() < deadline:
            collection.document(f"d{counts[worker] % 1000}").set(
                {"n": counts[worker], "name": "Priya", "inr": 1200}
            )
            counts[worker] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(worker,)) for worker in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    client.close()
    return sum(counts) / elapsed


def measure(data_dir: Path | None, threads: int, seconds: float, runs: int) -> list[float]:
    extra = ["--project", PROJECT_ID] + (["--data-dir", str(data_dir)] if data_dir else [])
    with run_server("firestore", extra) as server:
        writes_per_second(server.address, threads, 0.5)  # warm up connections and code paths
        return [writes_per_second(server.address, threads, seconds) for _ in range(runs)]


def recovery_seconds(data_dir: Path) -> float:
    started = time.perf_counter()
    with run_server("firestore", ["--project", PROJECT_ID, "--data-dir", str(data_dir)]):
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each run")
    parser.add_argument("--runs", type=int, default=3, help="runs per configuration (the median is shown)")
    parser.add_argument("--threads", type=int, default=8, help="client threads for the concurrent case")
    args = parser.parse_args()
    print(f"{'client threads':>14} | {'in memory':>12} | {'--data-dir':>12} | ratio")
    with tempfile.TemporaryDirectory(prefix="fs-bench-") as directory:
        for threads in (1, args.threads):
            memory = statistics.median(measure(None, threads, args.seconds, args.runs))
            durable = statistics.median(
                measure(Path(directory) / f"t{threads}", threads, args.seconds, args.runs)
            )
            print(f"{threads:>14} | {memory:>10,.0f}/s | {durable:>10,.0f}/s | {durable / memory:.2f}")
        empty = recovery_seconds(Path(directory) / "empty")
        full = recovery_seconds(Path(directory) / f"t{args.threads}")
        print(
            f"start to ready: empty data dir {empty * 1000:.0f} ms, after the runs above {full * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
