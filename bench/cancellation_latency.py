"""End-to-end latency from a booking cancellation to the first WhatsApp offer, through the whole
local cloud (Firestore trigger → Cloud Tasks → functions → governance → Twilio sandbox).

Cancels N bookings one after another (each waits for its first offer) and prints the median and
p95. The gap-fill agent's hourly/daily action limits are raised for the run (a salon would not
normally see 50 cancellations in an hour); every other governance check stays on.

    .venv/bin/python bench/cancellation_latency.py [--cancellations 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from localcloud.stack import SANDBOX_WHATSAPP_FROM
from salonflow_demo.cloud import salon_cloud
from salonflow_demo.run import KOLKATA, demo_day
from salonflow_demo.seed import build_salon, write_salon
from salonflow_demo.seed_picks import booking_to_cancel

SALON_ID = "salon_latency"


def message_count(twilio_url: str) -> int:
    with urllib.request.urlopen(f"{twilio_url}/_sandbox/messages", timeout=10) as response:
        return len(json.loads(response.read())["messages"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cancellations", type=int, default=50)
    args = parser.parse_args()
    dataset = build_salon(3, salon_id=SALON_ID, day=demo_day(datetime.now(KOLKATA).date()), staff=10, customers=1200,
                          bookings_per_day=150, whatsapp_sender=SANDBOX_WHATSAPP_FROM.removeprefix("whatsapp:"))

    def seed(client: Any) -> None:
        write_salon(client, dataset)
        client.document(f"salons/{SALON_ID}").update({"autonomy.gap_fill": "full_auto", "holdout_share": 0.0,
                                                     "rate_limits.hourly_actions": 1000,
                                                     "rate_limits.daily_actions": 5000})
        client.document(f"salons/{SALON_ID}/agent_states/gap_fill_agent").update(
            {"config.max_hourly_actions": 1000, "config.max_daily_actions": 5000})

    now = dataset.as_of + timedelta(hours=10)
    with tempfile.TemporaryDirectory() as tmp:
        clock = Path(tmp) / "clock"
        clock.write_text(now.isoformat())
        with salon_cloud(extra_env={"SALONFLOW_CLOCK_FILE": str(clock)}, seed=seed) as cloud:
            from google.cloud import firestore

            client = firestore.Client(project=cloud.env["GOOGLE_CLOUD_PROJECT"])
            twilio = cloud.url("twilio")
            latencies: list[float] = []
            cancelled: set[str] = set()
            misses = 0
            for _ in range(args.cancellations):
                booking = booking_to_cancel(dataset, now, min_lead=timedelta(minutes=90), exclude=cancelled)
                if booking is None:
                    break
                cancelled.add(booking.id)
                before = message_count(twilio)
                started = time.perf_counter()
                client.document(f"salons/{SALON_ID}/bookings/{booking.id}").update(
                    {"status": "cancelled", "cancelled_at": now, "updated_at": now})
                deadline = started + 20
                while message_count(twilio) == before and time.perf_counter() < deadline:
                    time.sleep(0.01)
                if message_count(twilio) == before:
                    misses += 1  # no candidate could be offered this slot (consent, limits, nobody fits)
                    continue
                latencies.append(time.perf_counter() - started)
                time.sleep(0.5)  # let the rest of the wave finish before the next cancellation
    if not latencies:
        print("no cancellation produced an offer")
        return
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"cancellation -> first WhatsApp offer, {len(latencies)} cancellations "
          f"({misses} produced no offer within 20 s)")
    print(f"  median {statistics.median(latencies) * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   "
          f"min {ordered[0] * 1000:.0f} ms   max {ordered[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
