"""Selective queries on a large collection: our Firestore emulator now against an older checkout of it.

A query with an equality-like filter reads its candidates from the emulator's field indexes
(``localcloud/firestore/field_index.py``) instead of testing every document of the collection. The bench
fills a collection of 20,000 bookings (2,000 staff ids, so ~10 bookings each) and measures, through the
official Python client, for ``after`` (this checkout) and ``before`` (``--before DIR``, e.g.
``git archive main emulators | tar -x -C /tmp/before`` and ``--before /tmp/before/emulators``):

- ``staff_id == s`` (~10 results) and ``staff_id in [3 ids]`` + ``start >= x`` (~15) queries per second;
- the 100-document query of ``bench/emulator.py`` (a collection of 100 with no filter: always a scan);
- single writes per second into the 20,000 bookings, each moving a booking to another staff id, once the
  index exists (what keeping it up to date costs), and into a collection no query indexed;
- the server's RSS at the end (what the index costs in memory).

Each run starts fresh servers, in alternating order; the table shows medians over the runs.

    .venv/bin/python bench/emulator_selective_queries.py --before /tmp/before/emulators [--runs 5] [--seconds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from emulator import PAYLOAD, PROJECT_ID, Contender, Rate, Samples, interleaved, ours, rate, record, rss_mb
from localcloud.testing import free_port, run_command

BOOKINGS = 20_000
STAFF = 2_000  # BOOKINGS / STAFF results per staff id
BATCH = 500


class SelectiveBench:
    """One running server and a client of it, with the bookings seeded."""

    def __init__(self, contender: Contender, address: str, pid: int, seconds: float) -> None:
        os.environ["FIRESTORE_EMULATOR_HOST"] = address  # read once, when the client is made
        from google.cloud import firestore
        from google.cloud.firestore_v1.base_query import FieldFilter

        self.contender = contender
        self.pid = pid
        self.seconds = seconds
        self.filter = FieldFilter
        self.client = firestore.Client(project=PROJECT_ID)
        self.bookings = self.client.collection("salons").document("s1").collection("bookings")
        self.hundred = self.client.collection("hundred")
        self.plain = self.client.collection("plain")

    def seed(self) -> None:
        for first in range(0, BOOKINGS, BATCH):
            batch = self.client.batch()
            for i in range(first, first + BATCH):
                batch.set(self.bookings.document(f"b{i:05d}"),
                          {**PAYLOAD, "staff_id": f"s{i % STAFF}", "start": i, "status": "booked"})
            batch.commit()
        batch = self.client.batch()
        for i in range(100):
            batch.set(self.hundred.document(f"d{i:03d}"), {**PAYLOAD, "i": i})
        batch.commit()

    def _rate(self, operation: Callable[[int], object]) -> Rate:
        return rate(operation, self.seconds, self.pid)

    def equality(self) -> Rate:
        def query(i: int) -> list[Any]:
            found = list(self.bookings.where(filter=self.filter("staff_id", "==", f"s{i % STAFF}")).stream())
            assert len(found) == BOOKINGS // STAFF
            return found

        return self._rate(query)

    def in_and_range(self) -> Rate:
        def query(i: int) -> list[Any]:
            ids = [f"s{(i + step) % STAFF}" for step in (0, 1, 2)]
            return list(self.bookings.where(filter=self.filter("staff_id", "in", ids))
                        .where(filter=self.filter("start", ">=", BOOKINGS // 2)).stream())

        return self._rate(query)

    def hundred_docs(self) -> Rate:
        return self._rate(lambda _i: list(self.hundred.stream()))

    def indexed_writes(self) -> Rate:
        return self._rate(lambda i: self.bookings.document(f"b{i % BOOKINGS:05d}").set(
            {**PAYLOAD, "staff_id": f"s{(i * 7) % STAFF}", "start": i % BOOKINGS, "status": "booked"}))

    def plain_writes(self) -> Rate:
        return self._rate(lambda i: self.plain.document(f"w{i % 1000}").set(PAYLOAD))

    def close(self) -> None:
        self.client.close()


MEASURES: list[tuple[str, str, Callable[[SelectiveBench], Rate]]] = [
    ("equality", f"staff_id == s (~{BOOKINGS // STAFF} of {BOOKINGS:,}), queries/s", SelectiveBench.equality),
    ("in range", f"staff_id in [3] + start >= x (~{BOOKINGS // STAFF * 3 // 2}), queries/s",
     SelectiveBench.in_and_range),
    ("hundred", "100-doc queries/s (stream, no filter)", SelectiveBench.hundred_docs),
    ("indexed writes", f"writes/s into the {BOOKINGS:,} indexed bookings", SelectiveBench.indexed_writes),
    ("plain writes", "writes/s into an unindexed collection", SelectiveBench.plain_writes),
]


def measure_run(contenders: list[Contender], run: int, seconds: float, samples: Samples) -> None:
    with contextlib.ExitStack() as stack:
        benches = []
        for contender in interleaved(contenders, run):
            port = free_port()
            server = stack.enter_context(run_command(contender.command(port), port, env=contender.env))
            bench = SelectiveBench(contender, server.address, server.process.pid, seconds)
            stack.callback(bench.close)
            started = time.perf_counter()
            bench.seed()
            record(samples, "seed", contender.name, time.perf_counter() - started)
            benches.append(bench)
        for key, _label, measure in MEASURES:  # the equality query first: it builds the index
            for bench in benches:
                result = measure(bench)
                record(samples, key, bench.contender.name, result.per_second)
                record(samples, f"{key} server", bench.contender.name, result.server_cpu_ms)
        for bench in benches:  # what the index costs in memory (and the version history of the writes)
            record(samples, "rss", bench.contender.name, rss_mb(bench.pid))


def print_table(samples: Samples, names: list[str]) -> None:
    header = f"{'measure':58}" + "".join(f"{name:>10}" for name in names)
    print(header + (f"{'after/before':>14}" if len(names) == 2 else ""))
    rows = [("seed", f"seeding {BOOKINGS:,} bookings, s", "{:.1f}")]
    for key, label, _ in MEASURES:
        rows += [(key, label, "{:.1f}"), (f"{key} server", "  server CPU per call, ms", "{:.2f}")]
    rows.append(("rss", "server RSS at the end, MB", "{:.1f}"))
    for key, label, number in rows:
        medians = {name: statistics.median(samples[key][name]) for name in names}
        line = f"{label:58}" + "".join(f"{number.format(medians[name]):>10}" for name in names)
        if len(names) == 2 and medians[names[1]]:
            line += f"{medians[names[0]] / medians[names[1]]:>14.2f}"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="runs (fresh servers each), median shown")
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each throughput window")
    parser.add_argument("--before", help="a checkout's emulators/ directory to compare with as 'before'")
    args = parser.parse_args()
    contenders = [ours("after")]
    if args.before:
        contenders.append(ours("before", args.before))
    names = [contender.name for contender in contenders]
    print(f"Selective queries, {' vs '.join(names)}: medians of {args.runs} runs of {args.seconds:g} s, "
          "one client thread", flush=True)
    samples: Samples = {}
    for run in range(args.runs):
        measure_run(contenders, run, args.seconds, samples)
        print(f"  run {run + 1}/{args.runs} done", file=sys.stderr, flush=True)
    print_table(samples, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
