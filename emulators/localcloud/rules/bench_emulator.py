"""Latency security rules add per request, measured through the emulator:
``python -m localcloud.rules.bench_emulator [RULES] [-n N]``.

Two in-process emulators, one without rules and one enforcing RULES (default: the repository's
``firestore.rules``), each driven by a real ``google.cloud.firestore.Client`` that authenticates as a staff
member (unsigned JWT, as the JS SDK's ``mockUserToken``). Requests alternate between the two so machine load
affects both alike; the difference of the medians is what the rules cost.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from localcloud.firestore.server import Emulator
from localcloud.rules.firestore_authorizer import make_authorizer

PROJECT = "demo-rules-bench"
DEFAULT_RULES = Path(__file__).resolve().parents[3] / "firestore.rules"


def _token(uid: str, roles: dict[str, str]) -> str:
    def part(payload: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'sub': uid, 'user_id': uid, 'salon_roles': roles})}."


def _client(port: int, bearer: str | None) -> Any:
    from google.cloud import firestore

    class UserClient(firestore.Client):  # type: ignore[misc]
        @property
        def _rpc_metadata(self) -> list[tuple[str, str]]:
            metadata = [(k, v) for k, v in super()._rpc_metadata if k != "authorization"]
            return [*metadata, ("authorization", f"Bearer {bearer}")] if bearer else metadata

    previous = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = f"127.0.0.1:{port}"
    try:
        return UserClient(project=PROJECT) if bearer else firestore.Client(project=PROJECT)
    finally:
        if previous is None:
            del os.environ["FIRESTORE_EMULATOR_HOST"]
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = previous


def _documents() -> dict[str, dict[str, Any]]:
    earlier = datetime.now(UTC) - timedelta(days=3)
    start = datetime.now(UTC) + timedelta(days=2)
    consent = {"granted": True, "granted_at": earlier, "revoked_at": None, "source": "in_salon", "updated_at": earlier}
    envelope = {"salon_id": "s1", "created_at": earlier, "updated_at": earlier}
    return {
        "salons/s1": {"id": "s1", "name": "Glow", "created_at": earlier, "updated_at": earlier},
        "salons/s1/customers/c1": {"id": "c1", "name": "Priya", "phone": "+919812345678", "language": "hi",
                                   "consent": {"whatsapp": {"service": consent}}, "tags": ["vip"], **envelope},
        "salons/s1/staff/st1": {"id": "st1", "name": "Rahul", **envelope},
        "salons/s1/services/sv1": {"id": "sv1", "name": "Cut", "category": "hair", "duration_minutes": 45,
                                   "price_paise": 50000, **envelope},
        "salons/s1/bookings/b1": _booking("b1", start) | {"created_at": earlier, "updated_at": earlier},
    }


def _booking(booking_id: str, start: datetime) -> dict[str, Any]:
    from google.cloud import firestore

    return {"id": booking_id, "salon_id": "s1", "customer_id": "c1", "staff_id": "st1", "service_id": "sv1",
            "start_time": start, "end_time": start + timedelta(minutes=45), "status": "booked",
            "price_paise": 50000, "source": "phone",
            "created_at": firestore.SERVER_TIMESTAMP, "updated_at": firestore.SERVER_TIMESTAMP}


def _requests(client: Any) -> dict[str, Callable[[int], object]]:
    from google.cloud import firestore

    start = datetime.now(UTC) + timedelta(days=2)
    return {
        "get a booking": lambda i: client.document("salons/s1/bookings/b1").get(),
        "update a customer": lambda i: client.document("salons/s1/customers/c1").update(
            {"name": f"Priya {i}", "updated_at": firestore.SERVER_TIMESTAMP}
        ),
        "create a booking (3 exists())": lambda i: client.document(f"salons/s1/bookings/n{i}").set(
            _booking(f"n{i}", start)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m localcloud.rules.bench_emulator")
    parser.add_argument("rules", nargs="?", default=str(DEFAULT_RULES))
    parser.add_argument("-n", type=int, default=500, help="requests of each kind per emulator")
    args = parser.parse_args()
    sides: dict[bool, tuple[Emulator, dict[str, Callable[[int], object]]]] = {}
    for enforced in (False, True):
        emulator = Emulator("127.0.0.1", 0, authorizer=make_authorizer(args.rules if enforced else None))
        emulator.start()
        admin = _client(emulator.port, None)
        for path, data in _documents().items():
            admin.document(path).set(data)
        sides[enforced] = (emulator, _requests(_client(emulator.port, _token("u_staff", {"s1": "staff"}))))
    timings: dict[tuple[bool, str], list[float]] = {}
    warmup = 50
    try:
        for i in range(args.n + warmup):
            order = (False, True) if i % 2 else (True, False)
            for enforced in order:
                for name, request in sides[enforced][1].items():
                    started = time.perf_counter_ns()
                    request(i)
                    if i >= warmup:
                        timings.setdefault((enforced, name), []).append((time.perf_counter_ns() - started) / 1000)
    finally:
        for emulator, _ in sides.values():
            emulator.stop(0)
    print(f"{'request':32} {'no rules µs':>12} {'rules µs':>10} {'added µs':>9}")
    for name in sides[True][1]:
        plain = statistics.median(timings[(False, name)])
        enforced_median = statistics.median(timings[(True, name)])
        print(f"{name:32} {plain:12.0f} {enforced_median:10.0f} {enforced_median - plain:9.0f}")


if __name__ == "__main__":
    main()
