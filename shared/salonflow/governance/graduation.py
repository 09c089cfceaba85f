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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from salonflow.domain.autonomy_standing import (
    MAX_OPT_OUTS_KEPT,
    MAX_VERDICTS_KEPT,
    AutonomyStanding,
    RecordedOptOut,
    RecordedVerdict,
)
from salonflow.domain.salon import DEFAULT_AUTONOMY
from salonflow.governance.autonomy import floor_for
from salonflow.governance.types import AutonomyLevel, DecisionType

PROMOTE_STREAK = 20
PROMOTE_MIN_RATE = 0.95
DEMOTE_STREAK = 2
WINDOW = timedelta(days=14)
SPIKE_MIN_COUNT = 3
SPIKE_RATE = 0.02
# Verdicts older than WINDOW still count for the streak: a salon answering one request a day needs 20 days.
KEEP_NEWEST_VERDICTS = 2 * PROMOTE_STREAK


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


# ---- The standing document: what is kept between verdicts, and how each event moves it ----

@dataclass(frozen=True)
class Pin:
    level: AutonomyLevel | None  # None lifts the pin
    by: str
    reason: str | None = None


@dataclass(frozen=True)
class StandingReview:
    standing: AutonomyStanding
    graduation: Graduation
    previous_level: AutonomyLevel
    owner_changed_level: bool  # the salon's settings had moved the level since the last review

    @property
    def level_changed(self) -> bool:
        return self.standing.level is not self.previous_level


def salon_level(decision_type: DecisionType, stored_autonomy: Mapping[str, object] | None) -> AutonomyLevel:
    """The level the salon's settings give the type now: its `autonomy` entry, else the default; never
    looser than the floor."""
    raw = (stored_autonomy or {}).get(decision_type.value)
    try:
        chosen = AutonomyLevel(str(raw)) if raw is not None else DEFAULT_AUTONOMY[decision_type]
    except ValueError:
        chosen = DEFAULT_AUTONOMY[decision_type]
    return AutonomyLevel.strictest(chosen, floor_for(decision_type))


def review(stored: AutonomyStanding | None, *, salon_id: str, decision_type: DecisionType,
           current_level: AutonomyLevel, decisions_in_window: int, now: datetime,
           verdict: RecordedVerdict | None = None, opt_out: RecordedOptOut | None = None,
           pin: Pin | None = None) -> StandingReview:
    """The standing after one event (a verdict, an opt-out, a pin, or a periodic look), judged.

    Idempotent: a verdict or opt-out already recorded (same approval / outreach) changes nothing, so an
    at-least-once delivery cannot count twice. If the salon's settings moved the level since the last review
    (the owner edited `autonomy`), the owner's level is the new starting point and the streak starts over.
    """
    owner_changed = stored is not None and stored.level is not current_level
    base = stored or AutonomyStanding(
        id=decision_type.value, salon_id=salon_id, decision_type=decision_type, level=current_level,
        since=now, reason=f"{decision_type.value} starts at {current_level.value}", created_at=now,
        updated_at=now)
    if owner_changed:
        base = base.with_changes(level=current_level, since=now, verdicts=[],
                                 reason=f"{decision_type.value} set to {current_level.value} in the settings")
    # Handlers run on different instances' clocks: another may have written this record a moment "after" this
    # one's now. That is skew, not a bad record, so the review happens at the latest moment the record knows.
    now = max([now, base.updated_at, *(v.at for v in base.verdicts), *(o.at for o in base.opt_outs)])
    verdicts = list(base.verdicts)
    if verdict is not None and all(v.approval_id != verdict.approval_id for v in verdicts):
        verdicts.append(verdict)
    opt_outs = [o for o in base.opt_outs if now - o.at <= WINDOW]
    if opt_out is not None and all(o.key != opt_out.key for o in opt_outs) and now - opt_out.at <= WINDOW:
        opt_outs.append(opt_out)
    pinned_level = base.pinned if pin is None else pin.level
    pin_fields: dict[str, object] = {} if pin is None else {
        "pinned": pin.level, "pinned_by": pin.by if pin.level else None,
        "pinned_at": now if pin.level else None, "pin_reason": pin.reason if pin.level else None}
    record = AutonomyRecord(
        decision_type=decision_type, level=base.level,
        # Every stored verdict came after the last change (a change empties the list), whatever its stamp.
        verdicts=[Verdict(v.at, v.approved) for v in verdicts],
        messages_sent=max(decisions_in_window, 0), opt_outs=len(opt_outs),
        pinned=pinned_level)
    graduation = judge(record, now)
    kept = [] if graduation.changed else _kept_verdicts(verdicts, now)
    standing = base.with_changes(
        level=graduation.level, since=now if graduation.changed else base.since, reason=graduation.reason,
        evidence=graduation.evidence, verdicts=kept, opt_outs=sorted(opt_outs, key=lambda o: o.at)[
            -MAX_OPT_OUTS_KEPT:], updated_at=now, **pin_fields)
    return StandingReview(standing, graduation, base.level, owner_changed)


def _kept_verdicts(verdicts: Sequence[RecordedVerdict], now: datetime) -> list[RecordedVerdict]:
    newest_first = sorted(verdicts, key=lambda v: v.at, reverse=True)
    kept = [v for i, v in enumerate(newest_first) if i < KEEP_NEWEST_VERDICTS or now - v.at <= WINDOW]
    return sorted(kept[:MAX_VERDICTS_KEPT], key=lambda v: v.at)
