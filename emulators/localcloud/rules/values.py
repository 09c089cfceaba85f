"""The value model of the rules language, on plain Python values.

Rules values are Python values: ``None`` (null), ``bool``, ``int``, ``float``, ``str``, ``bytes``, ``list``,
``dict`` (map), ``datetime`` (timestamp, timezone-aware UTC) plus the few types Python has no natural
counterpart for: :class:`Path`, :class:`Duration`, :class:`RulesSet`, :class:`LatLng`, :class:`MapDiff`.
Python's ``bool`` is a subclass of ``int`` and ``True == 1`` there; the rules language keeps them apart,
so every operation asks :func:`type_name` instead of trusting ``isinstance``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
NANOS_PER_SECOND = 1_000_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RulesEvalError(Exception):
    """An error value: the expression has no value (missing field, wrong type, null dereference ...).

    Errors propagate up to the ``allow`` condition, which then does not grant access, unless ``&&``, ``||``
    or ``?:`` never needed the erroneous operand.
    """


class UnprovableError(RulesEvalError):
    """The value depends on a document field a list query does not constrain ("rules are not filters")."""


class AccessLimitError(RulesEvalError):
    """More document access calls (get/exists/getAfter/existsAfter) than the request is allowed."""


@dataclass(frozen=True, slots=True)
class Path:
    """A resource path: segments without the leading slash (``/a/b`` -> ``("a", "b")``)."""

    segments: tuple[str, ...]

    @staticmethod
    def parse(text: str) -> Path:
        stripped = text.strip("/")
        return Path(tuple(stripped.split("/")) if stripped else ())

    def __str__(self) -> str:
        return "/" + "/".join(self.segments)

    def __getitem__(self, index: int) -> str:
        return self.segments[index]


@dataclass(frozen=True, slots=True, order=True)
class Duration:
    """A signed span of time with nanosecond precision (stored as total nanoseconds)."""

    nanos_total: int

    @staticmethod
    def of(seconds: int = 0, nanos: int = 0) -> Duration:
        return Duration(seconds * NANOS_PER_SECOND + nanos)

    def seconds(self) -> int:
        # Google's Duration splits into whole seconds and a nanos part of the same sign.
        return int(self.nanos_total / NANOS_PER_SECOND) if self.nanos_total < 0 else self.nanos_total // NANOS_PER_SECOND

    def nanos(self) -> int:
        return self.nanos_total - self.seconds() * NANOS_PER_SECOND


@dataclass(frozen=True, slots=True)
class LatLng:
    latitude: float
    longitude: float


class RulesSet:
    """The rules ``set`` type: an unordered collection of distinct rules values."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Any]) -> None:
        unique: list[Any] = []
        for item in items:
            if not any(values_equal(item, existing) for existing in unique):
                unique.append(item)
        self._items = unique

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def contains(self, value: Any) -> bool:
        return any(values_equal(value, item) for item in self._items)

    def __repr__(self) -> str:
        return f"set({self._items!r})"


@dataclass(frozen=True, slots=True)
class MapDiff:
    """``map.diff(other)``: how ``other`` (the new map) differs from the receiver (the old map)."""

    old: dict[str, Any]
    new: dict[str, Any]

    def added_keys(self) -> RulesSet:
        return RulesSet(key for key in self.new if key not in self.old)

    def removed_keys(self) -> RulesSet:
        return RulesSet(key for key in self.old if key not in self.new)

    def changed_keys(self) -> RulesSet:
        return RulesSet(key for key in self.old if key in self.new and not values_equal(self.old[key], self.new[key]))

    def unchanged_keys(self) -> RulesSet:
        return RulesSet(key for key in self.old if key in self.new and values_equal(self.old[key], self.new[key]))

    def affected_keys(self) -> RulesSet:
        return RulesSet([*self.added_keys(), *self.removed_keys(), *self.changed_keys()])


class Unknown:
    """A value a list query leaves open (an unconstrained field, an unknown document id or path)."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"<unknown {self.what}>"


def type_name(value: Any) -> str:
    """The rules type of a Python value (``int`` and ``bool`` kept apart)."""
    if value is None:
        return "null"
    kind = type(value)
    name = _TYPE_NAMES.get(kind)
    if name is not None:
        return name
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Unknown):
        raise UnprovableError(f"value of {value.what} is not constrained by the query")
    if hasattr(value, "rules_type"):
        return str(value.rules_type)
    raise RulesEvalError(f"unsupported value type {kind.__name__}")


_TYPE_NAMES: dict[type, str] = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "string",
    bytes: "bytes",
    list: "list",
    tuple: "list",
    dict: "map",
    Path: "path",
    Duration: "duration",
    LatLng: "latlng",
    RulesSet: "set",
    MapDiff: "map_diff",
}


def is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def check_int(value: int) -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise RulesEvalError("integer overflow")
    return value


def values_equal(a: Any, b: Any) -> bool:
    """Rules ``==``: numbers by value (``1 == 1.0``), containers deeply, different types unequal."""
    type_a, type_b = type_name(a), type_name(b)
    if type_a != type_b:
        if type_a in ("int", "float") and type_b in ("int", "float"):
            return bool(a == b)
        return False
    if type_a == "list":
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if type_a == "map":
        return a.keys() == b.keys() and all(values_equal(a[key], b[key]) for key in a)
    if type_a == "set":
        return len(a) == len(b) and all(b.contains(item) for item in a)
    if type_a == "float":
        return bool(a == b) and not math.isnan(a)
    return bool(a == b)


def timestamp_from_millis(millis: int) -> datetime:
    from datetime import timedelta

    return EPOCH + timedelta(milliseconds=millis)


def timestamp_to_nanos(value: datetime) -> int:
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * NANOS_PER_SECOND + delta.microseconds * 1000
