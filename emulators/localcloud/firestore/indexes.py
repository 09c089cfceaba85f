"""Composite-index enforcement (``--indexes firestore.indexes.json``): a query that no declared or
automatic index can serve fails with FAILED_PRECONDITION and Firestore's own message, as in production.

Google's emulator runs every query, so code that passes locally can fail in production for a missing
index; with ``--indexes`` ours refuses it first. Without the flag nothing here runs.

A ``Requirement`` (``index_requirements``) is served when:

- it has no equality and its ordering is ``__name__`` alone: the built-in document-name index;
- it is one field's single-field index — ``(f, __name__)`` ordered the same way, or an equality on ``f``
  ordered by ``__name__`` — and that index is enabled (automatic: collection scope ascending, descending
  and array-contains; ``fieldOverrides`` change that);
- a declared composite index of its collection group and scope ends with exactly its ordering and holds
  exactly its equality fields before that (in any order and, for equalities, any direction);
- or, index merging: several such indexes (single-field ones included) whose equality fields together are
  the requirement's — Firestore merges indexes that share the ordering ("For queries with multiple equality
  clauses and, optionally, an orderBy clause, Firestore can re-use existing indexes").

A vector requirement needs a declared index with a vector field of the query's dimension after exactly the
pre-filter fields.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

from localcloud.firestore import errors
from localcloud.firestore import query as query_engine
from localcloud.firestore.index_config import (
    ASCENDING,
    CONTAINS,
    DESCENDING,
    VECTOR,
    CompositeIndex,
    IndexConfig,
    IndexField,
)
from localcloud.firestore.index_requirements import Requirement, requirements
from localcloud.firestore.paths import format_field_path

MULTIPLE_RANGE_FIELDS_HINT = (
    " .\nThe query contains range and inequality filters on multiple fields, please refer to the"
    " documentation for index selection best practices:"
    " https://cloud.google.com/firestore/docs/query-data/multiple-range-fields."
)
_CACHE_LIMIT = 4096


def _key(field: IndexField) -> IndexField:
    """What an index field contributes to equalities: either direction serves an equality."""
    return IndexField(field.path, CONTAINS if field.mode == CONTAINS else ASCENDING)


def _single_field_shape(requirement: Requirement) -> IndexField | None:
    """The one single-field index that would serve ``requirement``, if it is of that shape."""
    equalities, ordering = requirement.equalities, requirement.ordering
    if requirement.vector is not None or len(equalities) + len(ordering) != 2:
        return None
    name = ordering[-1]
    if not equalities:
        field = ordering[0]
        return field if field.mode == name.mode else None
    (field,) = equalities
    if field.mode == CONTAINS:
        return field if name.mode == ASCENDING else None  # array-contains entries ascend by __name__
    return IndexField(field.path, name.mode)


def _merge_parts(config: IndexConfig, requirement: Requirement) -> list[tuple[frozenset[IndexField], Any]]:
    """Every index that can take part in serving ``requirement``: (equalities it fixes, the index —
    a declared ``CompositeIndex`` or a single-field ``IndexField``)."""
    wanted = set(requirement.equalities)
    ordering = requirement.ordering
    parts: list[tuple[frozenset[IndexField], Any]] = []
    for index in config.composites_for(requirement.collection_group, requirement.scope):
        fields = index.fields
        if len(fields) < len(ordering) or fields[len(fields) - len(ordering) :] != ordering:
            continue
        if any(field.mode == VECTOR for field in fields):
            continue  # a vector index serves nearest-neighbour searches only
        head = [_key(field) for field in fields[: len(fields) - len(ordering)]]
        if len(set(head)) == len(head) and set(head) <= wanted:
            parts.append((frozenset(head), index))
    if len(ordering) == 1:  # each equality's own single-field index, ordered by __name__
        for field in requirement.equalities:
            own = _single_field_shape(
                Requirement(requirement.collection_group, requirement.scope, (field,), ordering)
            )
            if own is not None and _enabled(config, requirement, own):
                parts.append((frozenset({field}), own))
    elif not requirement.equalities:  # one field ordered, e.g. a range or orderBy on it alone
        own = _single_field_shape(requirement)
        if own is not None and _enabled(config, requirement, own):
            parts.append((frozenset(), own))
    return parts


def _enabled(config: IndexConfig, requirement: Requirement, field: IndexField) -> bool:
    return config.single_field_enabled(
        requirement.collection_group, field.path, requirement.scope, field.mode
    )


def _vector_served(config: IndexConfig, requirement: Requirement) -> list[CompositeIndex]:
    assert requirement.vector is not None
    wanted = set(requirement.equalities)
    found = []
    for index in config.composites_for(requirement.collection_group, requirement.scope):
        vectors = [field for field in index.fields if field.mode == VECTOR]
        others = [_key(field) for field in index.fields if field.mode != VECTOR and not field.is_name]
        if vectors == [requirement.vector] and set(others) == wanted and len(others) == len(wanted):
            found.append(index)
    return found


def serving(config: IndexConfig, requirement: Requirement) -> list[Any] | None:
    """The indexes that serve ``requirement`` (empty for the built-in name index), or None if none can.

    An exact index is preferred to a merge, as Firestore's planner does; a merge reports all its parts.
    """
    if requirement.vector is not None:
        return _vector_served(config, requirement) or None
    if not requirement.equalities and len(requirement.ordering) == 1:
        return []
    parts = _merge_parts(config, requirement)
    wanted = frozenset(requirement.equalities)
    exact = [index for fixed, index in parts if fixed == wanted]
    if exact:
        return exact
    covered: set[IndexField] = set()
    for fixed, _index in parts:
        covered |= fixed
    return [index for _fixed, index in parts] if wanted and covered == wanted else None


# ---------------------------------------------------------------------------------------------------------
# Firestore's refusal


def _console(database: str) -> str:
    _, project, _, database_id = database.split("/")[:4]
    base = f"https://console.firebase.google.com/v1/r/project/{project}/firestore"
    return f"{base}/indexes" if database_id == "(default)" else f"{base}/databases/{database_id}/indexes"


def _encoded_index(name: str, scope: str, fields: tuple[IndexField, ...]) -> str:
    """A ``google.firestore.admin.v1.Index`` as the console link carries it: base64url, no padding."""
    # Imported here: the admin package costs ~0.2 s to import and only a refusal needs it.
    from google.cloud.firestore_admin_v1.types import index as admin

    entries: list[dict[str, Any]] = []
    for field in fields:
        entry: dict[str, Any] = {"field_path": format_field_path(field.path)}
        if field.mode == CONTAINS:
            entry["array_config"] = "CONTAINS"
        elif field.mode == VECTOR:
            entry["vector_config"] = {"dimension": field.dimension, "flat": {}}
        else:
            entry["order"] = field.mode
        entries.append(entry)
    message = admin.Index(name=name, query_scope=scope, fields=entries)
    return base64.urlsafe_b64encode(admin.Index.serialize(message)).decode().rstrip("=")


def _vector_message(database: str, requirement: Requirement) -> str:
    project = database.split("/")[1]
    configs = []
    for field in requirement.suggested:
        path = format_field_path(field.path)
        if field.mode == VECTOR:
            config = f'vector-config=\'{{"dimension":"{field.dimension}","flat": "{{}}"}}\''
        elif field.mode == CONTAINS:
            config = "array-config=CONTAINS"
        else:
            config = f"order={field.mode}"
        configs.append(f"--field-config={config},field-path={path}")
    return (
        "Missing vector index configuration. Please create the required index with the following gcloud "
        f"command: gcloud firestore indexes composite create --project={project} "
        f"--collection-group={requirement.collection_group} --query-scope={requirement.scope} "
        + " ".join(configs)
    )


def missing_index_message(database: str, requirement: Requirement) -> str:
    """Firestore's FAILED_PRECONDITION text for ``requirement`` on ``database`` (projects/p/databases/d)."""
    if requirement.vector is not None:
        return _vector_message(database, requirement)
    group = requirement.collection_group
    single = _single_field_shape(requirement)
    if single is not None:
        path = format_field_path(single.path)
        kind = {ASCENDING: "ASC", DESCENDING: "DESC", CONTAINS: "CONTAINS"}[single.mode]
        link = _encoded_index(
            f"{database}/collectionGroups/{group}/fields/{path}", requirement.scope, (single,)
        )
        return (
            f"The query requires a {requirement.scope}_{kind} index for collection {group} and field {path}. "
            f"You can create it here: {_console(database)}?create_exemption={link}"
        )
    link = _encoded_index(
        f"{database}/collectionGroups/{group}/indexes/_", requirement.scope, requirement.suggested
    )
    message = (
        f"The query requires an index. You can create it here: {_console(database)}?create_composite={link}"
    )
    return message + (MULTIPLE_RANGE_FIELDS_HINT if requirement.multiple_inequalities else "")


