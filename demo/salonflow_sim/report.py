"""The printed table per salon, the approvals-per-week line and the revenue-per-day plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from salonflow_sim.results import Policy, PolicyMonth, lift_from, recovered, rupees

COLUMNS = ("policy", "revenue recovered [95% CI]", "lift vs holdout [95% CI] (n treated/held out)",
           "slots filled", "msgs/filled", "opt-outs", "slot-taken", "violations (consent/quiet/cust/salon)")


def rows(months: Sequence[PolicyMonth]) -> list[tuple[str, ...]]:
    baseline = next(m for m in months if m.policy is Policy.NONE)
    out: list[tuple[str, ...]] = []
    for month in months:
        if month.policy is Policy.NONE:
            gained, lift = "- (the reference)", "-"
        else:
            gained = recovered(month, baseline).text()
            lift = (month.lift or lift_from(month.holdout)).text()
        per_fill = month.messages_per_fill
        v = month.violations
        out.append((
            month.policy.value, gained, lift,
            f"{month.filled_by_messages} (+{month.filled_organically} walk-in)",
            "-" if per_fill is None else f"{per_fill:.1f}",
            str(len(month.ledger.opt_outs)), str(month.ledger.disappointed),
            f"{v.total} ({v.consent}/{v.quiet_hours}/{v.customer_caps}/{v.salon_caps})",
        ))
    return out


def table(months: Sequence[PolicyMonth]) -> str:
    lines = [COLUMNS, *rows(months)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    rendered = [" | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines]
    rendered.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(rendered)


def revenue_line(months: Sequence[PolicyMonth]) -> str:
    return "; ".join(f"{m.policy.value}: {rupees(m.revenue_paise)} kept, discounts {rupees(m.discounts_paise)}"
                     for m in months)


def approvals_line(month: PolicyMonth) -> str:
    weeks = month.approvals_by_week
    if not weeks:
        return "owner approvals per week: none asked"
    first, last = min(weeks), max(weeks)
    listed = ", ".join(f"week {w}: {n}" for w, n in sorted(weeks.items()))
    line = f"owner approvals per week: {listed} (week {first} -> week {last}: {weeks[first]} -> {weeks[last]})"
    if len(weeks) < 2 and month.approvals_by_day:  # a short run: show the days
        line += "; per day: " + ", ".join(f"{d:%a %d %b}: {n}" for d, n in sorted(month.approvals_by_day.items()))
    return line


def plot(salons: Sequence[tuple[str, Sequence[PolicyMonth]]], path: Path) -> Path:
    """One panel per salon: kept revenue per day for each policy."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(salons), 1, figsize=(11, 3.6 * len(salons)), squeeze=False)
    for (title, months), axis in zip(salons, axes[:, 0], strict=True):
        for month in months:
            days = sorted(month.revenue_by_day)
            axis.plot(days, [month.revenue_by_day[d] / 100 for d in days], marker=".", label=month.policy.value)
        axis.set_title(title)
        axis.set_ylabel("kept revenue per day (₹)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
