"""Equality indexes over the latest documents, so a query reads the documents that may match, not all.

Without them every query hands its whole collection to the query engine, which tests each document:
O(collection) per query where Firestore answers from its indexes in O(results). An index here maps, for
one scope (a collection, or every collection of one id for collection-group queries) and one field path,
each value to the names of the documents holding it there (``by_value``) and, for arrays, each element
to the documents whose array holds it (``by_element``, what array-contains reads).

The index only chooses *candidates*: the query engine still evaluates every filter, the ordering, the
cursors, offset and limit on them. So an index may return more than the true matches but never fewer,
and a query it cannot help (no equality-like conjunct) scans as before.

Values are keyed by ``values.value_key``, the query engine's own equality: 1 and 1.0 share a key, -0.0
and 0.0 too, NaN has one key of its own (what IS_NAN and the engine's EQUAL to NaN match), maps and arrays
key by their whole content. A document is indexed under a path only when it has a value there: a missing
field matches no equality filter.

Built lazily, the first time a query asks for a (scope, path), from the scope's latest documents; kept in
step with every commit by ``FieldIndexes.record`` (called in the commit's critical section). Memory is one
set entry per document per indexed path (plus one per distinct array element), and only paths some
equality query used are indexed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from localcloud.firestore import protos
from localcloud.firestore.paths import parse_field_path
from localcloud.firestore.values import NAN_KEY, NULL_KEY, TYPE_ARRAY, ValueKey, key_getter, value_key

Document = Any  # google.firestore.v1.Document protobuf message
Filter = Any  # google.firestore.v1.StructuredQuery.Filter protobuf message

_FieldOp = protos.StructuredQuery.FieldFilter.Operator
_UnaryOp = protos.StructuredQuery.UnaryFilter.Operator
_OR = protos.StructuredQuery.CompositeFilter.Operator.OR
_NO_ELEMENTS: frozenset[ValueKey] = frozenset()

# A value held by one document keeps its name alone: a set costs ~200 bytes more, and ids, times and
# other near-unique fields are typical equality targets.
Bucket = str | set[str]
Buckets = dict[ValueKey, Bucket]


class IndexScope(NamedTuple):
    """Which documents one index covers: a collection by its full name, or, for collection-group
    queries, every collection with one id (the query engine drops those outside the query's parent)."""

    collection_group: bool
    collection: str  # the collection's full name, or the collection id of a group


@dataclass(frozen=True)
class IndexLookup:
    """One equality-like conjunct of a query's filter: every match has one of ``keys`` at ``segments``
    (as its whole value, or among its array elements when ``elements``)."""

    segments: tuple[str, ...]
    keys: frozenset[ValueKey]
    elements: bool


def equality_lookups(where: Filter) -> tuple[IndexLookup, ...]:
    """The conjuncts of ``where`` an equality index can answer (validated filters only).

    Each is necessary for a match: a top-level filter or a member of (nested) ANDs. Filters inside an
    OR of several filters are not necessary, so they give none; neither do ranges, !=, not-in and the
    IS_NOT_* filters, which no single value bounds.
    """
    kind = where.WhichOneof("filter_type")
    if kind == "composite_filter":
        composite = where.composite_filter
        if composite.op == _OR and len(composite.filters) > 1:
            return ()
        return tuple(lookup for sub in composite.filters for lookup in equality_lookups(sub))
    if kind == "field_filter":
        lookup = _field_lookup(where.field_filter)
        return () if lookup is None else (lookup,)
    if kind == "unary_filter":
        unary = where.unary_filter
        key = {_UnaryOp.IS_NULL: NULL_KEY, _UnaryOp.IS_NAN: NAN_KEY}.get(unary.op)
        if key is None:
            return ()
        return (IndexLookup(parse_field_path(unary.field.field_path), frozenset([key]), False),)
    return ()


def _field_lookup(field_filter: Any) -> IndexLookup | None:
    op = field_filter.op
    value = field_filter.value
    if op in (_FieldOp.EQUAL, _FieldOp.ARRAY_CONTAINS):
        keys = frozenset([value_key(value)])
    elif op in (_FieldOp.IN, _FieldOp.ARRAY_CONTAINS_ANY):
        # Duplicates collapse; null and NaN stay in (the engine never matches them here: a superset).
        keys = frozenset(value_key(element) for element in value.array_value.values)
    else:
        return None
    elements = op in (_FieldOp.ARRAY_CONTAINS, _FieldOp.ARRAY_CONTAINS_ANY)
    return IndexLookup(parse_field_path(field_filter.field.field_path), keys, elements)


class FieldIndex:
    """The documents of one scope by their value (and array elements) at one field path."""

    __slots__ = ("_key_of", "by_element", "by_value", "segments")

    def __init__(self, segments: tuple[str, ...], documents: Iterable[tuple[str, Document]]) -> None:
        self.segments = segments
        self._key_of = key_getter(segments)  # the query engine's own: equal keys are equal values
        self.by_value: Buckets = {}
        self.by_element: Buckets = {}
        for name, doc in documents:
            self._add(name, *self._keys(doc))

    def _keys(self, doc: Document | None) -> tuple[ValueKey | None, frozenset[ValueKey]]:
        """(key of the whole value or None when absent, keys of its array elements)."""
        key = None if doc is None else self._key_of(doc)
        if key is None:
            return None, _NO_ELEMENTS
        # An array's key holds its elements' keys: array-contains needs no second conversion.
        return key, (frozenset(key[1]) if key[0] == TYPE_ARRAY else _NO_ELEMENTS)

    def _add(self, name: str, key: ValueKey | None, elements: frozenset[ValueKey]) -> None:
        if key is not None:
            _insert(self.by_value, key, name)
        for element in elements:
            _insert(self.by_element, element, name)

    def _remove(self, name: str, key: ValueKey | None, elements: frozenset[ValueKey]) -> None:
        if key is not None:
            _discard(self.by_value, key, name)
        for element in elements:
            _discard(self.by_element, element, name)

    def update(self, name: str, old: Document | None, new: Document | None) -> None:
        """``name`` went from ``old`` to ``new`` (None: absent / deleted)."""
        old_keys = self._keys(old)
        new_keys = self._keys(new)
        if old_keys != new_keys:
            self._remove(name, *old_keys)
            self._add(name, *new_keys)

    def _buckets(self, lookup: IndexLookup) -> list[Collection[str]]:
        source = self.by_element if lookup.elements else self.by_value
        return [_members(source[key]) for key in lookup.keys if key in source]

    def estimate(self, lookup: IndexLookup) -> int:
        """How many names ``names(lookup)`` has at most (without building it)."""
        return sum(len(bucket) for bucket in self._buckets(lookup))

    def names(self, lookup: IndexLookup) -> Collection[str]:
        """Every document with one of the lookup's keys (the index's own set when there is one: read it
        under the store lock only, never change it)."""
        buckets = self._buckets(lookup)
        if len(buckets) == 1:
            return buckets[0]
        return set().union(*buckets)

    def holds(self, lookup: IndexLookup, name: str) -> bool:
        return any(name in bucket for bucket in self._buckets(lookup))


def _members(bucket: Bucket) -> Collection[str]:
    return (bucket,) if isinstance(bucket, str) else bucket


def _insert(buckets: Buckets, key: ValueKey, name: str) -> None:
    bucket = buckets.get(key)
    if bucket is None:
        buckets[key] = name
    elif isinstance(bucket, str):
        if bucket != name:
            buckets[key] = {bucket, name}
    else:
        bucket.add(name)


def _discard(buckets: Buckets, key: ValueKey, name: str) -> None:
    bucket = buckets.get(key)
    if bucket is None:
        return
    if isinstance(bucket, str):
        if bucket == name:
            del buckets[key]
        return
    bucket.discard(name)
    if not bucket:
        del buckets[key]  # memory follows the live values, not every value ever seen


class FieldIndexes:
    """Every index of one database. Callers hold the store lock."""

    def __init__(self) -> None:
        self._by_scope: dict[IndexScope, dict[tuple[str, ...], FieldIndex]] = {}

    def __len__(self) -> int:
        return sum(len(indexes) for indexes in self._by_scope.values())

    def candidate_names(
        self, scope: IndexScope, lookups: tuple[IndexLookup, ...], documents: Iterable[tuple[str, Document]]
    ) -> Collection[str]:
        """A superset of the names of the scope's documents that satisfy every lookup.

        Takes the most selective lookup and, when there is another, keeps only the names the second most
        selective one also holds: a set membership test per name, far cheaper than evaluating filters.
        ``documents`` (the scope's latest documents, each with its name) builds the indexes this scope lacks.
        Names should be the store's own strings: a document's ``name`` field is a new string at every
        read, and the indexes would otherwise hold a copy of every name.
        """
        indexes = self._by_scope.setdefault(scope, {})
        missing = {lookup.segments for lookup in lookups} - indexes.keys()
        if missing:
            documents = list(documents)
            for segments in missing:
                indexes[segments] = FieldIndex(segments, documents)
        ranked = sorted(
            ((indexes[lookup.segments].estimate(lookup), lookup) for lookup in lookups),
            key=lambda pair: pair[0],
        )
        best = ranked[0][1]
        names = indexes[best.segments].names(best)
        if len(ranked) == 1 or not names:
            return names
        second = ranked[1][1]
        second_index = indexes[second.segments]
        return [name for name in names if second_index.holds(second, name)]

    def record(self, name: str, old: Document | None, new: Document | None) -> None:
        """Keep every index covering ``name`` in step with one committed change."""
        if not self._by_scope:
            return
        collection = name.rsplit("/", 1)[0]
        collection_id = collection.rsplit("/", 1)[1]
        for scope in (IndexScope(False, collection), IndexScope(True, collection_id)):
            indexes = self._by_scope.get(scope)
            if indexes:
                for index in indexes.values():
                    index.update(name, old, new)
