"""Customers of the demo salon: names, phone numbers, languages, consent records and visiting habits.

Each customer gets a persona that drives their booking history (see `seed_history`):
- `regular`: every 3-6 weeks, still coming;
- `occasional`: every 2-4 months;
- `lapsing`: used to come every 3-4 weeks and stopped (more than three usual intervals ago);
- `new`: a single recent first visit;
- `first_timer`: no visit yet (their first booking may be on the demo day);
- `one_time`: came once, months ago, never returned.
Behaviour flags add the no-show and late-cancellation structure the no-show agent learns from.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from salonflow.domain.customers import ConsentRecord, Customer
from salonflow.domain.enums import ConsentChannel, ConsentSource, MessageCategory
from salonflow.domain.ids import deterministic_id

from salonflow_demo.seed_catalog import EMAIL_DOMAINS, MEN_FIRST, SURNAMES, WOMEN_FIRST, full_name

PERSONA_SHARES: tuple[tuple[str, float], ...] = (
    ("regular", 0.38),
    ("occasional", 0.20),
    ("lapsing", 0.12),
    ("new", 0.08),
    ("first_timer", 0.12),
    ("one_time", 0.10),
)
NO_SHOW_PRONE_SHARE = 0.05
LATE_CANCELLER_SHARE = 0.08
WOMEN_SHARE = 0.65
HINDI_SHARE = 0.30

# Consent mix (per customer): most accept WhatsApp service messages at the front desk, fewer marketing.
WHATSAPP_SERVICE = 0.88
WHATSAPP_MARKETING_GIVEN_SERVICE = 0.60
SMS_SERVICE = 0.30
SMS_MARKETING_GIVEN_SERVICE = 0.30
VOICE_SERVICE = 0.25
OPTED_OUT_SHARE = 0.05  # replied STOP at some point (marketing only, or everything)


@dataclass(frozen=True)
class Profile:
    """The generator's intent for one customer (not stored: Firestore holds only what a salon would know)."""

    customer_id: str
    persona: str
    gender: str  # "women" or "men", to pick plausible services
    no_show_prone: bool
    late_canceller: bool
    preferred_part: str  # morning / afternoon / evening
    opted_out: str | None  # None, "marketing" or "all"
    single_visit_days_ago: int | None = None  # new / one_time: when their only visit was


def unique_phone(rng: random.Random, taken: set[str]) -> str:
    """A valid Indian mobile number in E.164: +91, then 10 digits starting 6-9, unused so far."""
    while True:
        phone = f"+91{rng.randint(6, 9)}{rng.randint(0, 999_999_999):09d}"
        if phone not in taken:
            taken.add(phone)
            return phone


def _assign_personas(rng: random.Random, count: int) -> list[str]:
    personas: list[str] = []
    for name, share in PERSONA_SHARES:
        personas.extend([name] * round(count * share))
    while len(personas) < count:
        personas.append("regular")
    personas = personas[:count]
    rng.shuffle(personas)
    return personas


def _record(granted_at: datetime, source: ConsentSource, revoked_at: datetime | None = None) -> ConsentRecord:
    if revoked_at is None:
        return ConsentRecord(granted=True, granted_at=granted_at, source=source, updated_at=granted_at)
    return ConsentRecord(granted=False, granted_at=granted_at, revoked_at=revoked_at,
                         source=ConsentSource.WHATSAPP_MESSAGE, updated_at=revoked_at)


