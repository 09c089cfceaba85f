"""The standing document between events: verdicts and opt-outs count once, the owner's settings and pins win."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from salonflow.domain.autonomy_standing import AutonomyStanding, RecordedOptOut, RecordedVerdict
from salonflow.governance.graduation import (
    KEEP_NEWEST_VERDICTS,
    PROMOTE_STREAK,
    WINDOW,
    Pin,
    StandingReview,
    review,
    salon_level,
)
from salonflow.governance.types import AutonomyLevel, DecisionType

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
FULL, SUPERVISED, MANUAL = AutonomyLevel.FULL_AUTO, AutonomyLevel.SUPERVISED, AutonomyLevel.MANUAL_ONLY
GAP = DecisionType.GAP_FILL


def step(stored: AutonomyStanding | None, at: datetime, current: AutonomyLevel | None = None,
         decision_type: DecisionType = GAP, decisions: int = 100, **event: object) -> StandingReview:
    level = current or (stored.level if stored else SUPERVISED)
    return review(stored, salon_id="salon_a", decision_type=decision_type, current_level=level,
                  decisions_in_window=decisions, now=at, **event)  # type: ignore[arg-type]


def approvals(count: int, start: AutonomyStanding | None = None, every: timedelta = timedelta(hours=1),
              approved: bool = True, first: int = 0) -> AutonomyStanding | None:
    standing = start
    for i in range(count):
        at = NOW - every * (count - i)
        standing = step(standing, at, verdict=RecordedVerdict(approval_id=f"apr_{first + i}", at=at,
                                                              approved=approved)).standing
    return standing


def test_twenty_approvals_in_a_row_move_the_type_to_full_auto_and_start_a_fresh_record() -> None:
    standing = approvals(PROMOTE_STREAK - 1)
    assert standing is not None and standing.level is SUPERVISED and len(standing.verdicts) == PROMOTE_STREAK - 1
    last = step(standing, NOW, verdict=RecordedVerdict(approval_id="apr_last", at=NOW, approved=True))
    assert last.level_changed and last.standing.level is FULL and last.standing.since == NOW
    assert last.standing.verdicts == [] and "earned full_auto" in last.standing.reason


def test_the_same_approval_answered_twice_counts_once() -> None:
    standing = approvals(PROMOTE_STREAK - 1)
    again = step(standing, NOW, verdict=RecordedVerdict(approval_id="apr_0", at=NOW, approved=True))
    assert again.standing.level is SUPERVISED and len(again.standing.verdicts) == PROMOTE_STREAK - 1


def test_two_rejections_in_a_row_bring_a_full_auto_type_back_to_supervised() -> None:
    promoted = approvals(PROMOTE_STREAK)
    assert promoted is not None and promoted.level is FULL
    once = step(promoted, NOW + timedelta(minutes=1),
                verdict=RecordedVerdict(approval_id="late_1", at=NOW + timedelta(minutes=1), approved=False))
    assert once.standing.level is FULL
    twice = step(once.standing, NOW + timedelta(minutes=2),
                 verdict=RecordedVerdict(approval_id="late_2", at=NOW + timedelta(minutes=2), approved=False))
    assert twice.level_changed and twice.standing.level is SUPERVISED
    assert "rejected the last 2 requests" in twice.standing.reason


def test_an_owner_who_changes_the_level_in_the_settings_restarts_the_streak() -> None:
    standing = approvals(PROMOTE_STREAK - 1)
    moved = step(standing, NOW, current=MANUAL)
    assert moved.owner_changed_level and not moved.level_changed
    assert moved.standing.level is MANUAL and moved.standing.verdicts == [] and moved.standing.since == NOW


def test_a_pin_holds_the_level_whatever_the_record_and_lifting_it_lets_the_record_speak() -> None:
    standing = approvals(PROMOTE_STREAK - 1)
    pinned = step(standing, NOW, pin=Pin(SUPERVISED, "uid_owner", "I want to see every offer"))
    assert pinned.standing.pinned is SUPERVISED and pinned.standing.pinned_by == "uid_owner"
    held = approvals(PROMOTE_STREAK + 5, pinned.standing, every=timedelta(minutes=1), first=100)
    assert held is not None and held.level is SUPERVISED and "pinned by the owner" in held.reason
    lifted = step(held, NOW + timedelta(minutes=1), pin=Pin(None, "uid_owner"))
    assert lifted.standing.pinned is None and lifted.standing.pinned_at is None
    assert lifted.standing.level is FULL


def test_a_pin_looser_than_the_floor_is_clamped_to_the_floor() -> None:
    pinned = step(None, NOW, decision_type=DecisionType.DISCOUNT_OFFER, pin=Pin(FULL, "uid_owner"))
    assert pinned.standing.level is SUPERVISED and "the floor is supervised" in pinned.standing.reason


def test_an_opt_out_spike_demotes_a_full_auto_type_and_one_opt_out_per_message_counts() -> None:
    standing = step(None, NOW, current=FULL, decision_type=DecisionType.WAITLIST_PROMOTION).standing
    for n in range(2):
        standing = step(standing, NOW, decision_type=DecisionType.WAITLIST_PROMOTION,
                        opt_out=RecordedOptOut(key=f"out_{n}", at=NOW)).standing
        standing = step(standing, NOW, decision_type=DecisionType.WAITLIST_PROMOTION,
                        opt_out=RecordedOptOut(key=f"out_{n}", at=NOW)).standing
    assert standing.level is FULL and len(standing.opt_outs) == 2
    third = step(standing, NOW, decision_type=DecisionType.WAITLIST_PROMOTION,
                 opt_out=RecordedOptOut(key="out_2", at=NOW))
    assert third.level_changed and third.standing.level is SUPERVISED and "3 opt-outs" in third.standing.reason


def test_opt_outs_age_out_of_the_window_at_the_hourly_review() -> None:
    standing = step(None, NOW, current=SUPERVISED, opt_out=RecordedOptOut(key="out_1", at=NOW)).standing
    later = step(standing, NOW + WINDOW + timedelta(hours=1))
    assert later.standing.opt_outs == []


def test_old_verdicts_are_trimmed_but_the_newest_are_kept_for_the_streak() -> None:
    standing = approvals(KEEP_NEWEST_VERDICTS + 10, every=timedelta(days=1))  # one answer a day
    assert standing is not None and standing.level is FULL  # promoted on the 20th, the record restarts
    slow = approvals(PROMOTE_STREAK - 1, every=timedelta(days=1))
    assert slow is not None and len(slow.verdicts) == PROMOTE_STREAK - 1  # older than 14 days, still counted


def test_the_salon_level_is_its_setting_else_the_default_never_looser_than_the_floor() -> None:
    assert salon_level(GAP, None) is SUPERVISED
    assert salon_level(GAP, {"gap_fill": "full_auto"}) is FULL
    assert salon_level(DecisionType.DISCOUNT_OFFER, {"discount_offer": "full_auto"}) is SUPERVISED
    assert salon_level(GAP, {"gap_fill": "sometimes"}) is SUPERVISED


def test_a_handler_whose_clock_runs_behind_the_record_reviews_it_without_calling_it_bad() -> None:
    ahead = NOW + timedelta(seconds=2)  # another instance answered a moment "later"
    stored = step(None, ahead, verdict=RecordedVerdict(approval_id="apr_fast", at=ahead, approved=True)).standing
    behind = step(stored, NOW, verdict=RecordedVerdict(approval_id="apr_slow", at=NOW, approved=True))
    assert [v.approval_id for v in behind.standing.verdicts] == ["apr_slow", "apr_fast"]
    assert behind.standing.evidence["approvals_in_a_row"] == 2
    assert behind.standing.updated_at >= behind.standing.created_at
