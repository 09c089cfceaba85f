"""Firestore reads and writes per agent run, on a realistic salon, measured with the emulator's `:stats`.

Seeds one salon into a fresh local Firestore emulator — 10 staff, 15 services, 2,000 customers (with scores
and consents), 150 bookings a day for the past four weeks and the next three days, a small waitlist and four
weeks of daily analytics documents — then runs each agent once through the real service layer (recording
doubles stand in for Twilio and Pub/Sub), resetting the counters before each run and reading them after.
The no-show and upsell agents are incremental: their first run reads their whole horizon, a steady-state tick
(10 / 30 minutes later) only what entered it since; both are printed.

    .venv/bin/python bench/agents_firestore_cost.py
"""

from __future__ import annotations

import json
import os
import random
import sys
import time as clock
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PROJECT = "demo-salonflow"
SALON = "salon_bench"
IST = ZoneInfo("Asia/Kolkata")
TODAY = date(2026, 1, 14)
NOW = datetime.combine(TODAY, time(9, 0), tzinfo=IST)
STAFF, CUSTOMERS, PER_DAY, PAST_DAYS, FUTURE_DAYS = 10, 2_000, 150, 28, 3


class Recorder:
    """Stands in for the MessageSender and EventPublisher ports: accepts and counts."""

    def __init__(self) -> None:
        self.messages = 0
        self.calls = 0
        self.events = 0

    def send_whatsapp(self, to: str, **_: Any) -> Any:
        from salonflow.ports import MessageChannel, Outcome, SendResult

        self.messages += 1
        return SendResult(outcome=Outcome.sent(), channel=MessageChannel.WHATSAPP, sid=f"SM{self.messages:032d}")

    def send_sms(self, to: str, body: str, **_: Any) -> Any:
        raise AssertionError("no SMS in the benchmark")

    def start_call(self, to: str, **_: Any) -> Any:
        from salonflow.ports import CallResult, Outcome

        self.calls += 1
        return CallResult(outcome=Outcome.sent(), sid=f"CA{self.calls:032d}")

    def fetch_message(self, sid: str) -> None:
        return None

    def find_messages_to(self, to: str, **_: Any) -> list[Any]:
        return []

    def publish(self, event: Any) -> Any:
        from salonflow.ports import PublishResult

        self.events += 1
        return PublishResult(event_id=event.event_id, message_id=str(self.events))


def stats_url(address: str) -> str:
    return f"http://{address}/emulator/v1/projects/{PROJECT}/databases/(default):stats"


def read_stats(address: str) -> dict[str, Any]:
    with urllib.request.urlopen(stats_url(address), timeout=10) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


