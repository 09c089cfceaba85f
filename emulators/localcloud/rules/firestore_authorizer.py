"""Security rules behind the Firestore emulator's ``Authorizer`` seam (``localcloud.firestore.auth``).

The emulator parses the caller (``Bearer owner`` = admin, which never reaches an authorizer; another bearer
token = unsigned JWT claims; none = unauthenticated) and asks its authorizer about every get, query,
listener target and write, with raw protobuf documents and queries. This module turns such an ``Access``
into a :class:`RulesOperation`, decides it with the loaded :class:`Ruleset` and raises Firestore's
``PERMISSION_DENIED`` when the rules do not allow it.

Rules can be replaced while the emulator runs (``PUT /emulator/v1/projects/{p}:securityRules``); a file
that does not parse raises :class:`RulesSyntaxError` (line, column) and the previous rules stay in force.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from localcloud.firestore import errors
from localcloud.firestore.auth import PERMISSION_DENIED_MESSAGE, Access, AllowAll, Authorizer
from localcloud.rules.engine import Constraint, Decision, QueryInfo, Ruleset, RulesOperation
from localcloud.rules.parser import RulesSyntaxError
from localcloud.rules.protobuf import from_firestore_fields, from_firestore_value

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIELD_OPS = {
    "EQUAL": "==",
    "NOT_EQUAL": "!=",
    "LESS_THAN": "<",
    "LESS_THAN_OR_EQUAL": "<=",
    "GREATER_THAN": ">",
    "GREATER_THAN_OR_EQUAL": ">=",
    "IN": "in",
    "NOT_IN": "not-in",
    "ARRAY_CONTAINS": "array-contains",
    "ARRAY_CONTAINS_ANY": "array-contains-any",
}


class RulesAuthorizer:
    """An ``Authorizer`` that enforces a Firestore Security Rules file."""

    def __init__(self, ruleset: Ruleset) -> None:
        self._ruleset = ruleset
        self._lock = threading.Lock()

    @staticmethod
    def from_file(path: str | Path) -> RulesAuthorizer:
        return RulesAuthorizer(Ruleset.parse(Path(path).read_text(encoding="utf-8")))

    @property
    def ruleset(self) -> Ruleset:
        return self._ruleset

    def replace_rules(self, source: str) -> Ruleset:
        """Parse and install new rules; on a syntax error raise it and keep the current rules."""
        ruleset = Ruleset.parse(source)
        with self._lock:
            self._ruleset = ruleset
        return ruleset

    def replace_from_request_body(self, body: bytes | str | Mapping[str, Any]) -> Ruleset:
        """Install the rules of a ``PUT /emulator/v1/projects/{p}:securityRules`` body.

        Google's body shape: ``{"rules": {"files": [{"name": "firestore.rules", "content": "..."}]}}``.
        """
        return self.replace_rules(rules_source_from_body(body))

    # -- the Authorizer protocol -------------------------------------------------------------------
    def authorize(self, access: Access) -> None:
        decision = self.decide(access)
        if not decision.allowed:
            raise errors.FirestoreError("PERMISSION_DENIED", f"{PERMISSION_DENIED_MESSAGE} ({decision.reason})")

    def authorize_batch(self, accesses: Sequence[Access]) -> None:
        """Decide the writes of one commit together: they share Google's 20 access-call budget."""
        if not accesses:
            return
        operations = [operation_from_access(access) for access in accesses]
        data = _Lookup(accesses[0])
        decisions = self._ruleset.authorize_all([op for op in operations if op is not None], data)
        if any(op is None for op in operations):
            raise errors.FirestoreError("PERMISSION_DENIED", PERMISSION_DENIED_MESSAGE)
        for decision in decisions:
            if not decision.allowed:
                raise errors.FirestoreError("PERMISSION_DENIED", f"{PERMISSION_DENIED_MESSAGE} ({decision.reason})")

    def decide(self, access: Access) -> Decision:
        operation = operation_from_access(access)
        if operation is None:
            return Decision(False, f"{access.method} of {access.path} is not available to clients")
        return self._ruleset.authorize(operation, _Lookup(access))


def make_authorizer(rules_path: str | None) -> Authorizer:
    """``--rules FILE``: enforce the file's rules; without a file everything is allowed (as before)."""
    if rules_path is None:
        return AllowAll()
    return RulesAuthorizer.from_file(rules_path)


