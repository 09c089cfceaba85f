"""What one policy's month comes to, and the arithmetic of the table: revenue recovered against the month
without automation (paired by day, with a 95 % interval), lift against the holdout, messages per filled slot."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from salonflow.agents.analytics import MIN_SETTLED_CASES, NOT_ENOUGH_DATA, rate_difference_interval

from salonflow_sim.checker import Violations
from salonflow_sim.ledger import Ledger

Z_95 = 1.96


class Policy(StrEnum):
    NONE = "no automation"
    FCFS = "waitlist 1-at-a-time (Zenoti-style)"
    BROADCAST = "waitlist broadcast (Vagaro-style)"
    SALON_FLOW = "Salon Flow"


@dataclass
class HoldoutTally:
    """Cases (freed slots or gaps) the policy acted on vs those its holdout left alone, and how many filled."""

    treated: int = 0
    treated_won: int = 0
    holdout: int = 0
    holdout_won: int = 0
    revenue_per_win_paise: float = 0.0


@dataclass(frozen=True)
class Lift:
    """Lift net of the holdout: treated minus holdout success rate, times treated cases and revenue per win."""

    paise: float | None
    low_paise: float | None
    high_paise: float | None
    treated: int
    holdout: int
    verdict: str

    def text(self) -> str:
        if self.paise is None or self.low_paise is None or self.high_paise is None:
            return f"{self.verdict} (n={self.treated}/{self.holdout})"
        return (f"{rupees(self.paise)} [{rupees(self.low_paise)}, {rupees(self.high_paise)}] "
                f"(n={self.treated}/{self.holdout})")


def lift_from(tally: HoldoutTally) -> Lift:
    if min(tally.treated, tally.holdout) < MIN_SETTLED_CASES:
        verdict = NOT_ENOUGH_DATA if tally.treated or tally.holdout else "no cases"
        return Lift(None, None, None, tally.treated, tally.holdout, verdict)
    low, high = rate_difference_interval(tally.treated_won, tally.treated, tally.holdout_won, tally.holdout)
    difference = tally.treated_won / tally.treated - tally.holdout_won / tally.holdout
    scale = tally.treated * tally.revenue_per_win_paise
    verdict = "lift" if low > 0 else ("no lift shown" if high >= 0 else "worse than no action")
    return Lift(difference * scale, low * scale, high * scale, tally.treated, tally.holdout, verdict)


@dataclass
class PolicyMonth:
    policy: Policy
    revenue_by_day: dict[date, int]  # paise of kept appointments, by salon-local day
    discounts_paise: int
    filled_by_messages: int
    filled_organically: int
    ledger: Ledger
    holdout: HoldoutTally
    lift: Lift | None = None  # when the policy measures its own (Salon Flow: the product's holdout_lift)
    violations: Violations = field(default_factory=Violations)
    approvals_by_week: dict[int, int] = field(default_factory=dict)  # requests the owner had to answer
    approvals_by_day: dict[date, int] = field(default_factory=dict)
    # Slots filled during the period for the days just after it (the agents look two days ahead): counted at
    # their price, so a short run does not lose the fills its last days made.
    made_for_later_paise: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def revenue_paise(self) -> int:
        return sum(self.revenue_by_day.values()) + self.made_for_later_paise

    @property
    def messages_per_fill(self) -> float | None:
        offers = self.ledger.offers()
        return offers / self.filled_by_messages if self.filled_by_messages else None


@dataclass(frozen=True)
class Recovered:
    """Revenue above the month without automation, with a 95 % interval from the paired daily differences."""

    paise: int
    low_paise: float
    high_paise: float
    days: int

    def text(self) -> str:
        return f"{rupees(self.paise)} [{rupees(self.low_paise)}, {rupees(self.high_paise)}]"


def recovered(policy: PolicyMonth, baseline: PolicyMonth) -> Recovered:
    days = sorted(set(policy.revenue_by_day) | set(baseline.revenue_by_day))
    differences = [policy.revenue_by_day.get(d, 0) - baseline.revenue_by_day.get(d, 0) for d in days]
    if differences:  # what the last days made for the days after the period belongs to those last days
        differences[-1] += policy.made_for_later_paise - baseline.made_for_later_paise
    total = sum(differences)
    if len(differences) < 2:
        return Recovered(total, float(total), float(total), len(differences))
    half = Z_95 * statistics.stdev(differences) * math.sqrt(len(differences))
    return Recovered(total, total - half, total + half, len(differences))


def rupees(paise: float) -> str:
    value = round(paise / 100)
    return f"-₹{-value:,}" if value < 0 else f"₹{value:,}"