def reset_stats(address: str) -> None:
    request = urllib.request.Request(stats_url(address), method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def batched(client: Any, docs: Iterator[tuple[Any, dict[str, Any]]]) -> int:
    batch, pending, total = client.batch(), 0, 0
    for ref, data in docs:
        batch.set(ref, data)
        pending += 1
        if pending == 450:
            batch.commit()
            total += pending
            batch, pending = client.batch(), 0
    if pending:
        batch.commit()
        total += pending
    return total


def seed(client: Any) -> dict[str, int]:
    from salonflow.domain.customer_scores import (
        ChurnRisk,
        CustomerScore,
        Engagement,
        Ltv,
        Preferences,
        Scores,
        VisitFrequency,
    )
    from salonflow.domain.customers import ConsentRecord, Customer
    from salonflow.domain.enums import (
        AutonomyLevel,
        BookingStatus,
        ConsentChannel,
        ConsentSource,
        CustomerSegment,
        DecisionType,
        MessageCategory,
        WaitlistStatus,
        Weekday,
    )
    from salonflow.domain.ids import customer_score_id
    from salonflow.domain.salon import Salon
    from salonflow.domain.schedule import TimeRange
    from salonflow.domain.services import Service
    from salonflow.domain.staff import Staff

    rng = random.Random(7)
    root = client.collection("salons").document(SALON)
    seeded = NOW - timedelta(days=400)
    week = {d: [TimeRange(start=time(10), end=time(20))] for d in Weekday}
    lunch = {d: [TimeRange(start=time(14), end=time(14, 30))] for d in Weekday}
    root.set(Salon(id=SALON, name="Bench Salon", opening_hours=week, holdout_share=0.1,
                   autonomy={DecisionType.GAP_FILL: AutonomyLevel.FULL_AUTO,
                             DecisionType.NO_SHOW_PREVENTION: AutonomyLevel.FULL_AUTO,
                             DecisionType.WAITLIST_PROMOTION: AutonomyLevel.FULL_AUTO,
                             DecisionType.DISCOUNT_OFFER: AutonomyLevel.SUPERVISED,
                             DecisionType.DYNAMIC_PRICING: AutonomyLevel.SUPERVISED},
                   created_at=seeded, updated_at=seeded).to_firestore())
    menu = [("Haircut", 30, 40_000, False), ("Haircut & style", 45, 70_000, False), ("Beard trim", 30, 25_000, False),
            ("Hair colour", 90, 250_000, False), ("Hair spa", 60, 150_000, False), ("Facial", 60, 120_000, False),
            ("Clean-up", 45, 80_000, False), ("Manicure", 45, 60_000, False), ("Pedicure", 45, 70_000, False),
            ("Threading", 30, 10_000, False), ("Waxing", 45, 50_000, False), ("Blow-dry", 30, 45_000, False),
            ("Head massage", 15, 30_000, True), ("Hair wash", 15, 15_000, True), ("Nail art", 15, 25_000, True)]
    services = [f"svc_{i:02d}" for i in range(len(menu))]
    staff_ids = [f"staff_{i:02d}" for i in range(STAFF)]
    docs: list[tuple[Any, dict[str, Any]]] = []
    for sid, (name, minutes, price, addon) in zip(services, menu, strict=True):
        docs.append((root.collection("services").document(sid), Service(
            id=sid, salon_id=SALON, name=name, category="hair", duration_minutes=minutes, price_paise=price,
            staff_ids=staff_ids, is_add_on=addon, created_at=seeded, updated_at=seeded).to_firestore()))
    for i, st in enumerate(staff_ids):
        docs.append((root.collection("staff").document(st), Staff(
            id=st, salon_id=SALON, name=f"Stylist {i}", working_hours=week, breaks=lunch, service_ids=services,
            created_at=seeded, updated_at=seeded).to_firestore()))
    granted = ConsentRecord(granted=True, granted_at=seeded, source=ConsentSource.IN_SALON, updated_at=seeded)
    customers = [f"cust_{i:04d}" for i in range(CUSTOMERS)]
    for i, cid in enumerate(customers):
        consent: dict[Any, Any] = {}
        if rng.random() < 0.8:
            consent[ConsentChannel.WHATSAPP] = {MessageCategory.SERVICE: granted}
            if rng.random() < 0.5:
                consent[ConsentChannel.WHATSAPP][MessageCategory.MARKETING] = granted
        if rng.random() < 0.3:
            consent[ConsentChannel.VOICE] = {MessageCategory.SERVICE: granted}
        docs.append((root.collection("customers").document(cid), Customer(
            id=cid, salon_id=SALON, name=f"Customer {i}", phone=f"+9198{i:08d}", consent=consent,
            created_at=seeded, updated_at=seeded).to_firestore()))
        interval = rng.choice([21, 28, 35, 45, 60])
        last = TODAY - timedelta(days=rng.randint(1, 120))
        churn = min(100, max(0, round(40 * ((TODAY - last).days / interval - 1))))
        segment = (CustomerSegment.AT_RISK if churn >= 60 else rng.choice(
            [CustomerSegment.REGULAR, CustomerSegment.REGULAR, CustomerSegment.HIGH_VALUE, CustomerSegment.VIP,
             CustomerSegment.NEW]))
        docs.append((root.collection("customer_scores").document(cid), CustomerScore(
            id=customer_score_id(cid), salon_id=SALON, customer_id=cid, segment=segment,
            ltv=Ltv(total=6000, last_12_months=4000, projected_annual=5000, average_per_visit=700),
            visit_frequency=VisitFrequency(total_visits=rng.randint(2, 30), last_90_days=2,
                                           average_days_between=float(interval), last_visit=last,
                                           next_predicted=last + timedelta(days=interval)),
            churn_risk=ChurnRisk(score=churn, factors=["overdue"] if churn else [], last_assessment=TODAY),
            preferences=Preferences(preferred_staff=[rng.choice(staff_ids)], preferred_services=[rng.choice(
                services[:12])], preferred_time_slots=[rng.choice(["morning", "afternoon", "evening"])]),
            engagement=Engagement(whatsapp_opt_in=True, response_rate=round(rng.random(), 2)),
            scores=Scores(retention=100 - churn, upsell=rng.randint(20, 95), referral=rng.randint(10, 80)),
            created_at=seeded, updated_at=seeded).to_firestore()))
    counts = {"reference docs": batched(client, iter(docs))}

    def bookings() -> Iterator[tuple[Any, dict[str, Any]]]:
        n = 0
        for offset in range(-PAST_DAYS, FUTURE_DAYS):
            day = TODAY + timedelta(days=offset)
            for st in staff_ids:
                previous: str | None = None
                cursor = datetime.combine(day, time(10), tzinfo=IST)
                close = datetime.combine(day, time(20), tzinfo=IST)
                made = 0
                while made < PER_DAY // STAFF and cursor < close:
                    if rng.random() < 0.05:
                        cursor += timedelta(minutes=30)  # a hole in the book
                    if time(14) <= cursor.time() < time(14, 30):
                        cursor = datetime.combine(day, time(14, 30), tzinfo=IST)
                    k = rng.choice([0, 0, 0, 2, 2, 9, 9, 11, 11, 1, 5])
                    if rng.random() < 0.12:
                        k = rng.choice([12, 13, 14])  # an add-on straight after the previous service
                    _, minutes, price, _ = menu[k]
                    end = cursor + timedelta(minutes=minutes)
                    if end > close or (cursor.time() < time(14) < end.time()):
                        cursor = end
                        continue
                    n += 1
                    made += 1
                    created = cursor - timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 9))
                    if offset < 0:
                        roll = rng.random()
                        status = (BookingStatus.COMPLETED if roll < 0.92 else BookingStatus.NO_SHOW if roll < 0.95
                                  else BookingStatus.CANCELLED)
                    else:
                        status = BookingStatus.CONFIRMED if rng.random() < 0.15 else BookingStatus.BOOKED
                    customer = previous if menu[k][3] and previous else rng.choice(customers)
                    previous = customer
                    data = {"id": f"bkg_{n:06d}", "salon_id": SALON, "customer_id": customer,
                            "staff_id": st, "service_id": services[k], "start_time": cursor, "end_time": end,
                            "status": status.value, "price_paise": price, "discount_paise": 0, "source": "phone",
                            "confirmation_status": "confirmed" if status is BookingStatus.CONFIRMED
                            else "not_requested", "late_cancellation": status is BookingStatus.CANCELLED
                            and rng.random() < 0.5, "cancelled_at": cursor - timedelta(hours=5)
                            if status is BookingStatus.CANCELLED else None, "decision_id": None,
                            "outreach_id": None, "notes": None, "created_at": min(created, NOW),
                            "updated_at": min(created, NOW)}
                    yield root.collection("bookings").document(data["id"]), data
                    cursor = end

    counts["bookings"] = batched(client, bookings())
    waitlist = []
    for i in range(20):
        created = NOW - timedelta(days=rng.randint(1, 10))
        waitlist.append((root.collection("waitlist").document(f"wl_{i:02d}"), {
            "id": f"wl_{i:02d}", "salon_id": SALON, "customer_id": rng.choice(customers),
            "service_id": rng.choice(services[:3]), "preferred_staff_ids": [], "preferred_windows": [],
            "priority": rng.choice([0, 0, 0, 5]), "status": WaitlistStatus.WAITING.value, "offered_at": None,
            "promoted_booking_id": None, "notes": None, "created_at": created, "updated_at": created,
            "expires_at": NOW + timedelta(days=14)}))
    analytics = [(root.collection("analytics_daily").document((TODAY - timedelta(days=d)).isoformat()), {
        "date": (TODAY - timedelta(days=d)).isoformat(),
        "occupancy_by_hour": {str(h): round(rng.uniform(0.05, 0.35) if h in (10, 11, 15) else
                                            rng.uniform(0.6, 1.0), 3) for h in range(10, 20)}})
        for d in range(1, PAST_DAYS + 1)]
    counts["waitlist + analytics"] = batched(client, iter(waitlist + analytics))
    return counts


