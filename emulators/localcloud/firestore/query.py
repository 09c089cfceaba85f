"""Evaluation of Firestore StructuredQuery and StructuredAggregationQuery over in-memory documents.

Pure functions over protobuf messages: the server hands in candidate documents (possibly a superset,
e.g. every document of the database) and gets back exactly what Firestore would return. A query is
compiled once into a small plan (filters become closures over precomputed value keys) and plans are
cached by the query's serialized bytes, so Listen can re-check a query against each changed document
cheaply.

Known differences from Google's Firestore (Standard edition):
- No index is required here: queries that would need a composite index run (as in Google's emulator);
  ``--indexes`` enforcement happens before, in ``indexes.py``.
- Strings compare in full; Firestore only looks at the first 1,500 bytes.
- Repeated order_by fields are ignored rather than rejected, and a kindless selector (collection_id "")
  without all_descendants is accepted and means "any collection directly under the parent".
- EQUAL with a null or NaN value (clients always send IS_NULL / IS_NAN instead) matches null / NaN.
- find_nearest is an exact brute-force search over the filtered documents.
- Error texts follow Firestore's where they are known and are descriptive elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from localcloud.firestore import protos
from localcloud.firestore.field_index import IndexLookup, equality_lookups
from localcloud.firestore.paths import InvalidPathError, parse_field_path
from localcloud.firestore.query_vector import (
    NearestPlan,
    VectorQueryError,
    compile_find_nearest,
    nearest,
    with_distance,
)
from localcloud.firestore.values import (
    NAME_FIELD,
    NAN_KEY,
    NULL_KEY,
    TYPE_ARRAY,
    KeyGetter,
    ValueKey,
    get_field_by_segments,
    key_getter,
    value_key,
)

Document = Any  # google.firestore.v1.Document protobuf message
StructuredQuery = Any  # google.firestore.v1.StructuredQuery protobuf message
StructuredAggregationQuery = Any  # google.firestore.v1.StructuredAggregationQuery protobuf message
Value = Any

DocumentPb = protos.Document
ValuePb = protos.Value
StructuredQueryPb = protos.StructuredQuery
FieldOp = StructuredQueryPb.FieldFilter.Operator
UnaryOp = StructuredQueryPb.UnaryFilter.Operator
CompositeOp = StructuredQueryPb.CompositeFilter.Operator
Direction = StructuredQueryPb.Direction

MAX_DISJUNCTIONS = 30
MAX_NOT_IN_VALUES = 10
MAX_AGGREGATIONS = 5

_RANGE_OPS = frozenset(
    {FieldOp.LESS_THAN, FieldOp.LESS_THAN_OR_EQUAL, FieldOp.GREATER_THAN, FieldOp.GREATER_THAN_OR_EQUAL}
)
_ARRAY_VALUE_OPS = frozenset({FieldOp.IN, FieldOp.NOT_IN, FieldOp.ARRAY_CONTAINS_ANY})
# Operators that exclude a single value; Firestore allows only one of them per query.
_NEGATION_FIELD_OPS = frozenset({FieldOp.NOT_EQUAL, FieldOp.NOT_IN})
_NEGATION_UNARY_OPS = frozenset({UnaryOp.IS_NOT_NULL, UnaryOp.IS_NOT_NAN})
_INEQUALITY_FIELD_OPS = _RANGE_OPS | _NEGATION_FIELD_OPS

_FIELD_OP_NAMES = {
    FieldOp.LESS_THAN: "LESS_THAN",
    FieldOp.LESS_THAN_OR_EQUAL: "LESS_THAN_OR_EQUAL",
    FieldOp.GREATER_THAN: "GREATER_THAN",
    FieldOp.GREATER_THAN_OR_EQUAL: "GREATER_THAN_OR_EQUAL",
    FieldOp.EQUAL: "EQUAL",
    FieldOp.NOT_EQUAL: "NOT_EQUAL",
    FieldOp.ARRAY_CONTAINS: "ARRAY_CONTAINS",
    FieldOp.IN: "IN",
    FieldOp.ARRAY_CONTAINS_ANY: "ARRAY_CONTAINS_ANY",
    FieldOp.NOT_IN: "NOT_IN",
}
_UNARY_OP_NAMES = {
    UnaryOp.IS_NAN: "IS_NAN",
    UnaryOp.IS_NULL: "IS_NULL",
    UnaryOp.IS_NOT_NAN: "IS_NOT_NAN",
    UnaryOp.IS_NOT_NULL: "IS_NOT_NULL",
}


class QueryError(ValueError):
    """An invalid query; the message is sent to the client as INVALID_ARGUMENT."""


Predicate = Callable[[Document], bool]


@dataclass(frozen=True)
class Order:
    field_path: str
    segments: tuple[str, ...]
    descending: bool

    @property
    def is_name(self) -> bool:
        return self.segments == (NAME_FIELD,)


@dataclass(frozen=True)
class Cursor:
    keys: tuple[ValueKey, ...]
    before: bool


@dataclass(frozen=True)
class QueryPlan:
    collection_id: str
    all_descendants: bool
    predicate: Predicate | None
    orders: tuple[Order, ...]
    order_getters: tuple[KeyGetter, ...]
    start_at: Cursor | None
    end_at: Cursor | None
    offset: int
    limit: int | None
    projection: tuple[tuple[str, ...], ...] | None  # None: whole documents
    find_nearest: NearestPlan | None = None
    # Equality-like conjuncts every match satisfies: the store reads candidates from its field indexes.
    index_lookups: tuple[IndexLookup, ...] = ()

    def in_scope(self, parent: str, name: str) -> bool:
        prefix_length = len(parent) + 1
        if not name.startswith(parent) or name[prefix_length - 1 : prefix_length] != "/":
            return False
        segments = name[prefix_length:].split("/")
        if len(segments) % 2:
            return False
        if not self.all_descendants:
            return len(segments) == 2 and (not self.collection_id or segments[0] == self.collection_id)
        return not self.collection_id or segments[-2] == self.collection_id

    def matches(self, parent: str, doc: Document) -> bool:
        if not self.in_scope(parent, doc.name):
            return False
        return self.predicate is None or self.predicate(doc)

    @property
    def filters_only(self) -> bool:
        """Whether a document's membership in the results depends on that document alone (no cursor,
        offset, limit, projection or nearest-neighbour step), so results can be kept up to date one
        changed document at a time."""
        return (
            self.start_at is None
            and self.end_at is None
            and not self.offset
            and self.limit is None
            and self.projection is None
            and self.find_nearest is None
        )

    def includes(self, parent: str, doc: Document) -> bool:
        """Whether ``doc`` is in the results of a ``filters_only`` query under ``parent``."""
        return self.matches(parent, doc) and all(get(doc) is not None for get in self.order_getters)


# ---------------------------------------------------------------------------------------------------------
# Field access


def _field_segments(path: str) -> tuple[str, ...]:
    try:
        return parse_field_path(path)
    except InvalidPathError as error:
        raise QueryError(str(error)) from None


# ---------------------------------------------------------------------------------------------------------
# Filters


def _array_keys(value: Value) -> list[ValueKey]:
    return [value_key(element) for element in value.array_value.values]


def _compile_field_filter(field_filter: Any) -> Predicate:
    segments = _field_segments(field_filter.field.field_path)
    get = key_getter(segments)
    op = field_filter.op
    value = field_filter.value
    target = value_key(value)
    target_type = target[0]

    if op == FieldOp.EQUAL:
        return lambda doc: get(doc) == target
    if op == FieldOp.NOT_EQUAL:
        # Missing fields never match, and neither does null: Firestore's != is "exists, not null, not equal".
        def not_equal(doc: Document) -> bool:
            key = get(doc)
            return key is not None and key != NULL_KEY and key != target

        return not_equal
    if op in _RANGE_OPS:
        # Range filters compare within one type only: a number range never matches a string.
        if op == FieldOp.LESS_THAN:
            test: Callable[[ValueKey], bool] = lambda key: key < target  # noqa: E731
        elif op == FieldOp.LESS_THAN_OR_EQUAL:
            test = lambda key: key <= target  # noqa: E731
        elif op == FieldOp.GREATER_THAN:
            test = lambda key: key > target  # noqa: E731
        else:
            test = lambda key: key >= target  # noqa: E731

        def in_range(doc: Document) -> bool:
            key = get(doc)
            return key is not None and key[0] == target_type and test(key)

        return in_range
    if op == FieldOp.ARRAY_CONTAINS:
        # Null and NaN are never found by array-contains (the index does not store them for equality).
        if target in (NULL_KEY, NAN_KEY):
            return lambda doc: False

        def array_contains(doc: Document) -> bool:
            key = get(doc)
            return key is not None and key[0] == TYPE_ARRAY and target in key[1]

        return array_contains
    if op == FieldOp.ARRAY_CONTAINS_ANY:
        wanted = {key for key in _array_keys(value) if key not in (NULL_KEY, NAN_KEY)}

        def array_contains_any(doc: Document) -> bool:
            key = get(doc)
            return key is not None and key[0] == TYPE_ARRAY and any(element in wanted for element in key[1])

        return array_contains_any
    if op == FieldOp.IN:
        wanted = {key for key in _array_keys(value) if key not in (NULL_KEY, NAN_KEY)}
        return lambda doc: get(doc) in wanted
    if op == FieldOp.NOT_IN:
        excluded = set(_array_keys(value))
        if NULL_KEY in excluded:
            return lambda doc: False

        def not_in(doc: Document) -> bool:
            key = get(doc)
            return key is not None and key != NULL_KEY and key not in excluded

        return not_in
    raise QueryError("Invalid field filter operator.")


def _compile_unary_filter(unary_filter: Any) -> Predicate:
    get = key_getter(_field_segments(unary_filter.field.field_path))
    op = unary_filter.op
    if op == UnaryOp.IS_NULL:
        return lambda doc: get(doc) == NULL_KEY
    if op == UnaryOp.IS_NAN:
        return lambda doc: get(doc) == NAN_KEY
    if op == UnaryOp.IS_NOT_NULL:

        def is_not_null(doc: Document) -> bool:
            key = get(doc)
            return key is not None and key != NULL_KEY

        return is_not_null
    if op == UnaryOp.IS_NOT_NAN:

        def is_not_nan(doc: Document) -> bool:
            key = get(doc)
            return key is not None and key != NAN_KEY and key != NULL_KEY

        return is_not_nan
    raise QueryError("Invalid unary filter operator.")


def _compile_filter(filter_: Any) -> Predicate:
    kind = filter_.WhichOneof("filter_type")
    if kind == "field_filter":
        return _compile_field_filter(filter_.field_filter)
    if kind == "unary_filter":
        return _compile_unary_filter(filter_.unary_filter)
    if kind == "composite_filter":
        parts = tuple(_compile_filter(sub) for sub in filter_.composite_filter.filters)
        if len(parts) == 1:
            return parts[0]
        if filter_.composite_filter.op == CompositeOp.OR:
            return lambda doc: any(part(doc) for part in parts)
        return lambda doc: all(part(doc) for part in parts)
    raise QueryError("Filter must set one of composite_filter, field_filter or unary_filter.")


# ---------------------------------------------------------------------------------------------------------
# Validation


class _FilterFacts:
    """What validation needs to know about a query's filters, gathered in one walk."""

    def __init__(self) -> None:
        self.negations: list[str] = []
        self.inequality_paths: list[tuple[str, ...]] = []
        self.not_in_count = 0
        self.in_count = 0
        self.array_contains_any_count = 0
        self.has_or = False


