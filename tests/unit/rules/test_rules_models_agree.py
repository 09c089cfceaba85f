"""Every write firestore.rules lets a client make produces a document the domain models accept.

The rules and the pydantic models (shared/salonflow/domain) describe the same documents twice; this keeps them
from drifting: a field the models reject must not get past the rules either.
"""

from __future__ import annotations

from typing import Any

import pytest
from rules_fixtures import SalonData
from salonflow.domain import Approval, Booking, Customer, Salon, Service, Staff, WaitlistEntry
from test_rules_attack_matrix import ALL_CASES, RULES, Case

MODELS: dict[str, Any] = {
    "staff": Staff,
    "services": Service,
    "customers": Customer,
    "bookings": Booking,
    "waitlist": WaitlistEntry,
    "approvals": Approval,
}


def model_for(path: str) -> Any:
    segments = path.split("/")
    if len(segments) == 2 and segments[0] == "salons":
        return Salon
    if len(segments) == 4 and segments[0] == "salons":
        return MODELS.get(segments[2])
    return None


ALLOWED_WRITES = [
    case
    for case in ALL_CASES
    if case.allowed and case.operation.method in ("create", "update") and model_for(case.operation.path) is not None
]


def test_every_operational_collection_has_allowed_writes_checked() -> None:
    covered = {case.operation.path.split("/")[2] if case.operation.path.count("/") == 3 else "salon" for case in ALLOWED_WRITES}
    assert covered == {"salon", "staff", "services", "customers", "bookings", "waitlist", "approvals"}


@pytest.mark.parametrize("case", ALLOWED_WRITES, ids=[case.name for case in ALLOWED_WRITES])
def test_an_allowed_write_is_a_valid_document(case: Case) -> None:
    assert RULES.authorize(case.operation, SalonData()).allowed
    data = dict(case.operation.request_resource or {})
    model = model_for(case.operation.path)
    model.from_firestore_map(data)
