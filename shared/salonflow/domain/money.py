"""Money: integer paise in code and operational documents; whole rupees in the spec's revenue fields.

Why (also in docs/schema.md):
- Integer paise are exact, sum without drift (Firestore `Increment` on integers is exact, on doubles it is not)
  and need no Decimal encoding, which Firestore lacks. Operational fields say their unit: `price_paise`.
- The spec's revenue fields (`potential_revenue`, `revenue_impact.potential/actual`, `counters.revenue_generated`,
  `by_type.*.revenue`, `ltv.*`) show rupees as plain numbers (500 for a ₹500 service). The owner PWA displays
  them as they are, so they stay whole rupees as integers. Conversion happens only here, rounding half up.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field

Paise = Annotated[int, Field(strict=True, ge=0)]
"""A non-negative INR amount in paise (₹1 = 100 paise)."""

Rupees = Annotated[int, Field(strict=True, ge=0)]
"""A non-negative whole-rupee INR amount, as the spec's revenue fields show."""

CURRENCY: Final[Literal["INR"]] = "INR"
PAISE_PER_RUPEE = 100


def rupees_from_paise(paise: int) -> int:
    """Whole rupees, rounding half up (₹499.50 → 500): for the spec's revenue fields."""
    if paise < 0:
        return -rupees_from_paise(-paise)
    return (paise + PAISE_PER_RUPEE // 2) // PAISE_PER_RUPEE


def paise_from_rupees(rupees: int) -> int:
    return rupees * PAISE_PER_RUPEE


def discount_paise(price_paise: int, discount_percent: float) -> int:
    """The discount on a price, in paise, rounded half up; a percent outside 0..100 is an error."""
    if not 0 <= discount_percent <= 100:
        raise ValueError("discount_percent must be between 0 and 100")
    # Work in hundredths of a percent so 12.5% stays exact.
    basis_points = round(discount_percent * 100)
    return (price_paise * basis_points + 5_000) // 10_000


def discounted_price_paise(price_paise: int, discount_percent: float) -> int:
    return price_paise - discount_paise(price_paise, discount_percent)


def format_inr(paise: int) -> str:
    """Human display: ₹500 or ₹499.50 (no grouping; message templates format their own)."""
    rupees, rest = divmod(paise, PAISE_PER_RUPEE)
    return f"₹{rupees}" if rest == 0 else f"₹{rupees}.{rest:02d}"
