"""The spec's six metrics computed from recorded log entries (what the log-based metrics in
terraform/monitoring.tf compute in Cloud Monitoring)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from salonflow.observability.events import MetricEvent
from salonflow.observability.log import LABELS_KEY


def _label(e: Mapping[str, Any], name: str) -> str:
    labels = e.get(LABELS_KEY) or {}
    return str(labels.get(name, ""))


@dataclass(frozen=True)
class Metrics:
    decisions_total: Counter[str] = field(default_factory=Counter)  # by decision_type
    success_rate: float | None = None
    revenue_generated: float = 0.0
    breaker_state: dict[str, str] = field(default_factory=dict)  # "salon/agent" -> last state
    approval_response_seconds_median: float | None = None
    approvals_answered: int = 0
    outreach_delivery_rate: float | None = None
    outreach_reports: int = 0

    def lines(self) -> list[str]:
        def pct(x: float | None) -> str:
            return "no data" if x is None else f"{x:.0%}"
        by_type = ", ".join(f"{k} {v}" for k, v in sorted(self.decisions_total.items())) or "none"
        breakers = ", ".join(f"{k} {v}" for k, v in sorted(self.breaker_state.items())) or "none reported"
        resp = ("no answers" if self.approval_response_seconds_median is None
                else f"median {self.approval_response_seconds_median:.0f} s over {self.approvals_answered}")
        return [
            f"autonomous_decisions_total: {sum(self.decisions_total.values())} ({by_type})",
            f"autonomous_decisions_success_rate: {pct(self.success_rate)}",
            f"autonomous_revenue_generated: {self.revenue_generated:g}",
            f"agent_circuit_breaker_state: {breakers}",
            f"approval_response_time_seconds: {resp}",
            f"outreach_delivery_rate: {pct(self.outreach_delivery_rate)} of {self.outreach_reports} reports",
        ]


def compute(entries: Iterable[Mapping[str, Any]]) -> Metrics:
    decisions: Counter[str] = Counter()
    outcomes: list[bool] = []
    revenue = 0.0
    breakers: dict[str, str] = {}
    answer_seconds: list[float] = []
    delivered: list[bool] = []
    for e in sorted(entries, key=lambda x: str(x.get("time", ""))):
        kind = e.get("event")
        if kind == MetricEvent.DECISION_MADE:
            decisions[str(e.get("decision_type", ""))] += 1
        elif kind == MetricEvent.DECISION_OUTCOME:
            outcomes.append(bool(e.get("success")))
        elif kind == MetricEvent.REVENUE_ATTRIBUTED:
            revenue += float(e.get("amount", 0))
        elif kind == MetricEvent.BREAKER_STATE:
            breakers[f"{_label(e, 'salon_id')}/{_label(e, 'agent_name')}"] = str(e.get("state"))
        elif kind == MetricEvent.APPROVAL_ANSWERED and e.get("seconds") is not None:
            answer_seconds.append(float(e["seconds"]))
        elif kind == MetricEvent.OUTREACH_DELIVERY:
            delivered.append(bool(e.get("delivered")))
    return Metrics(
        decisions_total=decisions,
        success_rate=(sum(outcomes) / len(outcomes)) if outcomes else None,
        revenue_generated=revenue,
        breaker_state=breakers,
        approval_response_seconds_median=median(answer_seconds) if answer_seconds else None,
        approvals_answered=len(answer_seconds),
        outreach_delivery_rate=(sum(delivered) / len(delivered)) if delivered else None,
        outreach_reports=len(delivered),
    )
