"""Benchmark of our Firestore emulator against its Node peer, through the official Python client.

The bench starts both servers itself: ours (``python -m localcloud firestore``) and the npm package
``@firestore-emulator/server`` (pinned in ``bench/peer/package-lock.json``, installed with ``npm ci`` on
first use). Every figure is measured for each in the same run, interleaved (the order alternates from run
to run), and printed as the median over the runs with the ratio ours / peer and the goal of issue #14:

- start to ready (process start until its ``ready`` line) and idle RSS one second later;
- single-document ``set`` and ``get``, 100-document ``stream`` queries, from one client thread and (writes,
  reads) from several threads sharing one client, with the server's and the client's CPU per call;
- single writes while 100 ``on_snapshot`` listeners (in a process of their own) watch one collection:
  writes to another collection, and writes into the watched collection (every write fans out to all 100).

``--before DIR`` adds a third contender, our emulator's code from another checkout (``DIR`` holds its
``localcloud`` package, e.g. ``git archive main emulators | tar -x -C /tmp/before`` and
``--before /tmp/before/emulators``), for before/after figures from the same run.

    .venv/bin/python bench/emulator.py [--runs 5] [--seconds 2] [--starts 7] [--threads 4] [--listeners 100]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import firestore_peer
from localcloud.testing import free_port, run_command, stop_process_group

PROJECT_ID = "demo-salonflow"
PAYLOAD = {"name": "Priya", "service": "haircut", "price_inr": 450, "tags": ["a", "b"]}
REPOSITORY = Path(__file__).resolve().parents[1]
LISTENERS_SCRIPT = Path(__file__).resolve().parent / "firestore_listeners.py"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Contender:
    name: str
    command: Callable[[int], list[str]]
    env: dict[str, str] = field(default_factory=dict)


def ours(name: str = "ours", code_dir: str | None = None, extra: tuple[str, ...] = ()) -> Contender:
    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "localcloud", "firestore", "--host", "127.0.0.1", "--port", str(port),
                "--project", PROJECT_ID, *extra]

    return Contender(name, command, {"PYTHONPATH": code_dir} if code_dir else {})


# ---------------------------------------------------------------------------------------------------
# Process measurements


def time_to_ready(contender: Contender) -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        contender.command(port),
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **contender.env},
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "ready" in line:
                return time.perf_counter() - started
        raise RuntimeError(f"{contender.name} exited before it was ready")
    finally:
        stop_process_group(process)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def process_cpu_s(pid: int) -> float:
    """User + system CPU of every thread of ``pid`` so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------------
# Client loops


@dataclass(frozen=True)
class Rate:
    per_second: float
    server_cpu_ms: float  # per call
    client_cpu_ms: float  # per call, the whole bench process


