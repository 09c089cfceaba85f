"""Graduated autonomy: an action type earns full_auto from its approval record and loses it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from salonflow.governance.graduation import (
    DEMOTE_STREAK,
    PROMOTE_STREAK,
    WINDOW,
    AutonomyRecord,
    BadRecord,
    Verdict,
    judge,
)
from salonflow.governance.types import AutonomyLevel, DecisionType

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
FULL, SUPERVISED, MANUAL = AutonomyLevel.FULL_AUTO, AutonomyLevel.SUPERVISED, AutonomyLevel.MANUAL_ONLY


def verdicts(*approved: bool, every: timedelta = timedelta(hours=3)) -> tuple[Verdict, ...]:
    """Oldest first, the last one `every` before NOW."""
    n = len(approved)
    return tuple(Verdict(NOW - every * (n - i), a) for i, a in enumerate(approved))


def gap_fill(level: AutonomyLevel, *vs: Verdict, **kw: object) -> AutonomyRecord:
    return AutonomyRecord(DecisionType.GAP_FILL, level, vs, **kw)  # type: ignore[arg-type]


def test_a_supervised_type_graduates_after_enough_approvals_in_a_row() -> None:
    almost = judge(gap_fill(SUPERVISED, *verdicts(*[True] * (PROMOTE_STREAK - 1))), NOW)
    assert almost.level is SUPERVISED and not almost.changed
    assert f"{PROMOTE_STREAK - 1} of {PROMOTE_STREAK} approvals in a row" in almost.reason
    earned = judge(gap_fill(SUPERVISED, *verdicts(*[True] * PROMOTE_STREAK)), NOW)
    assert earned.level is FULL and earned.changed
    assert earned.reason == f"gap_fill earned full_auto: {PROMOTE_STREAK} approvals in a row, 100% approved in 14 days"
    assert earned.evidence["approvals_in_a_row"] == PROMOTE_STREAK


def test_one_recent_rejection_restarts_the_streak_and_a_poor_rate_blocks_graduation() -> None:
    broken = judge(gap_fill(SUPERVISED, *verdicts(*[True] * 30, False, *[True] * 5)), NOW)
    assert broken.level is SUPERVISED and broken.evidence["approvals_in_a_row"] == 5
    # 20 in a row, but 3 rejections among 23 answers in the window: 87% < 95%.
    poor = judge(gap_fill(SUPERVISED, *verdicts(False, False, False, *[True] * PROMOTE_STREAK)), NOW)
    assert poor.level is SUPERVISED and poor.evidence["approval_rate"] == round(20 / 23, 3)


def test_the_order_of_the_record_does_not_matter_only_the_times() -> None:
    record = verdicts(*[True] * PROMOTE_STREAK, False)
    assert judge(gap_fill(SUPERVISED, *reversed(record)), NOW).evidence["rejections_in_a_row"] == 1


def test_a_rejection_streak_or_an_opt_out_spike_sends_full_auto_back_to_supervised() -> None:
    rejected = judge(gap_fill(FULL, *verdicts(True, *[False] * DEMOTE_STREAK)), NOW)
    assert rejected.level is SUPERVISED and rejected.changed
    assert rejected.reason == f"gap_fill back to supervised: the owner rejected the last {DEMOTE_STREAK} requests"
    spiked = judge(gap_fill(FULL, messages_sent=100, opt_outs=3), NOW)
    assert spiked.level is SUPERVISED and "3 opt-outs or complaints on 100 messages" in spiked.reason
    # 3 opt-outs on 400 messages is under 2 %: normal churn, not a spike.
    assert judge(gap_fill(FULL, messages_sent=400, opt_outs=3), NOW).level is FULL
    assert judge(gap_fill(FULL, *verdicts(False, True)), NOW).level is FULL  # one rejection is not a streak


def test_a_spike_also_keeps_a_well_approved_type_from_graduating() -> None:
    held = judge(gap_fill(SUPERVISED, *verdicts(*[True] * PROMOTE_STREAK), messages_sent=50, opt_outs=4), NOW)
    assert held.level is SUPERVISED and held.reason.startswith("gap_fill stays supervised: 4 opt-outs")


def test_verdicts_older_than_the_window_count_for_the_streak_but_not_for_the_rate() -> None:
    old = tuple(Verdict(NOW - WINDOW - timedelta(days=1, hours=i), False) for i in range(5))
    recent = verdicts(*[True] * PROMOTE_STREAK)
    graduated = judge(gap_fill(SUPERVISED, *old, *recent), NOW)
    assert graduated.level is FULL and graduated.evidence["verdicts_in_window"] == PROMOTE_STREAK


def test_nothing_graduates_beyond_the_spec_floor() -> None:
    for dtype in (DecisionType.DISCOUNT_OFFER, DecisionType.DYNAMIC_PRICING):
        record = AutonomyRecord(dtype, SUPERVISED, verdicts(*[True] * 100))
        result = judge(record, NOW)
        assert result.level is SUPERVISED and not result.changed and "floor is supervised" in result.reason
        # A stored full_auto (written around validation) is pulled back to the floor.
        assert judge(AutonomyRecord(dtype, FULL, ()), NOW).level is SUPERVISED


def test_manual_only_chosen_by_the_owner_is_never_loosened() -> None:
    result = judge(gap_fill(MANUAL, *verdicts(*[True] * 100)), NOW)
    assert result.level is MANUAL and not result.changed


def test_the_owner_pin_wins_within_the_floor_and_says_so() -> None:
    pinned = judge(gap_fill(SUPERVISED, *verdicts(*[True] * 100), pinned=SUPERVISED), NOW)
    assert pinned.level is SUPERVISED and pinned.reason == "gap_fill is pinned by the owner at supervised"
    kept = judge(gap_fill(FULL, *verdicts(*[False] * 5), pinned=FULL), NOW)
    assert kept.level is FULL and not kept.changed
    floored = judge(AutonomyRecord(DecisionType.DISCOUNT_OFFER, SUPERVISED, (), pinned=FULL), NOW)
    assert floored.level is SUPERVISED and "(the floor is supervised)" in floored.reason


def test_a_record_that_cannot_be_judged_is_refused_clearly() -> None:
    with pytest.raises(BadRecord, match="after now"):
        judge(gap_fill(SUPERVISED, Verdict(NOW + timedelta(minutes=1), True)), NOW)
    with pytest.raises(BadRecord, match="time zone"):
        judge(gap_fill(SUPERVISED), NOW.replace(tzinfo=None))
    with pytest.raises(BadRecord, match="negative"):
        judge(gap_fill(SUPERVISED, opt_outs=-1), NOW)
