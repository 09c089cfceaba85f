"""docs/schema.md documents every field of every model, in the section of its collection."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from salonflow.domain import (
    AgentState,
    Approval,
    AuditLog,
    AutonomousDecision,
    Booking,
    Customer,
    CustomerScore,
    Gap,
    Outreach,
    Salon,
    Service,
    Staff,
    TimeRange,
    WaitlistEntry,
)
from salonflow.domain.autonomy_standing import AutonomyStanding

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "schema.md"
SECTIONS: dict[str, type[BaseModel]] = {
    "### autonomous_decisions": AutonomousDecision,
    "### agent_states": AgentState,
    "### approvals": Approval,
    "### audit_logs": AuditLog,
    "### customer_scores": CustomerScore,
    "### gaps": Gap,
    "### outreach": Outreach,
    "### Salon settings": Salon,
    "### staff": Staff,
    "### services": Service,
    "### customers": Customer,
    "### bookings": Booking,
    "### waitlist": WaitlistEntry,
    "### autonomy_standings": AutonomyStanding,
}


def nested_models(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for argument in typing.get_args(annotation):
        yield from nested_models(argument)


def field_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Leaf field paths; a nested map is documented through its leaves. Wall-clock ranges ({start, end}) are
    documented as one value, like a type."""
    for name, field in model.model_fields.items():
        path = prefix + name
        inner_models = [m for m in nested_models(field.annotation) if m is not TimeRange]
        if not inner_models:
            yield path
        for inner in inner_models:
            yield from field_paths(inner, path + ".")


def section(heading: str) -> str:
    text = SCHEMA.read_text()
    start = text.index(heading + " ")
    end = text.find("\n### ", start + 1)
    following = text.find("\n## ", start + 1)
    ends = [i for i in (end, following) if i != -1]
    return text[start : min(ends)] if ends else text[start:]


@pytest.mark.parametrize("heading", list(SECTIONS))
def test_every_field_of_the_model_is_documented_in_its_section(heading: str) -> None:
    body = section(heading)
    missing = [path for path in field_paths(SECTIONS[heading]) if f"`{path}`" not in body]
    assert missing == []


def test_the_schema_leaves_a_governance_section_at_the_end() -> None:
    assert "\n## Governance collections" in SCHEMA.read_text()
