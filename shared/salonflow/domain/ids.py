"""Document ids: random and non-monotonic (Firestore hot-spots on sequential ids), with the spec's prefixes.

`new_id("dec")` gives `dec_` + 20 random base-62 characters (Firestore's own auto-id alphabet and length).
`deterministic_id("out", salon, customer, intent, slot)` hashes its parts, so replaying the same decision yields
the same outreach id and `create()` refuses the duplicate; hashes are uniformly spread, so never monotonic.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import date, datetime

from salonflow.domain.base import to_firestore_value

_ALPHABET = string.ascii_letters + string.digits
_RANDOM_LENGTH = 20
_HASH_LENGTH = 32  # hex chars = 128 bits: collisions are not a practical concern

DECISION = "dec"
APPROVAL = "apr"
AUDIT_LOG = "log"
GAP = "gap"
OUTREACH = "out"
SCORE = "score"
AGENT_STATE = "state"
CUSTOMER = "cust"
STAFF = "staff"
SERVICE = "svc"
BOOKING = "bkg"
WAITLIST = "wl"
SALON = "salon"
IDEMPOTENCY_KEY = "idem"


def new_id(prefix: str) -> str:
    """A fresh random id such as `dec_4fJ9kQ2...`."""
    _check_prefix(prefix)
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))


def deterministic_id(prefix: str, *parts: object) -> str:
    """The same parts always give the same id: `prefix_` + 32 hex chars of SHA-256.

    Parts are joined unambiguously (length-prefixed) and datetimes are normalised to UTC ISO strings, so
    the same instant in two timezones gives the same id.
    """
    _check_prefix(prefix)
    if not parts:
        raise ValueError("deterministic_id needs at least one part")
    digest = hashlib.sha256()
    for part in parts:
        encoded = _canonical(part).encode("utf-8")
        digest.update(len(encoded).to_bytes(4, "big"))
        digest.update(encoded)
    return f"{prefix}_{digest.hexdigest()[:_HASH_LENGTH]}"


def outreach_id(salon_id: str, customer_id: str, intent: str, slot: datetime | str) -> str:
    """The outreach id for one intent towards one customer about one slot (or other subject key)."""
    return deterministic_id(OUTREACH, salon_id, customer_id, intent, slot)


def gap_id(salon_id: str, staff_id: str, start_time: datetime, end_time: datetime) -> str:
    """The gap id for one staff member's free interval, so re-detection finds the same document."""
    return deterministic_id(GAP, salon_id, staff_id, start_time, end_time)


def agent_state_id(salon_id: str, agent_name: str) -> str:
    """The spec's `agent_states.id`, e.g. `state_salon_123_gap_fill_agent`."""
    return f"{AGENT_STATE}_{salon_id}_{agent_name}"


def customer_score_id(customer_id: str) -> str:
    """The spec's `customer_scores.id`, e.g. `score_cust_xxx`."""
    return f"{SCORE}_{customer_id}"


def _canonical(part: object) -> str:
    if isinstance(part, datetime | date):
        converted = to_firestore_value(part)
        return converted.isoformat() if isinstance(converted, datetime) else str(converted)
    if part is None:
        return "\x00none"
    return str(to_firestore_value(part))


def _check_prefix(prefix: str) -> None:
    if not prefix or not prefix.replace("_", "").isalnum():
        raise ValueError(f"invalid id prefix {prefix!r}")
