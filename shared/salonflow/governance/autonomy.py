"""Autonomy policy: does this decision need a human before it happens?

The spec's approval table is a *floor* (``salonflow.domain.salon.AUTONOMY_FLOOR``):

| decision type          | floor        | approval |
|------------------------|--------------|----------|
| gap_fill               | full_auto    | only if the salon chose supervised (the default) |
| no_show_prevention     | full_auto    | no by default |
| waitlist_promotion     | full_auto    | no by default (not in the spec table; treated like gap_fill) |
| discount_offer         | supervised   | yes |
| any discount > 20 %    | manual_only  | yes, and never auto-approved or auto-executed |
| dynamic_pricing        | supervised   | yes |

A salon may pick a stricter level per decision type; a looser one (possible in a document
written around the model's validation) is clamped up to the floor and the decision says
so (``clamped``). Unset types use ``DEFAULT_AUTONOMY`` (gap_fill starts supervised).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from salonflow.domain.salon import AUTONOMY_FLOOR, DEFAULT_AUTONOMY, MANUAL_ONLY_DISCOUNT_ABOVE_PERCENT
from salonflow.governance.types import AutonomyLevel, DecisionType


@dataclass(frozen=True)
class AutonomyDecision:
    level: AutonomyLevel  # the effective level, recorded as the decision's autonomy_level
    approval_required: bool
    executable_without_human: bool
    auto_approval_allowed: bool  # False for manual_only: only a person may approve
    clamped: bool  # the salon asked for something looser than the floor
    reason: str


def floor_for(decision_type: DecisionType, discount_percent: float | None = None) -> AutonomyLevel:
    if discount_percent is not None and discount_percent > MANUAL_ONLY_DISCOUNT_ABOVE_PERCENT:
        # Any decision carrying a discount above 20 % is manual, whatever its type.
        return AutonomyLevel.MANUAL_ONLY
    return AUTONOMY_FLOOR.get(decision_type, AutonomyLevel.SUPERVISED)


def decide_autonomy(
    decision_type: DecisionType | str,
    salon_levels: Mapping[str, str] | None = None,
    discount_percent: float | None = None,
) -> AutonomyDecision:
    """The effective autonomy for one decision.

    ``salon_levels`` is the salon document's ``autonomy`` map (decision type -> level).
    Unknown level strings count as unset.
    """
    dtype = DecisionType(decision_type)
    floor = floor_for(dtype, discount_percent)
    requested = _parse_level((salon_levels or {}).get(dtype.value))
    chosen = requested or DEFAULT_AUTONOMY.get(dtype, AutonomyLevel.SUPERVISED)
    effective = AutonomyLevel.strictest(chosen, floor)
    clamped = requested is not None and not requested.at_least(floor)

    if discount_percent is not None and discount_percent > MANUAL_ONLY_DISCOUNT_ABOVE_PERCENT:
        reason = (f"{dtype.value}: discount {discount_percent:g}% > "
                  f"{MANUAL_ONLY_DISCOUNT_ABOVE_PERCENT}% is manual_only")
    elif clamped:
        reason = f"{dtype.value}: salon level {requested} is looser than the floor {floor}; using {effective}"
    elif requested is None:
        reason = f"{dtype.value}: no salon setting; default {effective}"
    else:
        reason = f"{dtype.value}: salon level {effective}"

    return AutonomyDecision(
        level=effective,
        approval_required=effective is not AutonomyLevel.FULL_AUTO,
        executable_without_human=effective is AutonomyLevel.FULL_AUTO,
        auto_approval_allowed=effective is not AutonomyLevel.MANUAL_ONLY,
        clamped=clamped,
        reason=reason,
    )


def _parse_level(value: object) -> AutonomyLevel | None:
    try:
        return AutonomyLevel(str(value)) if value is not None else None
    except ValueError:
        return None