def _op_name(op: int) -> str:
    return _FIELD_OP_NAMES.get(op, str(op))


def _validate_field_filter(field_filter: Any, facts: _FilterFacts) -> None:
    op = field_filter.op
    if op not in _FIELD_OP_NAMES:
        raise QueryError("A field filter must specify an operator.")
    if not field_filter.HasField("field") or not field_filter.field.field_path:
        raise QueryError("A field filter must specify a field.")
    segments = _field_segments(field_filter.field.field_path)
    value = field_filter.value
    kind = value.WhichOneof("value_type")
    if kind is None:
        raise QueryError(f"A value is required for '{_op_name(op)}' filters.")
    if op in _ARRAY_VALUE_OPS and (kind != "array_value" or not value.array_value.values):
        raise QueryError(f"A non-empty array is required for '{_op_name(op)}' filters.")
    if op == FieldOp.NOT_IN and len(value.array_value.values) > MAX_NOT_IN_VALUES:
        raise QueryError(f"'NOT_IN' supports up to {MAX_NOT_IN_VALUES} comparison values.")
    if segments == (NAME_FIELD,):
        if op in (FieldOp.ARRAY_CONTAINS, FieldOp.ARRAY_CONTAINS_ANY):
            raise QueryError(f"'{_op_name(op)}' is not supported on __name__.")
        elements = value.array_value.values if op in _ARRAY_VALUE_OPS else [value]
        if any(element.WhichOneof("value_type") != "reference_value" for element in elements):
            raise QueryError("__key__ filter value must be a Key")
    if op in _NEGATION_FIELD_OPS:
        facts.negations.append(_op_name(op))
    if op in _INEQUALITY_FIELD_OPS:
        facts.inequality_paths.append(segments)
    if op == FieldOp.NOT_IN:
        facts.not_in_count += 1
    elif op == FieldOp.IN:
        facts.in_count += 1
    elif op == FieldOp.ARRAY_CONTAINS_ANY:
        facts.array_contains_any_count += 1


