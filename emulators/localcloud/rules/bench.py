"""Evaluation overhead of a rules file per request: ``python -m localcloud.rules.bench [RULES] [-n N]``.

Times typical Salon Flow requests against the given rules (default: the repository's ``firestore.rules``)
with in-memory documents for ``get()``/``exists()``, and prints the median and 95th percentile per request.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from localcloud.rules.engine import Constraint, QueryInfo, Ruleset, RulesOperation

NOW = datetime(2024, 1, 15, 10, 5, tzinfo=UTC)
OWNER = {"uid": "u_owner", "token": {"salon_roles": {"s1": "owner", "s2": "staff"}}}


class _Documents:
    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents

    def get(self, path: str) -> dict[str, Any] | None:
        return self.documents.get(path)

    def get_after(self, path: str) -> dict[str, Any] | None:
        return self.documents.get(path)


def _envelope(doc_id: str) -> dict[str, Any]:
    return {"id": doc_id, "salon_id": "s1", "created_at": NOW, "updated_at": NOW}


def _requests() -> dict[str, RulesOperation]:
    start = NOW + timedelta(days=2)
    booking = {
        **_envelope("b1"),
        "customer_id": "c1",
        "staff_id": "st1",
        "service_id": "sv1",
        "start_time": start,
        "end_time": start + timedelta(minutes=45),
        "status": "booked",
        "price_paise": 50000,
        "source": "phone",
    }
    approval = {
        **_envelope("apr1"),
        "status": "pending",
        "expires_at": NOW + timedelta(minutes=10),
        "response": {"action": None, "responded_by": None, "responded_at": None, "notes": None},
        "created_at": NOW - timedelta(minutes=5),
        "updated_at": NOW - timedelta(minutes=5),
    }
    responded = {
        **approval,
        "status": "approved",
        "response": {"action": "approve", "responded_by": "u_owner", "responded_at": NOW, "notes": None},
        "updated_at": NOW,
    }
    salon = {
        "id": "s1",
        "name": "Glow",
        "autonomy": {"gap_fill": "supervised", "discount_offer": "supervised"},
        "created_at": NOW,
        "updated_at": NOW - timedelta(days=1),
    }
    new_salon = {**salon, "autonomy": {"gap_fill": "full_auto", "discount_offer": "manual_only"}, "updated_at": NOW}
    pending_everywhere = QueryInfo(
        "approvals",
        all_descendants=True,
        constraints=(Constraint("salon_id", "in", ["s1", "s2"]), Constraint("status", "==", "pending")),
    )
    return {
        "get booking": RulesOperation("get", "salons/s1/bookings/b1", NOW, auth=OWNER, resource=booking),
        "create booking (3 exists calls)": RulesOperation(
            "create", "salons/s1/bookings/b1", NOW, auth=OWNER, request_resource=booking
        ),
        "approve approval": RulesOperation(
            "update", "salons/s1/approvals/apr1", NOW, auth=OWNER, resource=approval, request_resource=responded
        ),
        "update salon autonomy": RulesOperation(
            "update", "salons/s1", NOW, auth=OWNER, resource=salon, request_resource=new_salon
        ),
        "collection-group list (2 salons)": RulesOperation("list", "", NOW, auth=OWNER, query=pending_everywhere),
        "denied: another salon": RulesOperation("get", "salons/s9/bookings/b1", NOW, auth=OWNER, resource=booking),
    }


def measure(call: Callable[[], object], count: int) -> tuple[float, float]:
    """Median and 95th percentile of ``call`` in microseconds over ``count`` runs."""
    samples: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(count):
        started = clock()
        call()
        samples.append((clock() - started) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rules", nargs="?", default=str(Path(__file__).resolve().parents[3] / "firestore.rules"))
    parser.add_argument("-n", "--count", type=int, default=10_000)
    args = parser.parse_args(argv)
    ruleset = Ruleset.parse(Path(args.rules).read_text())
    data = _Documents({f"salons/s1/{kind}/{doc}": {} for kind, doc in (("customers", "c1"), ("staff", "st1"), ("services", "sv1"))})
    print(f"{'request':36} {'allowed':>7} {'median µs':>10} {'p95 µs':>8}")
    for name, operation in _requests().items():
        allowed = ruleset.authorize(operation, data).allowed
        median, p95 = measure(partial(ruleset.authorize, operation, data), args.count)
        print(f"{name:36} {allowed!s:>7} {median:10.1f} {p95:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
