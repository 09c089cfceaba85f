"""A deterministic random holdout per salon and agent.

For a share of eligible cases (default 10 %) the agent deliberately does nothing, and the executor records that
as a decision with `action_taken = "holdout_no_action"`. Comparing how those cases ended (was the gap filled
anyway? did the customer show up anyway?) with the treated ones gives the lift net of what would have happened
without us — the honest number, beside the plain attributed revenue.

The draw is a hash of (salon, agent, case), not a random number: re-running an agent, or a task delivered twice,
puts the same case on the same side, and nobody can game it by retrying.
"""

from __future__ import annotations

import hashlib

HOLDOUT_ACTION = "holdout_no_action"


# Offers on one gap come from several agents (the waitlist's first wave, gap fill's later waves, a discount):
# they share one draw, so a held-out gap gets nothing from anyone and its fill rate is a clean baseline.
GAP_FAMILY = "gap_fill_agent"


def holdout_agent_key(agent_name: str, trigger_type: str) -> str:
    """Whose holdout a case belongs to: gap cases share the gap-fill draw, everything else its own agent's."""
    return GAP_FAMILY if trigger_type == "schedule_gap" else agent_name


def holdout_draw(salon_id: str, agent_name: str, case_key: str) -> float:
    """A stable uniform number in [0, 1) for this case."""
    digest = hashlib.sha256(f"{salon_id}\x1f{agent_name}\x1f{case_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_holdout(salon_id: str, agent_name: str, case_key: str, share: float) -> bool:
    if share <= 0:
        return False
    return holdout_draw(salon_id, agent_name, case_key) < min(share, 1.0)