def _validate_unary_filter(unary_filter: Any, facts: _FilterFacts) -> None:
    if unary_filter.op not in _UNARY_OP_NAMES:
        raise QueryError("A unary filter must specify an operator.")
    if not unary_filter.HasField("field") or not unary_filter.field.field_path:
        raise QueryError("A unary filter must specify a field.")
    segments = _field_segments(unary_filter.field.field_path)
    if unary_filter.op in _NEGATION_UNARY_OPS:
        facts.negations.append(_UNARY_OP_NAMES[unary_filter.op])
        facts.inequality_paths.append(segments)


def _walk_filter(filter_: Any, facts: _FilterFacts) -> None:
    kind = filter_.WhichOneof("filter_type")
    if kind == "field_filter":
        _validate_field_filter(filter_.field_filter, facts)
    elif kind == "unary_filter":
        _validate_unary_filter(filter_.unary_filter, facts)
    elif kind == "composite_filter":
        composite = filter_.composite_filter
        if composite.op not in (CompositeOp.AND, CompositeOp.OR):
            raise QueryError("A composite filter must specify an operator (AND or OR).")
        if not composite.filters:
            raise QueryError("A composite filter must contain at least one filter.")
        if composite.op == CompositeOp.OR and len(composite.filters) > 1:
            facts.has_or = True
        for sub in composite.filters:
            _walk_filter(sub, facts)
    else:
        raise QueryError("Filter must set one of composite_filter, field_filter or unary_filter.")


