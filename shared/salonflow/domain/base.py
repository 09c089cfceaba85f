"""The base model, field types and Firestore conversion every document model shares.

Conventions (see docs/schema.md):
- timestamps are timezone-aware and normalised to UTC; Firestore stores them as Timestamps (microseconds);
- date-only fields are `date` in Python and ISO strings ("2024-01-15") in Firestore, as the spec shows;
- local clock times ("10:00") are `time` in Python and "HH:MM" strings in Firestore;
- enums are stored as their string values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, StrictFloat, StrictInt

__all__ = [
    "DocId",
    "DomainModel",
    "E164Phone",
    "FirestoreDocument",
    "LocalTime",
    "Number",
    "OpenModel",
    "Percent",
    "Probability",
    "Timestamp",
    "from_firestore_value",
    "to_firestore_value",
]


def _utc(value: datetime) -> datetime:
    """Reject naive datetimes; return a plain `datetime` in UTC.

    Firestore hands back `DatetimeWithNanoseconds` (a datetime subclass); rebuilding a plain datetime keeps
    equality, hashing and `type(...)` predictable for callers. Firestore keeps microseconds, so nothing is lost.
    """
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("timestamp must be timezone-aware")
    plain = datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        tzinfo=value.tzinfo,
        fold=value.fold,
    )
    return plain.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]
"""A timezone-aware instant, normalised to UTC. Naive datetimes are rejected."""


def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("local clock times carry no timezone; the salon's timezone applies")
    if value.second or value.microsecond:
        raise ValueError("local clock times have minute precision (HH:MM)")
    return value


LocalTime = Annotated[
    time,
    AfterValidator(_local_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str, when_used="json"),
]
"""A wall-clock time in the salon's timezone, stored as "HH:MM"."""

_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_INDIA_NATIONAL = re.compile(r"^\+91[0-9]{10}$")


def _e164(value: str) -> str:
    if not _E164.match(value):
        raise ValueError("phone must be in E.164 form, e.g. +919876543210")
    if value.startswith("+91") and not _INDIA_NATIONAL.match(value):
        raise ValueError("an Indian (+91) number has exactly 10 digits after the country code")
    return value


E164Phone = Annotated[str, AfterValidator(_e164)]
"""A phone number in E.164 form ("+919876543210"); Indian numbers must have 10 national digits."""

_DOC_ID = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")


def _doc_id(value: str) -> str:
    if not _DOC_ID.match(value):
        raise ValueError("ids use 1-200 letters, digits, '_' or '-'")
    if value.startswith("__") and value.endswith("__"):
        raise ValueError("ids of the form __x__ are reserved by Firestore")
    return value


DocId = Annotated[str, AfterValidator(_doc_id)]
"""A Firestore document id we accept: letters, digits, '_' and '-', never a reserved `__x__` name."""

Number = StrictInt | StrictFloat
"""A JSON number that keeps its type: the spec's `10` stays an integer in Firestore, `0.95` a double."""
Percent = Annotated[Number, Field(ge=0, le=100)]
Probability = Annotated[Number, Field(ge=0, le=1)]


def to_firestore_value(value: Any) -> Any:
    """Convert a model dump into values the Firestore client stores as the spec shows."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Mapping):
        return {str(to_firestore_value(k)): to_firestore_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_firestore_value(v) for v in value]
    return value


def from_firestore_value(value: Any) -> Any:
    """Convert values read from Firestore into plain Python values models validate."""
    if isinstance(value, datetime):
        return _utc(value) if value.tzinfo is not None else value
    if isinstance(value, Mapping):
        return {k: from_firestore_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_firestore_value(v) for v in value]
    return value


class DomainModel(BaseModel):
    """Strict shape: unknown fields are rejected, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    def to_firestore(self) -> dict[str, Any]:
        """The document (or nested map) exactly as stored in Firestore."""
        result: dict[str, Any] = to_firestore_value(self.model_dump(mode="python"))
        return result

    @classmethod
    def from_firestore_map(cls, data: Mapping[str, Any]) -> Self:
        return cls.model_validate(from_firestore_value(data))

    def with_changes(self, **changes: Any) -> Self:
        """A validated copy with some fields replaced (unlike `model_copy(update=...)`, which skips validation)."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        if self.model_extra:
            values.update(self.model_extra)
        return type(self).model_validate({**values, **changes})


class OpenModel(DomainModel):
    """A map whose known keys are typed but which accepts extra keys (spec "details" maps vary per type)."""

    model_config = ConfigDict(extra="allow", validate_assignment=True, populate_by_name=True)


class FirestoreDocument(DomainModel):
    """A top-level document under `salons/{salon_id}/...`.

    `id` is the spec's `id` field. For most collections it equals the Firestore document id; where the spec keys
    the collection by something else (agent_states by agent name, customer_scores by customer id) the model
    overrides `document_id`.
    """

    id: DocId

    @property
    def document_id(self) -> str:
        """The Firestore document id this model is stored under."""
        return self.id

    @classmethod
    def default_id_for(cls, doc_id: str, data: Mapping[str, Any]) -> str:
        """The `id` to assume when a stored document lacks one."""
        return doc_id

    @classmethod
    def from_firestore(cls, doc_id: str, data: Mapping[str, Any]) -> Self:
        values = dict(data)
        values.setdefault("id", cls.default_id_for(doc_id, data))
        model = cls.model_validate(from_firestore_value(values))
        if model.document_id != doc_id:
            raise ValueError(
                f"{cls.__name__} stored as {doc_id!r} describes document {model.document_id!r}"
            )
        return model
