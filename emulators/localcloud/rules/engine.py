"""Deciding requests: match the document path, evaluate the ``allow`` statements that apply.

A request is allowed when at least one ``allow`` statement for its method, in any ``match`` block whose
pattern matches the whole document path, has a condition that evaluates to ``true``. Everything else,
including conditions that error, is denied.

List queries (``method == "list"``) are decided for every document the query could return, without reading
any: the document id is unknown, a collection-group query's parent path is unknown (only a recursive
wildcard can match it), and ``resource.data`` knows only the fields pinned by the query's ``==`` and ``in``
constraints (an ``in`` constraint is decided once per listed value; all must be allowed).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localcloud.rules import ast
from localcloud.rules.evaluator import (
    AccessBudget,
    Context,
    DataAccess,
    Evaluator,
    NoData,
    Scope,
    SymbolicMap,
    SymbolicResource,
)
from localcloud.rules.parser import parse
from localcloud.rules.values import AccessLimitError, Path, RulesEvalError, Unknown

METHODS = ("get", "list", "create", "update", "delete")
SINGLE_DOCUMENT_LIMIT = 10
MULTI_DOCUMENT_LIMIT = 20
MAX_IN_COMBINATIONS = 100


@dataclass(frozen=True, slots=True)
class Constraint:
    """One conjunct of a query's filter: ``field_path op value`` (ops as in the SDKs: ==, in, <, ...)."""

    field_path: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class QueryInfo:
    collection_id: str
    all_descendants: bool = False
    constraints: tuple[Constraint, ...] = ()
    limit: int | None = None
    offset: int | None = None
    order_by: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RulesOperation:
    """One request to authorize.

    ``path`` is relative to ``/databases/{database}/documents``: the document for get/create/update/delete,
    the parent (``""`` for the root) of the queried collection for list. ``auth`` is ``None`` or
    ``{"uid": ..., "token": {...claims}}``. ``resource`` is the stored document's fields (``None`` when it
    does not exist); ``request_resource`` the fields the document would have after a create or update.
    """

    method: str
    path: str
    time: datetime
    auth: Mapping[str, Any] | None = None
    resource: Mapping[str, Any] | None = None
    request_resource: Mapping[str, Any] | None = None
    query: QueryInfo | None = None
    database: str = "(default)"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    debug: tuple[str, ...] = field(default=())


class _AnySegments:
    """Zero or more unknown path segments: the part a collection-group query leaves open."""

    def __repr__(self) -> str:
        return "<any segments>"


ANY_SEGMENTS = _AnySegments()
PathItem = str | Unknown | _AnySegments


@dataclass(frozen=True, slots=True)
class _Applicable:
    match_chain: tuple[ast.Match, ...]
    bindings: tuple[dict[str, Any], ...]