_DISJUNCTION_COUNT_CAP = 10_000


def _disjunction_count(filter_: Any) -> int:
    """Number of terms of the filter's disjunctive normal form (IN and array-contains-any expand)."""
    kind = filter_.WhichOneof("filter_type")
    if kind == "field_filter":
        if filter_.field_filter.op in (FieldOp.IN, FieldOp.ARRAY_CONTAINS_ANY):
            return max(1, len(filter_.field_filter.value.array_value.values))
        return 1
    if kind == "composite_filter":
        counts = [_disjunction_count(sub) for sub in filter_.composite_filter.filters]
        if filter_.composite_filter.op == CompositeOp.OR:
            return sum(counts)
        total = 1
        for count in counts:
            # Capping keeps a pathological AND of many INs from building a huge integer.
            total = min(total * count, _DISJUNCTION_COUNT_CAP)
        return total
    return 1


def _array_contains_per_term(filter_: Any) -> list[int]:
    """For each DNF term (IN values not expanded), how many array-contains(-any) filters it has.

    Only called once the disjunction limit holds, so there are at most MAX_DISJUNCTIONS terms.
    """
    kind = filter_.WhichOneof("filter_type")
    if kind == "field_filter":
        return [1 if filter_.field_filter.op in (FieldOp.ARRAY_CONTAINS, FieldOp.ARRAY_CONTAINS_ANY) else 0]
    if kind == "composite_filter":
        term_lists = [_array_contains_per_term(sub) for sub in filter_.composite_filter.filters]
        if filter_.composite_filter.op == CompositeOp.OR:
            return [count for terms in term_lists for count in terms]
        combined = [0]
        for terms in term_lists:
            combined = [left + right for left in combined for right in terms]
        return combined
    return [0]