def rules_source_from_body(body: bytes | str | Mapping[str, Any]) -> str:
    payload: Any = json.loads(body) if isinstance(body, bytes | str) else body
    files = payload.get("rules", {}).get("files") if isinstance(payload, Mapping) else None
    if not isinstance(files, list) or not files:
        raise RulesSyntaxError('body must be {"rules": {"files": [{"name": ..., "content": ...}]}}', 1, 1)
    content = files[0].get("content") if isinstance(files[0], Mapping) else None
    if not isinstance(content, str):
        raise RulesSyntaxError("rules file content must be a string", 1, 1)
    return content


# -- Access -> RulesOperation ---------------------------------------------------------------------------
def _database_parts(database: str) -> tuple[str, str]:
    """``projects/p/databases/d`` -> (``projects/p/databases/d/documents``, ``d``)."""
    root = database if database.endswith("/documents") else f"{database}/documents"
    segments = root.split("/")
    return root, segments[3] if len(segments) > 3 else "(default)"


def _relative(root: str, name: str) -> str:
    if name == root:
        return ""
    prefix = root + "/"
    if not name.startswith(prefix):
        raise ValueError(f"{name!r} is not inside {root!r}")
    return name[len(prefix) :]


def _fields(document: Any) -> dict[str, Any] | None:
    if document is None:
        return None
    if isinstance(document, Mapping):
        return dict(document)
    return from_firestore_fields(document.fields)


def _auth(access: Access) -> dict[str, Any] | None:
    caller = access.caller
    if caller.kind != "user":
        return None
    return {"uid": caller.uid, "token": dict(caller.claims)}


def operation_from_access(access: Access) -> RulesOperation | None:
    """The rules request for one emulator access, or ``None`` for requests no client rule can allow."""
    root, database_id = _database_parts(access.database)
    relative = _relative(root, access.path)
    segments = [segment for segment in relative.split("/") if segment]
    moment = EPOCH + timedelta(microseconds=access.time_micros)
    auth = _auth(access)
    if access.method != "list":
        return RulesOperation(
            method=access.method,
            path=relative,
            time=moment,
            auth=auth,
            resource=_fields(access.resource),
            request_resource=_fields(access.request_resource),
            database=database_id,
        )
    query = access.query
    if len(segments) % 2 == 1:  # a collection: parent + collection id
        parent, collection = "/".join(segments[:-1]), segments[-1]
    elif query is not None and len(query.from_) == 1:  # a parent document (or the root) and the query's collection
        parent, collection = "/".join(segments), query.from_[0].collection_id
    else:
        return None  # listing collection ids, or a query over several collections
    info = query_info(query, collection) if query is not None else QueryInfo(collection)
    return RulesOperation(method="list", path=parent, time=moment, auth=auth, query=info, database=database_id)


def query_info(query: Any, collection: str) -> QueryInfo:
    """Constraints, limit, offset and order of a ``StructuredQuery`` protobuf."""
    sources = query.from_
    all_descendants = bool(sources[0].all_descendants) if len(sources) == 1 else False
    constraints = tuple(_constraints(query.where)) if query.HasField("where") else ()
    order_by = tuple(
        (order.field.field_path, "DESC" if order.direction == type(query).DESCENDING else "ASC") for order in query.order_by
    )
    return QueryInfo(
        collection_id=collection,
        all_descendants=all_descendants,
        constraints=constraints,
        limit=query.limit.value if query.HasField("limit") else None,
        offset=query.offset or None,
        order_by=order_by,
    )


def _constraints(where: Any) -> Iterable[Constraint]:
    """The top-level AND conjuncts; a disjunction (OR) proves nothing and contributes no constraint."""
    kind = where.WhichOneof("filter_type")
    if kind == "composite_filter":
        composite = where.composite_filter
        if composite.op == composite.AND:
            for inner in composite.filters:
                yield from _constraints(inner)
        return
    if kind == "field_filter":
        field_filter = where.field_filter
        op = _FIELD_OPS.get(field_filter.Operator.Name(field_filter.op))
        if op is not None:
            yield Constraint(field_filter.field.field_path, op, from_firestore_value(field_filter.value))
        return
    if kind == "unary_filter":
        unary = where.unary_filter
        if unary.Operator.Name(unary.op) == "IS_NULL":
            yield Constraint(unary.field.field_path, "==", None)


class _Lookup:
    """``DataAccess`` over the emulator's ``DataLookup`` (full names, protobuf documents)."""

    def __init__(self, access: Access) -> None:
        self._root = _database_parts(access.database)[0]
        self._data = access.data

    def get(self, path: str) -> dict[str, Any] | None:
        return None if self._data is None else _fields(self._data.get(f"{self._root}/{path}"))

    def get_after(self, path: str) -> dict[str, Any] | None:
        return None if self._data is None else _fields(self._data.get_after(f"{self._root}/{path}"))