class Ruleset:
    """A parsed rules file, ready to authorize requests. Parse once, authorize many times."""

    def __init__(self, rules: ast.RulesFile, source: str) -> None:
        self.rules = rules
        self.source = source
        # Version 1 recursive wildcards match one or more segments, version 2 zero or more.
        self.min_recursive = 1 if rules.version == "1" else 0
        services = [service for service in rules.services if service.name == "cloud.firestore"]
        self.service = services[0] if services else None

    @staticmethod
    def parse(source: str) -> Ruleset:
        """Parse rules text; raises :class:`RulesSyntaxError` with line and column."""
        return Ruleset(parse(source), source)

    # -- public API ----------------------------------------------------------------------------------
    def authorize(self, operation: RulesOperation, data: DataAccess | None = None) -> Decision:
        """Decide a single-document request or a query (access-call limit 10)."""
        budget = AccessBudget(per_operation=SINGLE_DOCUMENT_LIMIT, per_request=SINGLE_DOCUMENT_LIMIT)
        return self._authorize(operation, data or NoData(), budget)

    def authorize_all(self, operations: Sequence[RulesOperation], data: DataAccess | None = None) -> list[Decision]:
        """Decide the operations of one batch, transaction or multi-document read.

        They share an access-call limit of 20 (each one still at most 10); the request as a whole is allowed
        only if every decision is.
        """
        budget = AccessBudget(per_operation=SINGLE_DOCUMENT_LIMIT, per_request=MULTI_DOCUMENT_LIMIT)
        source = data or NoData()
        return [self._authorize(operation, source, budget) for operation in operations]

    # -- implementation --------------------------------------------------------------------------------
    def _authorize(self, operation: RulesOperation, data: DataAccess, budget: AccessBudget) -> Decision:
        if operation.method not in METHODS:
            return Decision(False, f"unknown method {operation.method!r}")
        if self.service is None:
            return Decision(False, "no 'service cloud.firestore' block: everything is denied")
        if operation.method == "list" and operation.query is None:
            return Decision(False, "a list request needs its query")
        items = self._path_items(operation)
        applicable = list(self._applicable(items, operation.method))
        if not applicable:
            return Decision(False, f"no allow {operation.method} statement matches {self._describe(operation)}")
        context = Context(database=operation.database, data=data, budget=budget)
        failures: list[str] = []
        for candidate in applicable:
            for allow in self._allows(candidate.match_chain[-1], operation.method):
                verdict = self._evaluate_allow(allow, candidate, operation, context)
                if context.limit_exceeded:
                    return Decision(False, "denied: too many get()/exists() calls", tuple(context.debug))
                if verdict is None:
                    return Decision(True, f"allowed by line {allow.line}: {allow.text}", tuple(context.debug))
                failures.append(f"line {allow.line}: {verdict}")
        return Decision(False, "denied: " + "; ".join(failures), tuple(context.debug))

    @staticmethod
    def _describe(operation: RulesOperation) -> str:
        if operation.query is not None:
            scope = "collection group" if operation.query.all_descendants else "collection"
            return f"{scope} {operation.query.collection_id!r} under /{operation.path}"
        return f"/{operation.path}"

    @staticmethod
    def _allows(match: ast.Match, method: str) -> Iterator[ast.Allow]:
        return (allow for allow in match.allows if method in allow.methods)

    def _path_items(self, operation: RulesOperation) -> list[PathItem]:
        items: list[PathItem] = ["databases", operation.database, "documents"]
        items.extend(segment for segment in operation.path.split("/") if segment)
        query = operation.query
        if operation.method == "list" and query is not None:
            if query.all_descendants:
                items.append(ANY_SEGMENTS)
            items.append(query.collection_id)
            items.append(Unknown("document id"))
        return items

    def _applicable(self, items: list[PathItem], method: str) -> Iterator[_Applicable]:
        assert self.service is not None
        for match in self.service.matches:
            yield from self._walk(match, items, 0, (), ())

    def _walk(
        self,
        match: ast.Match,
        items: list[PathItem],
        position: int,
        chain: tuple[ast.Match, ...],
        bindings: tuple[dict[str, Any], ...],
    ) -> Iterator[_Applicable]:
        for end, bound in _match_pattern(match.pattern, 0, items, position, {}, self.min_recursive):
            new_chain = (*chain, match)
            new_bindings = (*bindings, bound)
            if end == len(items):
                yield _Applicable(new_chain, new_bindings)
            else:
                for child in match.matches:
                    yield from self._walk(child, items, end, new_chain, new_bindings)

    def _evaluate_allow(
        self, allow: ast.Allow, candidate: _Applicable, operation: RulesOperation, context: Context
    ) -> str | None:
        """``None`` when the allow grants the request, otherwise why not."""
        if allow.condition is None:
            return None
        for resource, request in self._variants(operation):
            scopes = [Scope(self.service.functions if self.service else {}, {"request": request, "resource": resource})]
            scopes[0].variables["database"] = operation.database
            for match, bound in zip(candidate.match_chain, candidate.bindings, strict=True):
                scopes.append(Scope(match.functions, bound))
            evaluator = Evaluator(context, scopes)
            context.steps = 0
            try:
                if not evaluator.condition(allow.condition):
                    return "condition is false"
            except AccessLimitError:
                context.limit_exceeded = True
                return "too many document access calls"
            except RulesEvalError as error:
                return f"error: {error}"
            except RecursionError:
                return "error: expression nested too deeply"
        return None

    def _variants(self, operation: RulesOperation) -> Iterator[tuple[Any, dict[str, Any]]]:
        """The (resource, request) pairs the condition must hold for: one, or one per ``in`` combination."""
        document = Path(("databases", operation.database, "documents", *[s for s in operation.path.split("/") if s]))
        request: dict[str, Any] = {
            "auth": _auth_value(operation.auth),
            "method": operation.method,
            "path": document,
            "time": operation.time,
            "resource": None,
        }
        if operation.method != "list":
            if operation.request_resource is not None:
                request["resource"] = _resource_value(document, operation.request_resource)
            resource = None if operation.resource is None else _resource_value(document, operation.resource)
            yield resource, request
            return
        query = operation.query
        assert query is not None
        request["query"] = {
            "limit": query.limit,
            "offset": query.offset,
            "orderBy": {field_path: direction for field_path, direction in query.order_by},
        }
        for known in _constraint_combinations(query.constraints):
            yield SymbolicResource(SymbolicMap("resource.data", known)), request


