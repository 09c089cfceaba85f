"""waitlist_agent: when a slot matching a waitlist entry opens, offer it in a fair, documented order.

Order: the salon's `priority` (higher first), then first come, first served (`created_at`), then id. The next
`offer_wave_size` entries in that order are offered at once, with the same hold-and-confirm flow as gap fill: the
first confirmed "yes" books the slot, the others hear it was taken and keep their place. Offering a few at once is
deliberate: with a 15-minute answer window, asking one person at a time loses most same-day slots. The waitlist
gets each gap's first wave; if nobody takes it, gap fill's later waves still include the waitlist entries.

Stale entries (past `expires_at`, or whose every preferred window has passed) are expired by the cleanup agent
using `stale_waitlist_entries`.
"""

from __future__ import annotations

from datetime import datetime

from salonflow.agents.candidates import Candidate, Source, acceptance_probability, contactable, offered_slot
from salonflow.agents.candidates import waitlist_fits as _fits
from salonflow.agents.gap_fill import asked_about, offer_proposal, wave_can_start
from salonflow.agents.holdout import GAP_FAMILY, in_holdout
from salonflow.agents.proposals import AgentName, Proposal
from salonflow.agents.snapshot import SalonSnapshot, WaitlistView
from salonflow.domain.enums import MessageCategory, WaitlistStatus


def fair_order(entries: list[WaitlistView]) -> list[WaitlistView]:
    return sorted(entries, key=lambda w: (-w.priority, w.created_at, w.id))


def waitlist_agent(snapshot: SalonSnapshot, now: datetime) -> list[Proposal]:
    salon = snapshot.salon
    wave = salon.settings.offer_wave_size
    proposals: list[Proposal] = []
    offered: set[str] = set()
    for gap in sorted(snapshot.gaps, key=lambda g: (g.start, g.id)):
        if gap.fill_attempts > 0 or not wave_can_start(snapshot, gap, now):
            continue  # later waves are gap fill's (it ranks the waitlist alongside everyone else)
        if in_holdout(salon.id, GAP_FAMILY, gap.id, salon.settings.holdout_share):
            continue  # a held-out gap: gap fill records it, nobody is offered it
        asked = asked_about(snapshot, gap.id)
        chosen: list[Candidate] = []
        for entry in fair_order(list(snapshot.waitlist)):
            if len(chosen) >= wave:
                break
            service = snapshot.services.get(entry.service_id)
            if service is None or entry.customer_id in asked or entry.customer_id in offered:
                continue
            slot = offered_slot(gap, service, now, salon.settings.min_lead_minutes)
            if slot is None or not _fits(entry, gap, slot, now):
                continue
            if not contactable(snapshot, snapshot.customers.get(entry.customer_id), now, MessageCategory.SERVICE):
                continue
            if any(b.interval.overlaps(slot) for b in snapshot.active_bookings_of(entry.customer_id)):
                continue
            staff = snapshot.staff.get(gap.staff_id)
            probability, factors = acceptance_probability(
                Source.WAITLIST, snapshot.scores.get(entry.customer_id), gap.staff_id,
                staff.name if staff else gap.staff_id, slot, now, salon.zone,
            )
            chosen.append(Candidate(entry.customer_id, Source.WAITLIST, entry.service_id, slot, probability,
                                    service.price_paise, factors, waitlist_id=entry.id))
            offered.add(entry.customer_id)
        for rank, candidate in enumerate(chosen, start=1):
            proposal = offer_proposal(snapshot, gap, candidate, now, AgentName.WAITLIST, rank)
            proposals.append(proposal)
    return proposals


def stale_waitlist_entries(entries: list[WaitlistView], now: datetime) -> list[str]:
    """Waiting entries nobody can serve any more: expired, or every preferred window is over."""
    stale = []
    for entry in entries:
        if entry.status not in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
            continue
        if (entry.expires_at is not None and entry.expires_at <= now) or (
            entry.windows and all(w.end <= now for w in entry.windows)
        ):
            stale.append(entry.id)
    return stale