def rate(operation: Callable[[int], object], seconds: float, server_pid: int, threads: int = 1) -> Rate:
    """Calls per second of ``operation(i)`` from ``threads`` threads for ``seconds``."""
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(worker: int) -> None:
        i = worker * 1_000_000
        while time.perf_counter() < deadline:
            operation(i)
            i += 1
            counts[worker] += 1

    server_before, client_before = process_cpu_s(server_pid), own_cpu_s()
    started = time.perf_counter()
    if threads == 1:
        loop(0)
    else:
        pool = [threading.Thread(target=loop, args=(worker,)) for worker in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    elapsed = time.perf_counter() - started
    calls = max(1, sum(counts))
    return Rate(
        calls / elapsed,
        (process_cpu_s(server_pid) - server_before) * 1000 / calls,
        (own_cpu_s() - client_before) * 1000 / calls,
    )


@contextlib.contextmanager
def listeners_on(address: str, collection_id: str, count: int) -> Iterator[Callable[[], int]]:
    """``count`` listeners on ``collection_id`` in a helper process; yields a function that stops them
    and returns how many document changes they were sent."""
    with tempfile.TemporaryDirectory() as scratch:
        count_file = Path(scratch) / "changes"
        command = [sys.executable, str(LISTENERS_SCRIPT), address, collection_id, str(count), str(count_file)]
        with run_command(command, 0, timeout_s=120.0) as helper:

            def stop() -> int:
                stop_process_group(helper.process)
                return int(count_file.read_text()) if count_file.exists() else 0

            yield stop


class Bench:
    """One running server of one contender and a client of it."""

    def __init__(self, contender: Contender, address: str, pid: int, args: argparse.Namespace) -> None:
        self.contender = contender
        self.address = address
        self.pid = pid
        self.args = args
        os.environ["FIRESTORE_EMULATOR_HOST"] = address  # read once, when the client is made
        from google.cloud import firestore

        self.client = firestore.Client(project=PROJECT_ID)
        self.docs = self.client.collection("bench")
        self.hundred = self.client.collection("hundred")

    def seed(self) -> None:
        self.docs.document("warm").set(PAYLOAD)
        for first in range(0, 1000, 250):  # every document the read loops get exists
            batch = self.client.batch()
            for i in range(first, first + 250):
                batch.set(self.docs.document(f"w{i}"), PAYLOAD)
            batch.commit()
        batch = self.client.batch()
        for i in range(100):
            batch.set(self.hundred.document(f"d{i:03d}"), {**PAYLOAD, "i": i})
        batch.commit()

    def _rate(self, operation: Callable[[int], object], threads: int = 1) -> Rate:
        return rate(operation, self.args.seconds, self.pid, threads)

    def writes(self, threads: int = 1, collection: str = "bench") -> Rate:
        docs = self.client.collection(collection)
        return self._rate(lambda i: docs.document(f"w{i % 1000}").set(PAYLOAD), threads)

    def reads(self, threads: int = 1) -> Rate:
        return self._rate(lambda i: self.docs.document(f"w{i % 1000}").get(), threads)

    def queries(self) -> Rate:
        return self._rate(lambda _i: list(self.hundred.stream()))

    def listener_writes(self) -> dict[str, float]:
        """Single writes/s with no listener, with listeners elsewhere, with listeners on the written
        collection; and the document changes per second the listeners were sent in that last phase."""
        self.client.collection("watched").document("seed").set(PAYLOAD)
        without = self.writes(collection="plain").per_second
        with listeners_on(self.address, "watched", self.args.listeners) as stop:
            elsewhere = self.writes(collection="plain").per_second
            started = time.perf_counter()
            into = self.writes(collection="watched").per_second
            delivered = stop() / (time.perf_counter() - started)
        return {"without": without, "elsewhere": elsewhere, "into": into, "delivered": delivered}

    def close(self) -> None:
        self.client.close()


# ---------------------------------------------------------------------------------------------------
# Runs and the table

Samples = dict[str, dict[str, list[float]]]  # measure -> contender -> one value per run


def record(samples: Samples, measure: str, contender: str, value: float) -> None:
    samples.setdefault(measure, {}).setdefault(contender, []).append(value)


def interleaved(contenders: list[Contender], run: int) -> list[Contender]:
    return contenders if run % 2 == 0 else contenders[::-1]


def measure_starts(contenders: list[Contender], starts: int, samples: Samples) -> None:
    for run in range(starts):
        for contender in interleaved(contenders, run):
            record(samples, "start", contender.name, time_to_ready(contender) * 1000)


def measure_run(contenders: list[Contender], run: int, args: argparse.Namespace, samples: Samples) -> None:
    with contextlib.ExitStack() as stack:
        benches = []
        for contender in interleaved(contenders, run):
            port = free_port()
            server = stack.enter_context(run_command(contender.command(port), port, env=contender.env))
            benches.append(Bench(contender, server.address, server.process.pid, args))
        time.sleep(1.0)
        for bench in benches:
            record(samples, "rss", bench.contender.name, rss_mb(bench.pid))
        for bench in benches:
            bench.seed()
            stack.callback(bench.close)

        def each(measure: Callable[[Bench], Rate], name: str) -> None:
            for bench in benches:
                result = measure(bench)
                record(samples, name, bench.contender.name, result.per_second)
                record(samples, f"{name} server", bench.contender.name, result.server_cpu_ms)
                record(samples, f"{name} client", bench.contender.name, result.client_cpu_ms)

        each(lambda bench: bench.writes(), "writes")
        each(lambda bench: bench.reads(), "reads")
        each(lambda bench: bench.queries(), "queries")
        each(lambda bench: bench.writes(args.threads), "writes mt")
        each(lambda bench: bench.reads(args.threads), "reads mt")
        if args.listeners:
            for bench in benches:
                figures = bench.listener_writes()
                name = bench.contender.name
                record(samples, "listen without", name, figures["without"])
                record(samples, "listen elsewhere", name, figures["elsewhere"] / figures["without"])
                record(samples, "listen into", name, figures["into"] / figures["without"])
                record(samples, "listen delivered", name, figures["delivered"])


def print_table(samples: Samples, contenders: list[Contender], args: argparse.Namespace) -> None:
    names = [contender.name for contender in contenders]
    others = names[1:]
    rows: list[tuple[str, str, str, str]] = [
        ("start", f"start to ready, ms ({args.starts} starts each)", "{:.0f}", "<= 1.00"),
        ("rss", "idle RSS, MB", "{:.1f}", "<= 1.20"),
        ("writes", "single-doc writes/s (set)", "{:.0f}", ">= 3.00"),
        ("writes server", "  server CPU per write, ms", "{:.3f}", ""),
        ("writes client", "  client CPU per write, ms", "{:.3f}", ""),
        ("reads", "single-doc reads/s (get)", "{:.0f}", ">= 3.00"),
        ("reads server", "  server CPU per read, ms", "{:.3f}", ""),
        ("reads client", "  client CPU per read, ms", "{:.3f}", ""),
        ("queries", "100-doc queries/s (stream)", "{:.1f}", ">= 3x before"),
        ("queries server", "  server CPU per query, ms", "{:.2f}", ""),
        ("queries client", "  client CPU per query, ms", "{:.2f}", ""),
        ("writes mt", f"writes/s, {args.threads} client threads", "{:.0f}", ""),
        ("reads mt", f"reads/s, {args.threads} client threads", "{:.0f}", ""),
        ("listen without", "writes/s before the listeners", "{:.0f}", ""),
        ("listen elsewhere", f"  with {args.listeners} listeners on another collection, x", "{:.2f}", ">= 0.80 each"),
        ("listen into", f"  with {args.listeners} listeners on the written collection, x", "{:.2f}", ">= 0.80 each"),
        ("listen delivered", "  changes/s sent to those listeners", "{:.0f}", ""),
    ]
    header = f"{'measure':58}" + "".join(f"{name:>10}" for name in names)
    header += "".join(f"{'ours/' + other:>13}" for other in others) + "  goal"
    print(header)
    for key, label, number, goal in rows:
        if key not in samples:
            continue
        medians = {name: statistics.median(values) for name, values in samples[key].items()}
        line = f"{label:58}" + "".join(f"{number.format(medians[name]):>10}" for name in names)
        ratio_cells = []
        for other in others:
            is_ratio_row = key.startswith("listen ") and key not in ("listen without", "listen delivered")
            if is_ratio_row or medians[other] == 0:
                ratio_cells.append(f"{'':>13}")
            else:
                ratio_cells.append(f"{medians['ours'] / medians[other]:>13.2f}")
        print(line + "".join(ratio_cells) + ("  " + goal if goal else ""))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="runs of every throughput figure (median)")
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each throughput run")
    parser.add_argument("--starts", type=int, default=7, help="cold starts timed per contender")
    parser.add_argument("--threads", type=int, default=4, help="client threads of the multi-threaded runs")
    parser.add_argument("--listeners", type=int, default=100, help="listeners of the listener runs (0: skip)")
    parser.add_argument("--before", help="a checkout's emulators/ directory to compare with as 'before'")
    parser.add_argument("--no-peer", action="store_true", help="measure ours (and --before) only")
    args = parser.parse_args()

    contenders = [ours()]
    title = "Firestore emulator, ours"
    if not args.no_peer:
        version = firestore_peer.ensure_installed()
        contenders.append(Contender("peer", firestore_peer.command))
        title += f" vs peer ({firestore_peer.PACKAGE} {version}, Node {node_version()})"
    if args.before:
        contenders.append(ours("before", args.before))
        title += f" vs before ({args.before})"
    print(f"{title}: medians of {args.runs} runs of {args.seconds:g} s, one client thread unless stated",
          flush=True)

    samples: Samples = {}
    measure_starts(contenders, args.starts, samples)
    for run in range(args.runs):
        measure_run(contenders, run, args, samples)
        print(f"  run {run + 1}/{args.runs} done", file=sys.stderr, flush=True)
    print_table(samples, contenders, args)
    return 0


def node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
