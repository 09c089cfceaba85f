"""The few reads that are cross-salon by nature, kept apart from the salon-scoped repositories.

- The scheduler's tick finds which salons have an agent due (`agent_states` collection group).
- An incoming WhatsApp message names only the number it was sent to; that number identifies the salon.
Each result carries the salon id taken from the document path, so callers continue with `SalonRepositories`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.client import Client

from salonflow.adapters.firestore.repositories import SALONS
from salonflow.domain.agent_state import AgentState
from salonflow.domain.enums import AgentStatus
from salonflow.domain.salon import Salon

__all__ = ["DueAgent", "due_agents", "salon_by_whatsapp_sender"]


@dataclass(frozen=True)
class DueAgent:
    salon_id: str
    agent_name: str
    next_scheduled: datetime | None


def due_agents(client: Client, agent_name: str, now: datetime, limit: int | None = None) -> list[DueAgent]:
    """Active (or breaker-held) states of `agent_name` due at or before `now`, across all salons.

    Reads one document per due salon, so a tick costs in proportion to the salons that are due.
    """
    query = (
        client.collection_group("agent_states")
        .where(filter=FieldFilter("agent_name", "==", agent_name))
        # An agent whose breaker opened stays scheduled: governance holds its sends until the cooldown
        # ends and then lets exactly one trial through, which is how it recovers on its own.
        .where(filter=FieldFilter("status", "in", [AgentStatus.ACTIVE.value, AgentStatus.CIRCUIT_BREAKER.value]))
        .where(filter=FieldFilter("next_scheduled", "<=", now))
        .order_by("next_scheduled")
    )
    if limit is not None:
        query = query.limit(limit)
    due: list[DueAgent] = []
    for snapshot in query.stream():
        salon_ref = snapshot.reference.parent.parent
        if salon_ref is None or salon_ref.parent.id != SALONS:
            continue  # an agent_states collection outside salons/{id}: not ours
        state = AgentState.from_firestore(snapshot.id, snapshot.to_dict() or {})
        if state.salon_id != salon_ref.id:
            continue  # a document whose salon_id disagrees with its path is never trusted
        due.append(DueAgent(salon_ref.id, state.agent_name, state.next_scheduled))
    return due


def salon_by_whatsapp_sender(client: Client, sender: str) -> Salon | None:
    """The salon whose WhatsApp Business number is `sender` (E.164, without the `whatsapp:` prefix)."""
    number = sender.removeprefix("whatsapp:")
    query = client.collection(SALONS).where(filter=FieldFilter("whatsapp_sender", "==", number)).limit(2)
    matches = list(query.stream())
    if len(matches) != 1:
        return None  # unknown, or ambiguous (two salons claiming one number): refuse to guess
    snapshot = matches[0]
    return Salon.from_firestore(snapshot.id, snapshot.to_dict() or {})