def _auth_value(auth: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if auth is None:
        return None
    token = dict(auth.get("token") or {})
    uid = auth.get("uid", token.get("sub", token.get("user_id")))
    return {"uid": uid, "token": token}


def _resource_value(document: Path, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"data": dict(fields), "id": document.segments[-1], "__name__": document}


def split_field_path(field_path: str) -> list[str]:
    """``a.b`` -> ``[a, b]``; backquoted segments (```a.b`.c``) keep their dots."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(field_path):
        char = field_path[index]
        if char == "`":
            quoted = not quoted
        elif char == "\\" and quoted and index + 1 < len(field_path):
            index += 1
            current.append(field_path[index])
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _constraint_combinations(constraints: Sequence[Constraint]) -> Iterator[dict[str, Any]]:
    pinned: list[tuple[list[str], list[Any]]] = []
    for constraint in constraints:
        if constraint.field_path == "__name__":
            continue
        if constraint.op == "==":
            pinned.append((split_field_path(constraint.field_path), [constraint.value]))
        elif constraint.op == "in" and isinstance(constraint.value, list | tuple):
            pinned.append((split_field_path(constraint.field_path), list(constraint.value)))
    choices = [values for _, values in pinned]
    count = 1
    for values in choices:
        count *= max(len(values), 1)
    if count > MAX_IN_COMBINATIONS:
        # Too many combinations to check one by one: prove nothing from the `in` constraints.
        pinned = [(parts, values) for parts, values in pinned if len(values) == 1]
        choices = [values for _, values in pinned]
    if any(not values for values in choices):
        # `in []` matches no document: every (no) document is allowed; decide as if unconstrained.
        pinned = [(parts, values) for parts, values in pinned if values]
        choices = [values for _, values in pinned]
    for combination in itertools.product(*choices):
        known: dict[str, Any] = {}
        for (parts, _), value in zip(pinned, combination, strict=True):
            node = known
            for part in parts[:-1]:
                existing = node.get(part)
                if not isinstance(existing, SymbolicMap):
                    existing = SymbolicMap(part, {})
                    node[part] = existing
                node = existing.known
            node[parts[-1]] = value
        yield known


def _match_pattern(
    pattern: tuple[ast.PatternSegment, ...],
    index: int,
    items: list[PathItem],
    position: int,
    bound: dict[str, Any],
    min_recursive: int = 0,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every way ``pattern[index:]`` matches ``items`` from ``position``: (end position, bindings)."""
    if index == len(pattern):
        yield position, bound
        return
    segment = pattern[index]
    if isinstance(segment, ast.RecursiveSegment):
        for end in range(position + min_recursive, len(items) + 1):
            taken = items[position:end]
            if all(isinstance(item, str) for item in taken):
                value: Any = Path(tuple(str(item) for item in taken))
            else:
                value = Unknown(f"path wildcard {segment.name}")
            yield from _match_pattern(pattern, index + 1, items, end, {**bound, segment.name: value}, min_recursive)
        return
    if position >= len(items):
        return
    item = items[position]
    if item is ANY_SEGMENTS:
        return  # only a recursive wildcard covers every possible parent path
    if isinstance(segment, ast.LiteralSegment):
        if item == segment.text:
            yield from _match_pattern(pattern, index + 1, items, position + 1, bound, min_recursive)
        return
    yield from _match_pattern(pattern, index + 1, items, position + 1, {**bound, segment.name: item}, min_recursive)


def evaluate_expression(
    source: str,
    variables: Mapping[str, Any] | None = None,
    data: DataAccess | None = None,
    database: str = "(default)",
) -> Any:
    """Evaluate one expression (for tests and tooling); raises :class:`RulesEvalError` for error values."""
    from localcloud.rules.parser import Parser, RulesSyntaxError

    parser = Parser(source)
    expr = parser.parse_expr()
    trailing = parser.scanner.peek()
    if trailing.kind != "eof":
        raise RulesSyntaxError(f"unexpected {trailing.text!r} after expression", trailing.line, trailing.column)
    budget = AccessBudget(per_operation=SINGLE_DOCUMENT_LIMIT, per_request=SINGLE_DOCUMENT_LIMIT)
    context = Context(database=database, data=data or NoData(), budget=budget)
    evaluator = Evaluator(context, [Scope({}, dict(variables or {}))])
    return evaluator.eval(expr, evaluator.variables_up_to(0))