def _consent(
    rng: random.Random, since: datetime, as_of: datetime, opted_out: str | None, force_marketing: bool,
) -> dict[ConsentChannel, dict[MessageCategory, ConsentRecord]]:
    source = rng.choices(
        (ConsentSource.IN_SALON, ConsentSource.ONLINE_BOOKING, ConsentSource.WHATSAPP_MESSAGE, ConsentSource.IMPORT),
        weights=(60, 25, 10, 5),
    )[0]
    granted_at = since + timedelta(minutes=rng.randint(1, 30))
    revoked_at = granted_at + (as_of - granted_at) * rng.uniform(0.3, 0.95)
    matrix: dict[ConsentChannel, dict[MessageCategory, ConsentRecord]] = {}
    whatsapp_service = force_marketing or opted_out is not None or rng.random() < WHATSAPP_SERVICE
    if whatsapp_service:
        whatsapp: dict[MessageCategory, ConsentRecord] = {
            MessageCategory.SERVICE: _record(granted_at, source, revoked_at if opted_out == "all" else None),
        }
        if force_marketing or opted_out is not None or rng.random() < WHATSAPP_MARKETING_GIVEN_SERVICE:
            whatsapp[MessageCategory.MARKETING] = _record(granted_at, source, revoked_at if opted_out else None)
        matrix[ConsentChannel.WHATSAPP] = whatsapp
    if rng.random() < SMS_SERVICE:
        sms = {MessageCategory.SERVICE: _record(granted_at, source)}
        if rng.random() < SMS_MARKETING_GIVEN_SERVICE and opted_out is None:
            sms[MessageCategory.MARKETING] = _record(granted_at, source)
        matrix[ConsentChannel.SMS] = sms
    if whatsapp_service and opted_out != "all" and rng.random() < VOICE_SERVICE:
        matrix[ConsentChannel.VOICE] = {MessageCategory.SERVICE: _record(granted_at, source)}
    return matrix


def _email(rng: random.Random, first: str, last: str) -> str | None:
    if rng.random() > 0.4:
        return None
    local = f"{first}.{last}".lower().replace("'", "")
    if rng.random() < 0.6:
        local += str(rng.randint(1, 99))
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def build_customers(
    rng: random.Random, *, salon_id: str, seed: int, count: int, as_of: datetime, history_days: int,
    taken_phones: set[str],
) -> tuple[list[Customer], dict[str, Profile]]:
    """Customers and their profiles; `created_at` is when they first came (or signed up), before `as_of`."""
    personas = _assign_personas(rng, count)
    customers: list[Customer] = []
    profiles: dict[str, Profile] = {}
    lapsing_with_marketing = 0
    for index, persona in enumerate(personas):
        customer_id = deterministic_id("cust", salon_id, seed, index)
        gender = "women" if rng.random() < WOMEN_SHARE else "men"
        first = rng.choice(WOMEN_FIRST if gender == "women" else MEN_FIRST)
        last = full_name(first, rng.choice(SURNAMES), gender).split(" ", 1)[1]
        single_visit = None
        if persona in ("regular", "occasional", "lapsing"):
            since = as_of - timedelta(days=history_days + rng.randint(10, 500))
        elif persona == "first_timer":
            since = as_of - timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 10))
        else:  # new / one_time: they phoned in a day or two before their only visit
            single_visit = rng.randint(7, 45) if persona == "new" else rng.randint(
                min(70, history_days - 4), max(min(70, history_days - 4), history_days - 4))
            since = as_of - timedelta(days=single_visit + rng.randint(1, 3), hours=rng.randint(0, 8))
        opted_out = None
        if persona != "first_timer" and rng.random() < OPTED_OUT_SHARE:
            opted_out = "all" if rng.random() < 0.3 else "marketing"
        # The demo needs lapsing regulars the retention agent may contact: guarantee the first few.
        force_marketing = persona == "lapsing" and opted_out is None and lapsing_with_marketing < 3
        lapsing_with_marketing += force_marketing
        profile = Profile(
            customer_id=customer_id,
            persona=persona,
            gender=gender,
            no_show_prone=persona not in ("first_timer", "lapsing") and rng.random() < NO_SHOW_PRONE_SHARE,
            late_canceller=persona not in ("first_timer", "lapsing") and rng.random() < LATE_CANCELLER_SHARE,
            preferred_part=rng.choices(("morning", "afternoon", "evening"), weights=(30, 35, 35))[0],
            opted_out=opted_out,
            single_visit_days_ago=single_visit if persona in ("new", "one_time") else None,
        )
        profiles[customer_id] = profile
        customers.append(Customer(
            id=customer_id,
            salon_id=salon_id,
            name=f"{first} {last}",
            phone=unique_phone(rng, taken_phones),
            email=_email(rng, first, last),
            language="hi" if rng.random() < HINDI_SHARE else "en",
            consent=_consent(rng, since, as_of, opted_out, force_marketing),
            created_at=since,
            updated_at=since,
        ))
    return customers, profiles


def pick_weighted(rng: random.Random, items: Sequence[str], weights: Sequence[float]) -> str | None:
    if not items or sum(weights) <= 0:
        return None
    return rng.choices(items, weights=weights)[0]