def _validate_filters(where: Any) -> _FilterFacts:
    facts = _FilterFacts()
    _walk_filter(where, facts)
    if len(facts.negations) > 1:
        raise QueryError(
            "Invalid query. A query can have at most one of '!=' (NOT_EQUAL), 'not-in' (NOT_IN), "
            f"IS_NOT_NULL or IS_NOT_NAN filters; found {', '.join(facts.negations)}."
        )
    if facts.not_in_count:
        others = [
            name
            for name, present in (
                ("'OR'", facts.has_or),
                ("'IN'", facts.in_count > 0),
                ("'ARRAY_CONTAINS_ANY'", facts.array_contains_any_count > 0),
            )
            if present
        ]
        if others:
            raise QueryError(
                f"Invalid query. 'NOT_IN' cannot be used in the same query with {', '.join(others)}."
            )
    disjunctions = _disjunction_count(where)
    if disjunctions > MAX_DISJUNCTIONS:
        raise QueryError(
            f"Invalid query. The query contains {'at least ' if disjunctions >= _DISJUNCTION_COUNT_CAP else ''}"
            f"{disjunctions} disjunctions after conversion to disjunctive "
            f"normal form; the maximum is {MAX_DISJUNCTIONS}."
        )
    if any(count > 1 for count in _array_contains_per_term(where)):
        raise QueryError("A maximum of 1 'ARRAY_CONTAINS' filter is allowed per disjunction.")
    return facts


def _normalized_orders(query: StructuredQuery, inequality_paths: list[tuple[str, ...]]) -> tuple[Order, ...]:
    orders: list[Order] = []
    seen: set[tuple[str, ...]] = set()
    for order in query.order_by:
        path = order.field.field_path
        if not path:
            raise QueryError("An order must specify a field.")
        if order.direction not in (
            Direction.DIRECTION_UNSPECIFIED,
            Direction.ASCENDING,
            Direction.DESCENDING,
        ):
            raise QueryError("Invalid order direction.")
        segments = _field_segments(path)
        if segments in seen:
            continue
        seen.add(segments)
        orders.append(Order(path, segments, order.direction == Direction.DESCENDING))
    last_descending = orders[-1].descending if orders else False
    for segments in sorted(set(inequality_paths)):
        if segments not in seen and segments != (NAME_FIELD,):
            seen.add(segments)
            orders.append(Order(".".join(segments), segments, last_descending))
    if (NAME_FIELD,) not in seen:
        orders.append(Order(NAME_FIELD, (NAME_FIELD,), last_descending))
    return tuple(orders)


def _cursor(query: StructuredQuery, field: str, orders: tuple[Order, ...]) -> Cursor | None:
    if not query.HasField(field):
        return None
    cursor = getattr(query, field)
    if len(cursor.values) > len(orders):
        raise QueryError(
            f"Too many cursor values specified. The specified order by clause has {len(orders)} fields "
            f"(including implicit ones) but the cursor has {len(cursor.values)} values."
        )
    keys: list[ValueKey] = []
    for order, value in zip(orders, cursor.values, strict=False):
        if order.is_name and value.WhichOneof("value_type") != "reference_value":
            raise QueryError("Cursor values for __name__ must be document references.")
        keys.append(value_key(value))
    return Cursor(tuple(keys), cursor.before)


def _projection(query: StructuredQuery) -> tuple[tuple[str, ...], ...] | None:
    if not query.HasField("select"):
        return None
    paths = tuple(_field_segments(field.field_path) for field in query.select.fields)
    return tuple(path for path in paths if path != (NAME_FIELD,))


