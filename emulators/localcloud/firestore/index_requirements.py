"""Which index a query needs, by Firestore's documented rules (pure functions over raw StructuredQuery
protobufs that ``query.validate_query`` has accepted).

A ``Requirement`` is what one index scan must provide:

- ``ordering``: the order Firestore returns results in, which the index must hold exactly (Firestore never
  reads a composite index backwards, so ``b DESC`` needs its own index): explicit orders, then inequality
  fields not ordered explicitly (``<``, ``<=``, ``>``, ``>=``, ``!=``, not-in, IS_NOT_NULL, IS_NOT_NAN —
  several of them in lexicographic order, the multiple-range-fields rule), then ``__name__`` in the last
  direction — exactly ``query.normalized_orders``. An order on a field an equality pins is dropped (it
  orders nothing: "sort orders are ignored on properties with equality filters").
- ``equalities``: fields the scan fixes to a value — ``==``, in, IS_NULL, IS_NAN (mode ASCENDING: an index
  field of either direction serves them) and array-contains / array-contains-any (mode CONTAINS).
  ``__name__`` filters are never listed: every index ends with ``__name__``.

An OR query needs one requirement per disjunct of its disjunctive normal form (each is its own scan, all in
the query's ordering); ``in`` stays one equality (one field's index serves every value). SUM and AVG are
computed by scanning the aggregated field's index, so ``sum(f)`` needs the ordering with ``f`` after the
explicit orders (what the engine executes and ``explain`` names); COUNT needs the query's own index.
A ``find_nearest`` query needs a vector index: its filter fields, then the vector field with the query
vector's dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localcloud.firestore import query as query_engine
from localcloud.firestore.index_config import (
    ASCENDING,
    COLLECTION,
    COLLECTION_GROUP,
    CONTAINS,
    DESCENDING,
    NAME,
    VECTOR,
    IndexField,
    Segments,
)
from localcloud.firestore.paths import parse_field_path

_FieldOp = query_engine.FieldOp
_UnaryOp = query_engine.UnaryOp
_EQUALITY_OPS = frozenset({_FieldOp.EQUAL, _FieldOp.IN})
_CONTAINS_OPS = frozenset({_FieldOp.ARRAY_CONTAINS, _FieldOp.ARRAY_CONTAINS_ANY})
_INEQUALITY_OPS = frozenset(
    {
        _FieldOp.LESS_THAN,
        _FieldOp.LESS_THAN_OR_EQUAL,
        _FieldOp.GREATER_THAN,
        _FieldOp.GREATER_THAN_OR_EQUAL,
        _FieldOp.NOT_EQUAL,
        _FieldOp.NOT_IN,
    }
)
_UNARY_EQUALITY_OPS = frozenset({_UnaryOp.IS_NULL, _UnaryOp.IS_NAN})


@dataclass(frozen=True)
class Requirement:
    collection_group: str
    scope: str  # COLLECTION or COLLECTION_GROUP
    equalities: tuple[IndexField, ...]  # in query order, each once
    ordering: tuple[IndexField, ...]  # ends with __name__; empty for a vector requirement
    vector: IndexField | None = None
    multiple_inequalities: bool = False  # Firestore's refusal then points at the multiple-range-fields guide

    @property
    def suggested(self) -> tuple[IndexField, ...]:
        """The index Firestore proposes to create: equalities, the ordering, the vector field."""
        return self.equalities + self.ordering + ((self.vector,) if self.vector is not None else ())


def requirements(query: Any, aggregation: Any | None = None) -> list[Requirement]:
    """Every index scan ``query`` (or ``aggregation``, whose ``structured_query`` it is) needs, each once."""
    selector = query.from_[0]
    if not selector.collection_id:
        return []  # kindless queries may only order by __name__: the built-in document-name index
    group = selector.collection_id
    scope = COLLECTION_GROUP if selector.all_descendants else COLLECTION
    terms = _disjuncts(query.where) if query.HasField("where") else [[]]
    multiple = len({path for term in terms for path in _inequality_paths(term)}) > 1
    if query.HasField("find_nearest"):
        return [_vector_requirement(query, group, scope, terms, multiple)]
    found: list[Requirement] = []
    for ordering in _orderings(query, aggregation):
        for term in terms:
            equalities = _equalities(term)
            pinned = {field.path for field in equalities if field.mode == ASCENDING}
            kept = tuple(field for field in ordering if field.is_name or field.path not in pinned)
            requirement = Requirement(group, scope, equalities, kept, multiple_inequalities=multiple)
            if requirement not in found:
                found.append(requirement)
    return found


def _disjuncts(filter_: Any) -> list[list[Any]]:
    """The leaf filters of each term of the filter's disjunctive normal form (validation bounds the count)."""
    if filter_.WhichOneof("filter_type") != "composite_filter":
        return [[filter_]]
    composite = filter_.composite_filter
    parts = [_disjuncts(sub) for sub in composite.filters]
    if composite.op == query_engine.CompositeOp.OR:
        return [term for part in parts for term in part]
    terms: list[list[Any]] = [[]]
    for part in parts:
        terms = [left + right for left in terms for right in part]
    return terms


