"""cleanup_agent: settle what has run out of time.

Pending approvals past `expires_at` expire (and their decisions with them: outcome expired), live outreach past
`expires_at` expires, open gaps whose time has passed expire, waitlist entries that can no longer be served expire,
and waitlist entries held for an offer that expired go back to waiting (the hold is released, their place kept).
Each expiry that the spec has an event for is listed with it (APPROVAL_EXPIRED, GAP_EXPIRED).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from salonflow.agents.snapshot import SalonSnapshot
from salonflow.agents.waitlist import stale_waitlist_entries
from salonflow.domain.enums import GapStatus, WaitlistStatus


@dataclass(frozen=True)
class CleanupPlan:
    expire_approvals: tuple[str, ...] = ()
    expire_decisions: tuple[str, ...] = ()
    expire_outreach: tuple[str, ...] = ()
    expire_gaps: tuple[str, ...] = ()
    expire_waitlist: tuple[str, ...] = ()
    release_waitlist: tuple[str, ...] = ()  # OFFERED -> WAITING
    events: tuple[tuple[str, str], ...] = ()  # (event type, resource id)

    @property
    def empty(self) -> bool:
        return not any((self.expire_approvals, self.expire_decisions, self.expire_outreach, self.expire_gaps,
                        self.expire_waitlist, self.release_waitlist))


def cleanup_agent(snapshot: SalonSnapshot, now: datetime) -> CleanupPlan:
    approvals = [a for a in snapshot.approvals if a.status == "pending" and a.expires_at <= now]
    approval_decisions = {a.decision_id for a in approvals}
    decisions = sorted(
        {d.id for d in snapshot.decisions
         if d.outcome_status == "pending" and (d.id in approval_decisions or (d.expires_at and d.expires_at <= now))}
    )
    outreach = [o for o in snapshot.outreach if o.expires_at is not None and o.expires_at <= now
                and o.status.value in ("pending", "sent", "delivered", "read")]
    gaps = [g for g in snapshot.gaps if g.status is GapStatus.OPEN and g.end <= now]
    stale = set(stale_waitlist_entries(list(snapshot.waitlist), now))
    offered_customers_live = {o.customer_id for o in snapshot.outreach if o.is_live(now)}
    release = [w.id for w in snapshot.waitlist if w.status is WaitlistStatus.OFFERED and w.id not in stale
               and w.customer_id not in offered_customers_live]
    events = [("APPROVAL_EXPIRED", a.id) for a in approvals] + [("GAP_EXPIRED", g.id) for g in gaps]
    return CleanupPlan(
        expire_approvals=tuple(sorted(a.id for a in approvals)),
        expire_decisions=tuple(decisions),
        expire_outreach=tuple(sorted(o.id for o in outreach)),
        expire_gaps=tuple(sorted(g.id for g in gaps)),
        expire_waitlist=tuple(sorted(stale)),
        release_waitlist=tuple(sorted(release)),
        events=tuple(events),
    )