def _compile(query: StructuredQuery) -> QueryPlan:
    if len(query.from_) != 1:
        raise QueryError("A query must have exactly one collection selector (from).")
    selector = query.from_[0]
    if "/" in selector.collection_id:
        raise QueryError(
            f"Invalid collection_id {selector.collection_id!r}: a collection id cannot contain '/'."
        )
    if query.offset < 0:
        raise QueryError("Invalid query. Offset must be non-negative.")
    limit: int | None = None
    if query.HasField("limit"):
        limit = query.limit.value
        if limit < 0:
            raise QueryError("Invalid query. Limit must be non-negative.")
    find_nearest: NearestPlan | None = None
    if query.HasField("find_nearest"):
        try:
            find_nearest = compile_find_nearest(query.find_nearest)
        except VectorQueryError as error:
            raise QueryError(str(error)) from None
    predicate: Predicate | None = None
    inequality_paths: list[tuple[str, ...]] = []
    index_lookups: tuple[IndexLookup, ...] = ()
    if query.HasField("where"):
        facts = _validate_filters(query.where)
        inequality_paths = facts.inequality_paths
        predicate = _compile_filter(query.where)
        index_lookups = equality_lookups(query.where)
    orders = _normalized_orders(query, inequality_paths)
    return QueryPlan(
        collection_id=selector.collection_id,
        all_descendants=selector.all_descendants,
        predicate=predicate,
        orders=orders,
        order_getters=tuple(key_getter(order.segments) for order in orders),
        start_at=_cursor(query, "start_at", orders),
        end_at=_cursor(query, "end_at", orders),
        offset=query.offset,
        limit=limit,
        projection=_projection(query),
        find_nearest=find_nearest,
        index_lookups=index_lookups,
    )


@lru_cache(maxsize=512)
def _compile_serialized(serialized: bytes) -> QueryPlan:
    return _compile(StructuredQueryPb.FromString(serialized))


def _as_pb(message: Any) -> Any:
    """Accept proto-plus wrappers too, although the contract is raw protobuf messages."""
    pb = getattr(type(message), "pb", None)
    return pb(message) if callable(pb) and not hasattr(message, "DESCRIPTOR") else message


def compile_query(query: StructuredQuery) -> QueryPlan:
    """Validate and compile a query (cached by its serialized form)."""
    return _compile_serialized(_as_pb(query).SerializeToString(deterministic=True))


def validate_query(query: StructuredQuery) -> None:
    compile_query(query)


# ---------------------------------------------------------------------------------------------------------
# Execution


def _compare_position(doc_keys: tuple[ValueKey, ...], cursor: Cursor, orders: tuple[Order, ...]) -> int:
    """Compare a document's sort position with a (possibly partial) cursor position."""
    for doc_key, cursor_key, order in zip(doc_keys, cursor.keys, orders, strict=False):
        if doc_key != cursor_key:
            result = 1 if doc_key > cursor_key else -1
            return -result if order.descending else result
    return 0


def _after_start(doc_keys: tuple[ValueKey, ...], cursor: Cursor, orders: tuple[Order, ...]) -> bool:
    position = _compare_position(doc_keys, cursor, orders)
    return position >= 0 if cursor.before else position > 0


def _before_end(doc_keys: tuple[ValueKey, ...], cursor: Cursor, orders: tuple[Order, ...]) -> bool:
    position = _compare_position(doc_keys, cursor, orders)
    return position < 0 if cursor.before else position <= 0


