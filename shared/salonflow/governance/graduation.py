"""Graduated autonomy: an action type of a salon earns full_auto from its approval record, and loses it.

Pure policy (no I/O, time injected). Given one action type's record — the owner's verdicts on its approval
requests since its level last changed, the customer signals on its messages, and the owner's pin — it says which
level the type should be at and why, in a sentence an owner understands.

- Promotion, supervised -> full_auto: the last ``PROMOTE_STREAK`` verdicts are all approvals, and at least
  ``PROMOTE_MIN_RATE`` of the verdicts inside ``WINDOW`` are approvals. Only verdicts after the last change
  count, so a type that was demoted earns its way back from zero.
- Demotion, full_auto -> supervised: ``DEMOTE_STREAK`` rejections in a row, or an opt-out / complaint spike on
  its messages inside ``WINDOW`` (at least ``SPIKE_MIN_COUNT`` and at least ``SPIKE_RATE`` of the messages).
  A supervised type with such a spike does not graduate either.
- Never beyond the spec's floor (``governance.autonomy.floor_for``): discount_offer and dynamic_pricing stay
  supervised, a discount above 20 % stays manual_only (per decision, in ``decide_autonomy``). manual_only chosen
  by the owner is never loosened here.
- The owner's pin wins (clamped to the floor): the type stays where the owner put it, and the reason says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from salonflow.governance.autonomy import floor_for
from salonflow.governance.types import AutonomyLevel, DecisionType

PROMOTE_STREAK = 20
PROMOTE_MIN_RATE = 0.95
DEMOTE_STREAK = 2
WINDOW = timedelta(days=14)
SPIKE_MIN_COUNT = 3
SPIKE_RATE = 0.02


class BadRecord(ValueError):
    """The record cannot be judged (a verdict in the future, a naive time, counts that do not add up)."""


@dataclass(frozen=True)
class Verdict:
    at: datetime
    approved: bool


@dataclass(frozen=True)
class AutonomyRecord:
    decision_type: DecisionType
    level: AutonomyLevel  # where the type is now
    verdicts: Sequence[Verdict] = ()  # the owner's answers since the level last changed, any order
    messages_sent: int = 0  # customer messages of this type inside WINDOW
    opt_outs: int = 0  # opt-outs and complaints answering those messages inside WINDOW
    pinned: AutonomyLevel | None = None  # the owner's pin, if any


@dataclass(frozen=True)
class Graduation:
    level: AutonomyLevel
    changed: bool
    reason: str
    evidence: dict[str, object] = field(default_factory=dict)


def judge(record: AutonomyRecord, now: datetime) -> Graduation:
    """The level the action type should be at now, why, and the numbers behind it."""
    _check(record, now)
    floor = floor_for(record.decision_type)
    inside = sorted((v for v in record.verdicts if now - v.at <= WINDOW), key=lambda v: v.at)
    ordered = sorted(record.verdicts, key=lambda v: v.at)
    approvals = _streak(ordered, approved=True)
    rejections = _streak(ordered, approved=False)
    rate = sum(v.approved for v in inside) / len(inside) if inside else None
    spike = record.opt_outs >= SPIKE_MIN_COUNT and record.opt_outs >= SPIKE_RATE * max(record.messages_sent, 1)
    evidence: dict[str, object] = {
        "approvals_in_a_row": approvals, "rejections_in_a_row": rejections,
        "approval_rate": None if rate is None else round(rate, 3), "verdicts_in_window": len(inside),
        "messages_sent": record.messages_sent, "opt_outs": record.opt_outs, "floor": floor.value,
    }
    dtype = record.decision_type.value

    def at(level: AutonomyLevel, reason: str) -> Graduation:
        return Graduation(level, level is not record.level, reason, evidence)

    if record.pinned is not None:
        pinned = AutonomyLevel.strictest(record.pinned, floor)
        note = "" if pinned is record.pinned else f" (the floor is {floor.value})"
        return at(pinned, f"{dtype} is pinned by the owner at {pinned.value}{note}")
    if record.level is AutonomyLevel.MANUAL_ONLY:
        return at(record.level, f"{dtype} is manual_only: only the owner loosens it")
    if not AutonomyLevel.FULL_AUTO.at_least(floor):
        return at(AutonomyLevel.strictest(record.level, floor),
                  f"{dtype} never runs without approval: the floor is {floor.value}")
    spike_text = (f"{record.opt_outs} opt-outs or complaints on {record.messages_sent} messages "
                  f"in {WINDOW.days} days")
    if record.level is AutonomyLevel.FULL_AUTO:
        if rejections >= DEMOTE_STREAK:
            return at(AutonomyLevel.SUPERVISED,
                      f"{dtype} back to supervised: the owner rejected the last {rejections} requests")
        if spike:
            return at(AutonomyLevel.SUPERVISED, f"{dtype} back to supervised: {spike_text}")
        return at(AutonomyLevel.FULL_AUTO, f"{dtype} is full_auto: no rejection streak and no opt-out spike")
    if spike:
        return at(AutonomyLevel.SUPERVISED, f"{dtype} stays supervised: {spike_text}")
    if approvals >= PROMOTE_STREAK and rate is not None and rate >= PROMOTE_MIN_RATE:
        return at(AutonomyLevel.FULL_AUTO,
                  f"{dtype} earned full_auto: {approvals} approvals in a row, {rate:.0%} approved "
                  f"in {WINDOW.days} days")
    return at(AutonomyLevel.SUPERVISED,
              f"{dtype} stays supervised: {approvals} of {PROMOTE_STREAK} approvals in a row"
              + ("" if rate is None else f", {rate:.0%} approved in {WINDOW.days} days"))


def _streak(ordered: Sequence[Verdict], *, approved: bool) -> int:
    count = 0
    for verdict in reversed(ordered):
        if verdict.approved is not approved:
            break
        count += 1
    return count


def _check(record: AutonomyRecord, now: datetime) -> None:
    if now.tzinfo is None:
        raise BadRecord("now must carry a time zone")
    for verdict in record.verdicts:
        if verdict.at.tzinfo is None:
            raise BadRecord("a verdict's time must carry a time zone")
        if verdict.at > now:
            raise BadRecord(f"a verdict at {verdict.at.isoformat()} is after now ({now.isoformat()})")
    if record.messages_sent < 0 or record.opt_outs < 0:
        raise BadRecord("message and opt-out counts cannot be negative")
