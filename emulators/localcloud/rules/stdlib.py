"""Methods and namespace functions of the rules language (strings, lists, maps, sets, timestamps ...)."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from localcloud.rules.values import (
    NANOS_PER_SECOND,
    Duration,
    LatLng,
    MapDiff,
    Path,
    RulesEvalError,
    RulesSet,
    check_int,
    is_number,
    timestamp_from_millis,
    timestamp_to_nanos,
    type_name,
    values_equal,
)

Method = Callable[..., Any]


def fail(message: str) -> RulesEvalError:
    return RulesEvalError(message)


def expect(value: Any, *types: str) -> Any:
    actual = type_name(value)
    if actual not in types and not ("number" in types and actual in ("int", "float")):
        raise fail(f"expected {' or '.join(types)}, got {actual}")
    return value


def expect_int(value: Any) -> int:
    return int(expect(value, "int"))


@lru_cache(maxsize=512)
def compile_regex(pattern: str) -> re.Pattern[str]:
    # RE2 syntax is (for the patterns rules use) a subset of Python's; RE2 has no backreferences.
    try:
        return re.compile(pattern)
    except re.error as error:
        raise fail(f"invalid regular expression {pattern!r}: {error}") from error


def collection_items(value: Any) -> list[Any]:
    kind = type_name(value)
    if kind == "list":
        return list(value)
    if kind == "set":
        return list(value)
    raise fail(f"expected list or set, got {kind}")


def contains(items: list[Any] | RulesSet, value: Any) -> bool:
    if isinstance(items, RulesSet):
        return items.contains(value)
    return any(values_equal(value, item) for item in items)


# -- strings ----------------------------------------------------------------------------------------
def _string_split(value: str, pattern: Any) -> list[str]:
    return compile_regex(expect(pattern, "string")).split(value)


def _string_replace(value: str, pattern: Any, replacement: Any) -> str:
    text = expect(replacement, "string")
    return compile_regex(expect(pattern, "string")).sub(lambda _match: text, value)


STRING_METHODS: dict[str, Method] = {
    "size": lambda value: len(value),
    "matches": lambda value, pattern: compile_regex(expect(pattern, "string")).fullmatch(value) is not None,
    "lower": lambda value: value.lower(),
    "upper": lambda value: value.upper(),
    "trim": lambda value: value.strip(" \t\n\r\f\v"),
    "split": _string_split,
    "replace": _string_replace,
    "toUtf8": lambda value: value.encode("utf-8"),
}


# -- bytes ------------------------------------------------------------------------------------------
BYTES_METHODS: dict[str, Method] = {
    "size": lambda value: len(value),
    "toBase64": lambda value: base64.b64encode(value).decode("ascii"),
    "toHexString": lambda value: value.hex().upper(),
}


# -- lists and sets -----------------------------------------------------------------------------------
def _has_all(value: Any, other: Any) -> bool:
    return all(contains(value, item) for item in collection_items(other))


def _has_any(value: Any, other: Any) -> bool:
    return any(contains(value, item) for item in collection_items(other))


def _has_only(value: Any, other: Any) -> bool:
    allowed = collection_items(other)
    return all(contains(allowed, item) for item in value)


def _join(value: list[Any], separator: Any) -> str:
    text = expect(separator, "string")
    return text.join(expect(item, "string") for item in value)


def _remove_all(value: list[Any], other: Any) -> list[Any]:
    removed = collection_items(other)
    return [item for item in value if not contains(removed, item)]


LIST_METHODS: dict[str, Method] = {
    "size": lambda value: len(value),
    "hasAll": _has_all,
    "hasAny": _has_any,
    "hasOnly": _has_only,
    "join": _join,
    "concat": lambda value, other: [*value, *expect(other, "list")],
    "removeAll": _remove_all,
    "toSet": lambda value: RulesSet(value),
}

SET_METHODS: dict[str, Method] = {
    "size": lambda value: len(value),
    "hasAll": _has_all,
    "hasAny": _has_any,
    "hasOnly": _has_only,
    "union": lambda value, other: RulesSet([*value, *collection_items(other)]),
    "intersection": lambda value, other: RulesSet(item for item in value if contains(collection_items(other), item)),
    "difference": lambda value, other: RulesSet(item for item in value if not contains(collection_items(other), item)),
}


# -- maps -------------------------------------------------------------------------------------------
def map_get(value: dict[str, Any], key: Any, default: Any) -> Any:
    if type_name(key) == "list":
        current: Any = value
        for part in key:
            if type_name(current) != "map" or expect(part, "string") not in current:
                return default
            current = current[part]
        return current
    return value.get(expect(key, "string"), default)


MAP_METHODS: dict[str, Method] = {
    "keys": lambda value: list(value.keys()),
    "values": lambda value: list(value.values()),
    "size": lambda value: len(value),
    "get": map_get,
    "diff": lambda value, other: MapDiff(value, expect(other, "map")),
}

MAP_DIFF_METHODS: dict[str, Method] = {
    "addedKeys": MapDiff.added_keys,
    "removedKeys": MapDiff.removed_keys,
    "changedKeys": MapDiff.changed_keys,
    "affectedKeys": MapDiff.affected_keys,
    "unchangedKeys": MapDiff.unchanged_keys,
}


# -- timestamps and durations --------------------------------------------------------------------------
def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


TIMESTAMP_METHODS: dict[str, Method] = {
    "date": lambda value: _utc(value).replace(hour=0, minute=0, second=0, microsecond=0),
    "year": lambda value: _utc(value).year,
    "month": lambda value: _utc(value).month,
    "day": lambda value: _utc(value).day,
    "hours": lambda value: _utc(value).hour,
    "minutes": lambda value: _utc(value).minute,
    "seconds": lambda value: _utc(value).second,
    "nanos": lambda value: _utc(value).microsecond * 1000,
    "dayOfWeek": lambda value: _utc(value).isoweekday(),
    "dayOfYear": lambda value: _utc(value).timetuple().tm_yday,
    "time": lambda value: Duration(timestamp_to_nanos(value) % (86400 * NANOS_PER_SECOND)),
    "toMillis": lambda value: timestamp_to_nanos(value) // 1_000_000,
}

DURATION_METHODS: dict[str, Method] = {
    "seconds": Duration.seconds,
    "nanos": Duration.nanos,
}

_UNIT_NANOS = {
    "w": 7 * 86400 * NANOS_PER_SECOND,
    "d": 86400 * NANOS_PER_SECOND,
    "h": 3600 * NANOS_PER_SECOND,
    "m": 60 * NANOS_PER_SECOND,
    "s": NANOS_PER_SECOND,
    "ms": 1_000_000,
    "ns": 1,
}


def _duration_value(magnitude: Any, unit: Any) -> Duration:
    scale = _UNIT_NANOS.get(expect(unit, "string"))
    if scale is None:
        raise fail(f"unknown duration unit {unit!r}")
    return Duration(expect_int(magnitude) * scale)


def _duration_time(hours: Any, minutes: Any, seconds: Any, nanos: Any) -> Duration:
    total = expect_int(hours) * 3600 + expect_int(minutes) * 60 + expect_int(seconds)
    return Duration(total * NANOS_PER_SECOND + expect_int(nanos))


def _timestamp_date(year: Any, month: Any, day: Any) -> datetime:
    try:
        return datetime(expect_int(year), expect_int(month), expect_int(day), tzinfo=UTC)
    except ValueError as error:
        raise fail(f"invalid date: {error}") from error


def _timestamp_value(millis: Any) -> datetime:
    try:
        return timestamp_from_millis(expect_int(millis))
    except OverflowError as error:
        raise fail("timestamp out of range") from error


# -- math ---------------------------------------------------------------------------------------------
def _float(value: Any) -> float:
    return float(expect(value, "number"))


def _to_int(value: float) -> int:
    if math.isnan(value) or math.isinf(value):
        raise fail("cannot convert NaN or infinity to int")
    return check_int(int(value))


def _round_half_away(value: Any) -> int:
    number = _float(value)
    return _to_int(math.floor(abs(number) + 0.5) * (1 if number >= 0 else -1))


def _abs(value: Any) -> Any:
    expect(value, "number")
    return check_int(abs(value)) if type(value) is int else abs(value)


def _pow(base: Any, exponent: Any) -> float:
    try:
        return math.pow(_float(base), _float(exponent))
    except (OverflowError, ValueError) as error:
        raise fail(f"math.pow: {error}") from error


def _sqrt(value: Any) -> float:
    number = _float(value)
    if number < 0:
        raise fail("math.sqrt of a negative number")
    return math.sqrt(number)


def _distance(a: LatLng, b: Any) -> float:
    other = expect(b, "latlng")
    lat1, lat2 = math.radians(a.latitude), math.radians(other.latitude)
    d_lat = lat2 - lat1
    d_lng = math.radians(other.longitude - a.longitude)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lng / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(math.sqrt(h))


def _latlng(latitude: Any, longitude: Any) -> LatLng:
    lat, lng = _float(latitude), _float(longitude)
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise fail("latlng out of range")
    return LatLng(lat, lng)


LATLNG_METHODS: dict[str, Method] = {
    "latitude": lambda value: value.latitude,
    "longitude": lambda value: value.longitude,
    "distance": _distance,
}

NAMESPACES: dict[str, dict[str, Method]] = {
    "math": {
        "abs": _abs,
        "ceil": lambda value: _to_int(math.ceil(_float(value))),
        "floor": lambda value: _to_int(math.floor(_float(value))),
        "round": _round_half_away,
        "sqrt": _sqrt,
        "pow": _pow,
        "isNaN": lambda value: math.isnan(_float(value)),
        "isInfinite": lambda value: math.isinf(_float(value)),
    },
    "timestamp": {"date": _timestamp_date, "value": _timestamp_value},
    "duration": {
        "value": _duration_value,
        "time": _duration_time,
        "abs": lambda value: Duration(abs(expect(value, "duration").nanos_total)),
    },
    "latlng": {"value": _latlng},
}

METHODS_BY_TYPE: dict[str, dict[str, Method]] = {
    "string": STRING_METHODS,
    "bytes": BYTES_METHODS,
    "list": LIST_METHODS,
    "set": SET_METHODS,
    "map": MAP_METHODS,
    "map_diff": MAP_DIFF_METHODS,
    "timestamp": TIMESTAMP_METHODS,
    "duration": DURATION_METHODS,
    "latlng": LATLNG_METHODS,
}


# -- conversions ----------------------------------------------------------------------------------------
def to_int(value: Any) -> int:
    kind = type_name(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return _to_int(value)
    if kind == "string":
        try:
            return check_int(int(value.strip()))
        except ValueError as error:
            raise fail(f"int(): not an integer: {value!r}") from error
    raise fail(f"int(): cannot convert {kind}")


def to_float(value: Any) -> float:
    kind = type_name(value)
    if kind in ("int", "float"):
        return float(value)
    if kind == "string":
        try:
            return float(value.strip())
        except ValueError as error:
            raise fail(f"float(): not a number: {value!r}") from error
    raise fail(f"float(): cannot convert {kind}")


def to_string(value: Any) -> str:
    kind = type_name(value)
    if kind == "string":
        return str(value)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "null":
        return "null"
    if kind in ("int", "float", "path"):
        return str(value)
    raise fail(f"string(): cannot convert {kind}")


def to_path(value: Any) -> Path:
    return Path.parse(expect(value, "string"))


# -- arithmetic and comparison -----------------------------------------------------------------------
def _add_duration(moment: datetime, span: Duration) -> datetime:
    try:
        return moment + timedelta(microseconds=span.nanos_total // 1000)
    except OverflowError as error:
        raise fail("timestamp out of range") from error


def add(left: Any, right: Any) -> Any:
    kind_l, kind_r = type_name(left), type_name(right)
    if kind_l == "int" and kind_r == "int":
        return check_int(left + right)
    if is_number(left) and is_number(right):
        return float(left) + float(right)
    if kind_l == kind_r == "string":
        return left + right
    if kind_l == kind_r == "list":
        return [*left, *right]
    if kind_l == kind_r == "duration":
        return Duration(left.nanos_total + right.nanos_total)
    if kind_l == "timestamp" and kind_r == "duration":
        return _add_duration(left, right)
    if kind_l == "duration" and kind_r == "timestamp":
        return _add_duration(right, left)
    raise fail(f"cannot add {kind_l} and {kind_r}")


def subtract(left: Any, right: Any) -> Any:
    kind_l, kind_r = type_name(left), type_name(right)
    if kind_l == "int" and kind_r == "int":
        return check_int(left - right)
    if is_number(left) and is_number(right):
        return float(left) - float(right)
    if kind_l == kind_r == "timestamp":
        return Duration(timestamp_to_nanos(left) - timestamp_to_nanos(right))
    if kind_l == "timestamp" and kind_r == "duration":
        return _add_duration(left, Duration(-right.nanos_total))
    if kind_l == kind_r == "duration":
        return Duration(left.nanos_total - right.nanos_total)
    raise fail(f"cannot subtract {kind_r} from {kind_l}")


def multiply(left: Any, right: Any) -> Any:
    kind_l, kind_r = type_name(left), type_name(right)
    if kind_l == "int" and kind_r == "int":
        return check_int(left * right)
    if is_number(left) and is_number(right):
        return float(left) * float(right)
    raise fail(f"cannot multiply {kind_l} and {kind_r}")


def divide(left: Any, right: Any) -> Any:
    kind_l, kind_r = type_name(left), type_name(right)
    if kind_l == "int" and kind_r == "int":
        if right == 0:
            raise fail("division by zero")
        quotient = abs(left) // abs(right)
        return check_int(quotient if (left >= 0) == (right >= 0) else -quotient)
    if is_number(left) and is_number(right):
        if right == 0:
            raise fail("division by zero")
        return float(left) / float(right)
    raise fail(f"cannot divide {kind_l} by {kind_r}")


def modulo(left: Any, right: Any) -> Any:
    kind_l, kind_r = type_name(left), type_name(right)
    if kind_l == "int" and kind_r == "int":
        if right == 0:
            raise fail("modulo by zero")
        return left - divide(left, right) * right
    if is_number(left) and is_number(right):
        if right == 0:
            raise fail("modulo by zero")
        return math.fmod(float(left), float(right))
    raise fail(f"cannot take {kind_l} modulo {kind_r}")


_ORDERED = {"int", "float", "string", "timestamp", "duration", "bytes"}


def compare(op: str, left: Any, right: Any) -> bool:
    kind_l, kind_r = type_name(left), type_name(right)
    comparable = (kind_l == kind_r and kind_l in _ORDERED) or (is_number(left) and is_number(right))
    if not comparable:
        raise fail(f"cannot compare {kind_l} with {kind_r}")
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def membership(value: Any, container: Any) -> bool:
    kind = type_name(container)
    if kind == "list":
        return contains(container, value)
    if kind == "set":
        return bool(container.contains(value))
    if kind == "map":
        return expect(value, "string") in container
    raise fail(f"'in' needs a list, set or map, got {kind}")


def is_type(value: Any, wanted: str) -> bool:
    kind = type_name(value)
    if wanted == "number":
        return kind in ("int", "float")
    return kind == wanted