def _sorted_matches(plan: QueryPlan, parent: str, candidates: Iterable[Document]) -> list[Document]:
    rows: list[tuple[tuple[ValueKey, ...], Document]] = []
    getters = plan.order_getters
    for doc in candidates:
        if not plan.matches(parent, doc):
            continue
        keys = tuple(get(doc) for get in getters)
        if None in keys:  # a document lacking an order_by field is not in the index
            continue
        rows.append((keys, doc))  # type: ignore[arg-type]
    orders = plan.orders
    if all(order.descending == orders[0].descending for order in orders):
        rows.sort(key=lambda row: row[0], reverse=orders[0].descending)
    else:
        # Stable sorts from the least to the most significant order give a mixed-direction ordering.
        for index in range(len(orders) - 1, -1, -1):
            rows.sort(key=lambda row, i=index: row[0][i], reverse=orders[index].descending)  # type: ignore[misc]
    if plan.start_at is not None:
        start = plan.start_at
        rows = [row for row in rows if _after_start(row[0], start, orders)]
    if plan.end_at is not None:
        end = plan.end_at
        rows = [row for row in rows if _before_end(row[0], end, orders)]
    docs = [doc for _, doc in rows]
    if plan.offset:
        docs = docs[plan.offset :]
    if plan.limit is not None:
        docs = docs[: plan.limit]
    return docs


def _copy_path(source: Any, target: Any, segments: tuple[str, ...]) -> None:
    """Copy the value at ``segments`` from a fields map into another, creating intermediate maps."""
    value = get_field_by_segments(source, segments)
    if value is None:
        return
    container = target
    for segment in segments[:-1]:
        container = container[segment].map_value.fields
    container[segments[-1]].CopyFrom(value)


def project(doc: Document, paths: tuple[tuple[str, ...], ...]) -> Document:
    projected = DocumentPb(name=doc.name)
    if doc.HasField("create_time"):
        projected.create_time.CopyFrom(doc.create_time)
    if doc.HasField("update_time"):
        projected.update_time.CopyFrom(doc.update_time)
    for segments in paths:
        _copy_path(doc.fields, projected.fields, segments)
    return projected


def _results(
    plan: QueryPlan, parent: str, candidates: Iterable[Document]
) -> list[tuple[Document, float | None]]:
    """Every stage except projection: documents in result order, with their vector distance if any."""
    docs = _sorted_matches(plan, parent.rstrip("/"), candidates)
    if plan.find_nearest is None:
        return [(doc, None) for doc in docs]
    return list(nearest(plan.find_nearest, docs))


def execute_query(query: StructuredQuery, parent: str, candidates: Iterable[Document]) -> list[Document]:
    """Documents matching ``query`` under ``parent``, in query order, projected if the query selects fields.

    Unprojected results are the candidate objects themselves: callers must not mutate them.
    """
    plan = compile_query(query)
    results = _results(plan, parent, candidates)
    paths = plan.projection
    distance_field = plan.find_nearest.result_field if plan.find_nearest is not None else None
    docs = []
    for doc, distance in results:
        shaped = doc if paths is None else project(doc, paths)
        if distance_field is not None and distance is not None:
            shaped = with_distance(shaped, distance_field, distance)
        docs.append(shaped)
    return docs


def document_matches(query: StructuredQuery, parent: str, doc: Document) -> bool:
    """Whether ``doc`` is in the query's scope and passes its filters (ignores ordering, cursors, limits)."""
    return compile_query(query).matches(parent.rstrip("/"), doc)


def normalized_orders(query: StructuredQuery) -> tuple[Order, ...]:
    """The full ordering Firestore applies: explicit orders, missing inequality fields, then __name__."""
    return compile_query(query).orders


# ---------------------------------------------------------------------------------------------------------
# Aggregations

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def _numeric_values(docs: list[Document], segments: tuple[str, ...]) -> list[int | float]:
    numbers: list[int | float] = []
    for doc in docs:
        value = get_field_by_segments(doc.fields, segments)
        if value is None:
            continue
        kind = value.WhichOneof("value_type")
        if kind == "integer_value":
            numbers.append(value.integer_value)
        elif kind == "double_value":
            numbers.append(value.double_value)
    return numbers


def _sum(numbers: list[int | float]) -> Value:
    if all(isinstance(number, int) for number in numbers):
        total = sum(numbers)
        if INT64_MIN <= total <= INT64_MAX:
            return ValuePb(integer_value=int(total))
        return ValuePb(double_value=float(total))
    result = 0.0
    for number in numbers:
        result += number
    return ValuePb(double_value=result)


