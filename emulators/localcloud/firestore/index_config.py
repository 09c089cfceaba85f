"""The indexes a ``firestore.indexes.json`` declares, as the emulator's index enforcement reads them.

The file is the one the Firebase CLI deploys (``firebase deploy --only firestore:indexes``):

- ``indexes``: composite indexes, each ``{collectionGroup, queryScope, fields: [{fieldPath, order |
  arrayConfig | vectorConfig}]}``. Firestore appends ``__name__`` to an index that does not end with it,
  in the direction of the last field (ascending after an array or vector field), so we do the same:
  an index then serves exactly the orderings it would in production.
- ``fieldOverrides``: single-field index exemptions, ``{collectionGroup, fieldPath, indexes: [{order |
  arrayConfig, queryScope}]}``. An override *replaces* the automatic single-field indexes of that field
  (``"indexes": []`` disables them all); a map field's override also governs its subfields unless a
  subfield has its own; ``fieldPath`` ``*`` covers every field of the collection group.

Without an override every field has the automatic single-field indexes Firestore creates: ascending,
descending and array-contains, with collection scope only (collection-group scope is off by default).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.firestore.paths import InvalidPathError, parse_field_path

Segments = tuple[str, ...]

ASCENDING = "ASCENDING"
DESCENDING = "DESCENDING"
CONTAINS = "CONTAINS"
VECTOR = "VECTOR"
COLLECTION = "COLLECTION"
COLLECTION_GROUP = "COLLECTION_GROUP"
NAME: Segments = ("__name__",)

_SCOPES = (COLLECTION, COLLECTION_GROUP)
_AUTOMATIC = frozenset({(COLLECTION, ASCENDING), (COLLECTION, DESCENDING), (COLLECTION, CONTAINS)})
# Indexes for Datastore-mode queries only never serve a Firestore query.
_FIRESTORE_API_SCOPES = (None, "ANY_API")


class IndexFileError(ValueError):
    """``firestore.indexes.json`` is not in the shape the Firebase CLI deploys."""


@dataclass(frozen=True)
class IndexField:
    path: Segments
    mode: str  # ASCENDING, DESCENDING, CONTAINS or VECTOR
    dimension: int = 0  # VECTOR only

    @property
    def is_name(self) -> bool:
        return self.path == NAME


@dataclass(frozen=True)
class CompositeIndex:
    collection_group: str
    scope: str
    fields: tuple[IndexField, ...]  # as declared, ``__name__`` appended unless the index ends with one


@dataclass(frozen=True)
class IndexConfig:
    composites: tuple[CompositeIndex, ...]
    # (collection group, field path or None for "*") -> the (scope, mode) single-field indexes enabled
    overrides: dict[tuple[str, Segments | None], frozenset[tuple[str, str]]]

    @classmethod
    def load(cls, path: Path) -> IndexConfig:
        try:
            document = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise IndexFileError(f"{path}: not JSON ({exc})") from None
        try:
            return cls.parse(document)
        except IndexFileError as exc:
            raise IndexFileError(f"{path}: {exc}") from None

    @classmethod
    def parse(cls, document: Any) -> IndexConfig:
        if not isinstance(document, dict):
            raise IndexFileError("expected an object with 'indexes' and 'fieldOverrides'")
        parsed = [_composite(entry, number) for number, entry in enumerate(document.get("indexes", []))]
        composites = tuple(index for index, api_scope in parsed if api_scope in _FIRESTORE_API_SCOPES)
        overrides: dict[tuple[str, Segments | None], frozenset[tuple[str, str]]] = {}
        for number, entry in enumerate(document.get("fieldOverrides", [])):
            where = f"fieldOverrides[{number}]"
            group = _required_string(entry, "collectionGroup", where)
            raw_path = _required_string(entry, "fieldPath", where)
            key = (group, None if raw_path == "*" else _segments(raw_path, where))
            overrides[key] = frozenset(_single_field(item, where) for item in entry.get("indexes", []))
        return cls(composites, overrides)

    def composites_for(self, collection_group: str, scope: str) -> list[CompositeIndex]:
        return [
            index
            for index in self.composites
            if index.collection_group == collection_group and index.scope == scope
        ]

    def single_field_enabled(self, collection_group: str, path: Segments, scope: str, mode: str) -> bool:
        """Whether the single-field index (scope, mode) of ``path`` exists: the nearest override (the
        field itself, then each enclosing map, then ``*``) decides, else the automatic settings."""
        for length in range(len(path), 0, -1):
            enabled = self.overrides.get((collection_group, path[:length]))
            if enabled is not None:
                return (scope, mode) in enabled
        enabled = self.overrides.get((collection_group, None))
        return (scope, mode) in (_AUTOMATIC if enabled is None else enabled)


def _required_string(entry: Any, key: str, where: str) -> str:
    value = entry.get(key) if isinstance(entry, dict) else None
    if not isinstance(value, str) or not value:
        raise IndexFileError(f"{where}: '{key}' must be a non-empty string")
    return value


def _segments(raw_path: str, where: str) -> Segments:
    try:
        return parse_field_path(raw_path)
    except InvalidPathError as exc:
        raise IndexFileError(f"{where}: {exc}") from None


def _scope(entry: Any, where: str) -> str:
    scope = entry.get("queryScope", COLLECTION)
    if scope not in _SCOPES:
        raise IndexFileError(f"{where}: queryScope must be COLLECTION or COLLECTION_GROUP, not {scope!r}")
    return str(scope)


def _mode(entry: Any, where: str) -> tuple[str, int]:
    """(mode, vector dimension) of one field of an index: exactly one of order, arrayConfig, vectorConfig."""
    given = [key for key in ("order", "arrayConfig", "vectorConfig") if key in entry]
    if len(given) != 1:
        raise IndexFileError(f"{where}: needs exactly one of order, arrayConfig, vectorConfig")
    if given == ["order"] and entry["order"] in (ASCENDING, DESCENDING):
        return str(entry["order"]), 0
    if given == ["arrayConfig"] and entry["arrayConfig"] == CONTAINS:
        return CONTAINS, 0
    if given == ["vectorConfig"]:
        dimension = (
            entry["vectorConfig"].get("dimension") if isinstance(entry["vectorConfig"], dict) else None
        )
        if isinstance(dimension, int) and dimension > 0:
            return VECTOR, dimension
        raise IndexFileError(f"{where}: vectorConfig needs a positive 'dimension'")
    raise IndexFileError(f"{where}: unknown {given[0]} {entry[given[0]]!r}")


def _composite(entry: Any, number: int) -> tuple[CompositeIndex, str | None]:
    """The index and its apiScope."""
    where = f"indexes[{number}]"
    group = _required_string(entry, "collectionGroup", where)
    raw_fields = entry.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise IndexFileError(f"{where}: 'fields' must be a non-empty list")
    fields: list[IndexField] = []
    for position, raw in enumerate(raw_fields):
        field_where = f"{where}.fields[{position}]"
        mode, dimension = _mode(raw, field_where)
        fields.append(
            IndexField(
                _segments(_required_string(raw, "fieldPath", field_where), field_where), mode, dimension
            )
        )
    if not fields[-1].is_name:
        last = fields[-1].mode
        fields.append(IndexField(NAME, last if last in (ASCENDING, DESCENDING) else ASCENDING))
    return CompositeIndex(group, _scope(entry, where), tuple(fields)), entry.get("apiScope")


def _single_field(entry: Any, where: str) -> tuple[str, str]:
    mode, _dimension = _mode(entry, where)
    if mode == VECTOR:
        raise IndexFileError(f"{where}: vector indexes are composite indexes, not field overrides")
    return _scope(entry, where), mode