def main() -> int:
    sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", p) for p in ("shared", "emulators")]
    from localcloud.testing import run_server

    with run_server("firestore", ["--project", PROJECT]) as server:
        os.environ["FIRESTORE_EMULATOR_HOST"] = server.address
        from google.cloud import firestore
        from google.cloud.firestore_v1.base_query import FieldFilter
        from salonflow.services.gap_fill_service import GapService
        from salonflow.services.housekeeping import ScoreService
        from salonflow.services.ports import ServicePorts
        from salonflow.services.runner import run_agent

        client = firestore.Client(project=PROJECT)
        started = clock.monotonic()
        counts = seed(client)
        print(f"seeded {counts} in {clock.monotonic() - started:.1f} s "
              f"({STAFF} staff, {CUSTOMERS} customers, {PER_DAY} bookings/day target)")
        recorder = Recorder()
        ports = ServicePorts(messages=recorder, events=recorder)  # type: ignore[arg-type]

        rows: list[tuple[str, dict[str, Any], str]] = []

        def measure(label: str, fn: Callable[[], str]) -> None:
            reset_stats(server.address)
            before = (recorder.messages, recorder.calls)
            t0 = clock.monotonic()
            what = fn()
            elapsed = clock.monotonic() - t0
            stats = read_stats(server.address)
            sent = recorder.messages - before[0] + recorder.calls - before[1]
            rows.append((label, stats, f"{what}; {sent} sent; {elapsed * 1000:.0f} ms"))

        def agent(name: str, at: datetime) -> Callable[[], str]:
            def go() -> str:
                report = run_agent(client, SALON, name, at, ports)
                results: dict[str, int] = {}
                for e in report.executions:
                    results[e.result.value] = results.get(e.result.value, 0) + 1
                return f"{len(report.proposals)} proposals {results or ''}".strip()
            return go

        def sweep() -> str:
            found = GapService(client, SALON, ports).detect(NOW)
            return f"{len(found.created)} gaps created"

        measure("gap detection sweep (3 days, all staff)", sweep)
        measure("gap_fill_agent before the waitlist ran (its turn)", agent("gap_fill_agent", NOW))
        measure("waitlist_agent", agent("waitlist_agent", NOW))
        measure("gap_fill_agent (waves to regulars, move-ups)", agent("gap_fill_agent", NOW + timedelta(minutes=1)))
        measure("gap_fill_agent tick +5 min (waves in flight)", agent("gap_fill_agent", NOW + timedelta(minutes=6)))
        measure("gap_fill_agent +20 min (offers expired: next waves)",
                agent("gap_fill_agent", NOW + timedelta(minutes=21)))
        measure("no_show_prevention_agent first run (48 h)", agent("no_show_prevention_agent", NOW))
        measure("no_show_prevention_agent tick +10 min", agent("no_show_prevention_agent",
                                                                NOW + timedelta(minutes=10)))
        measure("retention_agent", agent("retention_agent", NOW + timedelta(hours=2)))
        measure("retention_agent tick +1 h", agent("retention_agent", NOW + timedelta(hours=3)))
        measure("upsell_agent first run", agent("upsell_agent", NOW + timedelta(hours=1)))
        measure("upsell_agent tick +30 min", agent("upsell_agent", NOW + timedelta(hours=1, minutes=30)))
        measure("analytics_agent (today + dynamic pricing)", agent("analytics_agent", NOW + timedelta(hours=4)))
        measure("cleanup_agent (+ gap sweep, score aging)", agent("cleanup_agent", NOW + timedelta(hours=4)))

        def cancellation() -> str:
            booking = next(iter(client.collection("salons", SALON, "bookings")
                                .where(filter=FieldFilter("service_id", "==", "svc_01"))
                                .where(filter=FieldFilter("start_time", ">=", NOW + timedelta(hours=6)))
                                .limit(1).stream()))
            data = booking.to_dict() or {}
            booking.reference.update({"status": "cancelled", "cancelled_at": NOW, "late_cancellation": True})
            day = data["start_time"].astimezone(IST).date()
            found = GapService(client, SALON, ports).detect(NOW, [day], data["staff_id"])
            return f"{len(found.created)} gap(s)"

        measure("booking cancelled -> one staff/day detection", cancellation)
        measure("score update on one booking completion",
                lambda: f"segment {ScoreService(client, SALON).on_booking_changed('cust_0001', NOW).segment}")  # type: ignore[union-attr]

        width = max(len(r[0]) for r in rows)
        print(f"\n{'run'.ljust(width)}  {'reads':>6}  {'writes':>6}  {'queries':>7}  outcome")
        for label, stats, what in rows:
            print(f"{label.ljust(width)}  {stats.get('documentsRead', 0):>6}  {stats.get('documentsWritten', 0):>6}"
                  f"  {stats.get('queries', 0):>7}  {what}")
        client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
