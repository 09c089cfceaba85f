"""Do the agents earn money? A simulated salon month under four policies, the same month for each.

Policies: no automation; a Zenoti-style waitlist (one guest at a time, first come first served); a Vagaro-style
waitlist broadcast; Salon Flow (every agent through the real service layer over a local Firestore emulator
started here on a free port). Per salon it prints revenue recovered net of discounts against the month without
automation (95 % interval over paired days), lift against each policy's holdout (95 % interval, sample sizes),
slots filled, messages per filled slot, opt-outs, disappointed "slot taken" customers and rule violations found
by an independent checker; then the owner's approvals per week (graduated autonomy), and writes a plot of kept
revenue per day per policy. Seeds are fixed and printed; the simulator is `demo/salonflow_sim`.

    .venv/bin/python bench/outcomes.py [--salon reference|small|large|all] [--days N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import time
import urllib.request
from datetime import date
from pathlib import Path

from localcloud.testing import environment, run_server
from salonflow_sim.month import run_month
from salonflow_sim.report import approvals_line, plot, revenue_line, table
from salonflow_sim.results import Policy, PolicyMonth
from salonflow_sim.salonflow_policy import Progress
from salonflow_sim.world import SIZES, build_world

PROJECT = "demo-salonflow"
ROOT = Path(__file__).resolve().parents[1]
FIRST_DAY = date(2026, 3, 2)  # a Monday: four whole weeks follow
# Every agent tick goes through the emulator (~350 runs per open day): a simulated day of the reference salon
# takes minutes on the 2-core VM, so the default is a week of it (`--days 28` for the whole month, hours).
DEFAULT_DAYS = {"reference": 7, "small": 7, "large": 2}


def clear(address: str) -> None:
    url = f"http://{address}/emulator/v1/projects/{PROJECT}/databases/(default)/documents"
    with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30) as response:
        response.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--salon", choices=[*SIZES, "all"], default="all")
    parser.add_argument("--days", type=int, default=None, help="days per salon (default: reference 7, "
                        "small 7, large 2; 28 for a month)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    names = ["reference", "small", "large"] if args.salon == "all" else [args.salon]
    started = time.perf_counter()
    panels: list[tuple[str, list[PolicyMonth]]] = []
    os.environ.setdefault("GOOGLE_CLOUD_PROJECT", PROJECT)
    with run_server("firestore", ["--project", PROJECT, "--indexes", str(ROOT / "firestore.indexes.json")]) as server, \
            environment("FIRESTORE_EMULATOR_HOST", server.address):
        from google.cloud import firestore

        for name in names:
            size = SIZES[name]
            days = args.days or DEFAULT_DAYS[name]
            clear(server.address)
            client = firestore.Client(project=PROJECT)
            salon_started = time.perf_counter()
            world = build_world(size, days, FIRST_DAY)
            in_month = sum(1 for b in world.bookings if world.in_month(b.start))
            print(f"\n== {name} salon: {size.staff} staff, {size.customers} customers, ~{size.bookings_per_day} "
                  f"bookings/day; seed {world.seed}; {days} days from {FIRST_DAY} ({in_month} bookings, "
                  f"{len(world.waitlist)} waitlist entries); contact budget {size.hourly_budget}/hour, "
                  f"{size.daily_budget}/day", flush=True)

            def progress(day: date, done: Progress, began: float = salon_started) -> None:
                print(f"   {day} simulated: {done.agent_runs} agent runs, {done.service_calls} replies and "
                      f"triggers, {time.perf_counter() - began:.0f}s", flush=True)

            months = run_month(world, client, on_day=progress)
            client.close()
            print(table(months))
            print(revenue_line(months))
            salon_flow = next(m for m in months if m.policy is Policy.SALON_FLOW)
            print(approvals_line(salon_flow))
            for note in salon_flow.notes:
                print(f"  {note}")
            for month in months:
                for example in month.violations.examples:
                    print(f"  violation ({month.policy.value}): {example}")
            print(f"  wall time {time.perf_counter() - salon_started:.0f}s", flush=True)
            panels.append((f"{name} salon (seed {world.seed}, {days} days)", months))
    figure = plot(panels, args.out / "outcomes_revenue_per_day.png")
    print(f"\nplot: {figure}\ntotal wall time {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