# ---------------------------------------------------------------------------------------------------------
# The hook the service calls


_WINDOW_FIELDS = ("start_at", "end_at", "offset", "limit", "select")


def _cache_key(query: Any, aggregation: Any | None) -> bytes:
    """The query's bytes without cursors, offset, limit and projection: they never change the index, and
    leaving them out lets every page of a paged query (and each listener re-read) hit the cache. Tagged so
    that a query and an aggregation never share an answer."""
    shape = type(query)()
    shape.CopyFrom(query)
    for name in _WINDOW_FIELDS:
        shape.ClearField(name)
    key = b"q" + shape.SerializeToString(deterministic=True)
    if aggregation is not None:
        kinds = [
            (item.WhichOneof("operator"), getattr(item, item.WhichOneof("operator") or "count"))
            for item in aggregation.aggregations
        ]
        fields = [f"{kind}:{spec.field.field_path if kind in ('sum', 'avg') else ''}" for kind, spec in kinds]
        key = b"a" + "|".join(fields).encode() + key
    return key


class IndexEnforcer:
    """Checks queries against one index file; answers are cached by the query's bytes (the file is fixed)."""

    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._unserved: dict[bytes, Requirement | None] = {}

    def unserved(self, query: Any, aggregation: Any | None = None) -> Requirement | None:
        """The first requirement of the query that no index serves, or None when it can run."""
        key = _cache_key(query, aggregation)
        with self._lock:
            if key in self._unserved:
                return self._unserved[key]
        if aggregation is not None:
            try:
                query_engine.validate_aggregation(aggregation)
            except query_engine.QueryError:
                return None  # invalid: the engine answers INVALID_ARGUMENT, as Firestore does first
        missing = next(
            (need for need in requirements(query, aggregation) if serving(self.config, need) is None), None
        )
        with self._lock:
            if len(self._unserved) >= _CACHE_LIMIT:
                self._unserved.clear()
            self._unserved[key] = missing
        return missing

    def require(self, database: str, query: Any, aggregation: Any | None = None) -> None:
        """Raise Firestore's FAILED_PRECONDITION when the query needs an index the file does not provide."""
        missing = self.unserved(query, aggregation)
        if missing is not None:
            raise errors.failed_precondition(missing_index_message(database, missing))
