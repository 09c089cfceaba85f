"""The value types governance speaks in: the domain's enums, re-exported in one place.

``MessageCategory`` decides consent and quiet hours:
SERVICE   reminders, confirmations, anything about a booking the customer made.
MARKETING offers, win-back, gap offers with a discount (promotional in TRAI terms).
"""

from __future__ import annotations

from salonflow.domain.enums import (
    AutonomyLevel,
    Channel,
    ConsentChannel,
    ConsentSource,
    DecisionType,
    MessageCategory,
)

__all__ = ["AutonomyLevel", "Channel", "ConsentChannel", "ConsentSource", "DecisionType", "MessageCategory"]