def _leaf(filter_: Any) -> tuple[Segments, str | None]:
    """(field, ASCENDING for an equality / CONTAINS for an array membership / None for an inequality)."""
    if filter_.WhichOneof("filter_type") == "unary_filter":
        unary = filter_.unary_filter
        return parse_field_path(
            unary.field.field_path
        ), ASCENDING if unary.op in _UNARY_EQUALITY_OPS else None
    field_filter = filter_.field_filter
    path = parse_field_path(field_filter.field.field_path)
    if field_filter.op in _EQUALITY_OPS:
        return path, ASCENDING
    if field_filter.op in _CONTAINS_OPS:
        return path, CONTAINS
    return path, None


def _equalities(term: list[Any]) -> tuple[IndexField, ...]:
    fields: list[IndexField] = []
    for leaf in term:
        path, mode = _leaf(leaf)
        if mode is not None and path != NAME and IndexField(path, mode) not in fields:
            fields.append(IndexField(path, mode))
    return tuple(fields)


def _inequality_paths(term: list[Any]) -> list[Segments]:
    return [path for path, mode in map(_leaf, term) if mode is None and path != NAME]


def _as_fields(query: Any) -> tuple[IndexField, ...]:
    return tuple(
        IndexField(order.segments, DESCENDING if order.descending else ASCENDING)
        for order in query_engine.normalized_orders(query)
    )


def _orderings(query: Any, aggregation: Any | None) -> list[tuple[IndexField, ...]]:
    """The ordering of each scan: the query's own (queries, COUNT), and one per SUM/AVG field."""
    if aggregation is None:
        return [_as_fields(query)]
    orderings: list[tuple[IndexField, ...]] = []
    for item in aggregation.aggregations:
        kind = item.WhichOneof("operator")
        if kind in ("sum", "avg"):
            scan = type(query)()
            scan.CopyFrom(query)
            order = scan.order_by.add()
            order.field.field_path = getattr(item, kind).field.field_path
            order.direction = (
                query.order_by[-1].direction if query.order_by else query_engine.Direction.ASCENDING
            )
            ordering = _as_fields(scan)
        else:
            ordering = _as_fields(query)
        if ordering not in orderings:
            orderings.append(ordering)
    return orderings


def _vector_requirement(
    query: Any, group: str, scope: str, terms: list[list[Any]], multiple: bool
) -> Requirement:
    """A vector index holds the pre-filter fields (any direction) and then the vector field."""
    nearest = query.find_nearest
    vector = nearest.query_vector.map_value.fields.get("value")
    dimension = len(vector.array_value.values) if vector is not None else 0
    prefilter: list[IndexField] = []
    for term in terms:
        for leaf in term:
            path, mode = _leaf(leaf)
            field = IndexField(path, CONTAINS if mode == CONTAINS else ASCENDING)
            if path != NAME and field not in prefilter:
                prefilter.append(field)
    vector_field = IndexField(parse_field_path(nearest.vector_field.field_path), VECTOR, dimension)
    return Requirement(group, scope, tuple(prefilter), (), vector_field, multiple)
