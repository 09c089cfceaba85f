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


class ConflictingDiscount(ValueError):
    """The decision names two different discounts: which one the customer gets is not ours to guess."""


DISCOUNT_PLACES = ("discount_percent", "offer.discount_percent")


def discount_percent_of(explicit: float | None, action_details: Mapping[str, object] | None = None) -> float | None:
    """The decision's discount, wherever the caller put it: the decision's own field, or
    ``action_details.discount_percent``, or ``action_details.offer.discount_percent``. The approval floor is
    judged on this one figure, so a discount cannot slip past ``manual_only`` by sitting in another field."""
    details = action_details or {}
    offer = details.get("offer")
    found = [explicit, details.get("discount_percent"),
             offer.get("discount_percent") if isinstance(offer, Mapping) else None]
    figures: set[float] = set()
    for value in found:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise ConflictingDiscount(f"a discount must be a number from 0 to 100, got {value!r}")
        figures.add(float(value))
    if len(figures) > 1:
        raise ConflictingDiscount("the decision names different discounts: " +
                                  ", ".join(f"{f:g}%" for f in sorted(figures)))
    return figures.pop() if figures else None


def decide_autonomy(
    decision_type: DecisionType | str,
    salon_levels: Mapping[str, str] | None = None,
    discount_percent: float | None = None,
    action_details: Mapping[str, object] | None = None,
) -> AutonomyDecision:
    """The effective autonomy for one decision.

    ``salon_levels`` is the salon document's ``autonomy`` map (decision type -> level).
    Unknown level strings count as unset. The discount is read by ``discount_percent_of`` from the field and
    the action details alike (``ConflictingDiscount`` if they disagree).
    """
    discount_percent = discount_percent_of(discount_percent, action_details)
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
