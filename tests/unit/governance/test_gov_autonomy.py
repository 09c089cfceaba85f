import pytest
from salonflow.governance.autonomy import ConflictingDiscount, decide_autonomy, discount_percent_of
from salonflow.governance.types import AutonomyLevel


def test_gap_fill_in_full_auto_needs_no_approval() -> None:
    decision = decide_autonomy("gap_fill", {"gap_fill": "full_auto"})
    assert decision.level is AutonomyLevel.FULL_AUTO
    assert not decision.approval_required
    assert decision.executable_without_human


def test_gap_fill_supervised_needs_approval() -> None:
    decision = decide_autonomy("gap_fill", {"gap_fill": "supervised"})
    assert decision.approval_required
    assert not decision.executable_without_human
    assert decision.auto_approval_allowed


def test_unconfigured_gap_fill_defaults_to_supervised() -> None:
    assert decide_autonomy("gap_fill").level is AutonomyLevel.SUPERVISED


def test_no_show_prevention_full_auto_needs_no_approval() -> None:
    assert not decide_autonomy("no_show_prevention", {"no_show_prevention": "full_auto"}).approval_required


@pytest.mark.parametrize("decision_type", ["discount_offer", "dynamic_pricing"])
def test_a_looser_salon_level_is_clamped_up_to_the_floor(decision_type: str) -> None:
    decision = decide_autonomy(decision_type, {decision_type: "full_auto"})
    assert decision.level is AutonomyLevel.SUPERVISED
    assert decision.clamped
    assert decision.approval_required
    assert "floor" in decision.reason


def test_a_stricter_salon_level_is_kept() -> None:
    decision = decide_autonomy("no_show_prevention", {"no_show_prevention": "manual_only"})
    assert decision.level is AutonomyLevel.MANUAL_ONLY
    assert not decision.clamped


def test_a_discount_above_twenty_percent_is_manual_only_and_never_auto_approved() -> None:
    decision = decide_autonomy("discount_offer", {"discount_offer": "supervised"}, discount_percent=25)
    assert decision.level is AutonomyLevel.MANUAL_ONLY
    assert decision.approval_required
    assert not decision.executable_without_human
    assert not decision.auto_approval_allowed


def test_exactly_twenty_percent_stays_supervised() -> None:
    assert decide_autonomy("discount_offer", discount_percent=20).level is AutonomyLevel.SUPERVISED


def test_a_large_discount_makes_even_a_full_auto_gap_fill_manual() -> None:
    decision = decide_autonomy("gap_fill", {"gap_fill": "full_auto"}, discount_percent=30)
    assert decision.level is AutonomyLevel.MANUAL_ONLY


def test_an_unknown_level_string_counts_as_unset() -> None:
    decision = decide_autonomy("gap_fill", {"gap_fill": "yolo"})
    assert decision.level is AutonomyLevel.SUPERVISED
    assert not decision.clamped


def test_a_discount_in_the_action_details_is_judged_like_one_in_the_field() -> None:
    assert decide_autonomy("gap_fill", {"gap_fill": "full_auto"}, None, {"discount_percent": 25}).level == "manual_only"
    assert decide_autonomy("gap_fill", {"gap_fill": "full_auto"}, None, {"offer": {"discount_percent": 21}}).level == \
        "manual_only"
    assert decide_autonomy("gap_fill", {"gap_fill": "full_auto"}, 20, {"discount_percent": 20}).level == "full_auto"


def test_two_different_discounts_or_a_nonsense_one_are_refused() -> None:
    with pytest.raises(ConflictingDiscount, match="10%, 40%"):
        discount_percent_of(10, {"discount_percent": 40})
    with pytest.raises(ConflictingDiscount, match="0 to 100"):
        discount_percent_of(None, {"discount_percent": "lots"})
    assert discount_percent_of(None, {}) is None