def _average(numbers: list[int | float]) -> Value:
    if not numbers:
        return ValuePb(null_value=0)
    if all(isinstance(number, int) for number in numbers):
        return ValuePb(double_value=sum(numbers) / len(numbers))
    total = 0.0
    for number in numbers:
        total += number
    if math.isinf(total) and not any(math.isinf(number) for number in numbers):
        # An overflowing intermediate sum: average the parts instead.
        return ValuePb(double_value=sum(number / len(numbers) for number in numbers))
    return ValuePb(double_value=total / len(numbers))


def aggregation_aliases(query: StructuredAggregationQuery) -> list[str]:
    """The result alias of every aggregation; unnamed ones become field_1, field_2, ... in order."""
    aliases: list[str] = []
    unnamed = 0
    for aggregation in query.aggregations:
        if aggregation.alias:
            aliases.append(aggregation.alias)
        else:
            unnamed += 1
            aliases.append(f"field_{unnamed}")
    return aliases


def validate_aggregation(query: StructuredAggregationQuery) -> None:
    query = _as_pb(query)
    if not query.HasField("structured_query"):
        raise QueryError("An aggregation query must contain a structured_query.")
    if not query.aggregations:
        raise QueryError("Aggregations can not be empty.")
    if len(query.aggregations) > MAX_AGGREGATIONS:
        raise QueryError(f"Invalid aggregation query. At most {MAX_AGGREGATIONS} aggregations are allowed.")
    aliases = aggregation_aliases(query)
    seen: set[str] = set()
    for alias in aliases:
        if alias in seen:
            raise QueryError(f"Aggregation aliases contain duplicate alias {alias}.")
        seen.add(alias)
    for aggregation in query.aggregations:
        kind = aggregation.WhichOneof("operator")
        if kind is None:
            raise QueryError("An aggregation must specify count, sum or avg.")
        if kind == "count" and aggregation.count.HasField("up_to") and aggregation.count.up_to.value <= 0:
            raise QueryError("Invalid aggregation query. COUNT up_to must be greater than zero.")
        if kind in ("sum", "avg"):
            path = getattr(aggregation, kind).field.field_path
            if not path:
                raise QueryError(f"The {kind.upper()} aggregation must specify a field.")
            _field_segments(path)
    compile_query(query.structured_query)


def _windowed(query: StructuredQuery) -> bool:
    return (query.HasField("limit") or query.offset > 0) and not query.HasField("find_nearest")


def _index_scan_plan(query: StructuredQuery, path: str) -> QueryPlan:
    """The plan Firestore really runs for SUM/AVG of ``path``: a scan of that field's index.

    Firestore computes these through an index on the aggregated field, so a limit or offset picks
    documents in that field's order (after any explicit orders), and documents without it never count.
    """
    scan = StructuredQueryPb()
    scan.CopyFrom(query)
    direction = query.order_by[-1].direction if query.order_by else Direction.ASCENDING
    order = scan.order_by.add()
    order.field.field_path = path
    order.direction = direction
    return compile_query(scan)


def execute_aggregation(
    query: StructuredAggregationQuery, parent: str, candidates: Iterable[Document]
) -> dict[str, Value]:
    """Results of count / sum / avg over the documents the nested query returns, by alias."""
    query = _as_pb(query)
    validate_aggregation(query)
    plan = compile_query(query.structured_query)
    candidates = list(candidates)  # scanned once per windowed SUM/AVG as well
    docs = [doc for doc, _ in _results(plan, parent, candidates)]
    results: dict[str, Value] = {}
    for alias, aggregation in zip(aggregation_aliases(query), query.aggregations, strict=True):
        kind = aggregation.WhichOneof("operator")
        if kind == "count":
            count = len(docs)
            if aggregation.count.HasField("up_to"):
                count = min(count, aggregation.count.up_to.value)
            results[alias] = ValuePb(integer_value=count)
        else:
            path = getattr(aggregation, kind).field.field_path
            segments = _field_segments(path)
            scanned = docs
            if _windowed(query.structured_query):
                scan = _index_scan_plan(query.structured_query, path)
                scanned = [doc for doc, _ in _results(scan, parent, candidates)]
            numbers = _numeric_values(scanned, segments)
            results[alias] = _sum(numbers) if kind == "sum" else _average(numbers)
    return results
