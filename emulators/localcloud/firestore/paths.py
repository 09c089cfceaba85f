"""Firestore resource names and field paths: parsing and Firestore's ordering of document names.

Document names order segment by segment. A segment written ``__id<n>__`` is a numeric id: numeric ids sort
before string ids and among themselves by number; string segments compare by UTF-8 bytes, which for valid
Unicode is the same as Python's code-point order.
"""

from __future__ import annotations

import re
from functools import lru_cache

DOCUMENTS_MARKER = "/documents"
_NUMERIC_ID = re.compile(r"__id(-?\d+)__")

SegmentKey = tuple[int, int | str]
NameKey = tuple[SegmentKey, ...]


class InvalidPathError(ValueError):
    """A resource name or field path that Firestore would reject."""


def segment_key(segment: str) -> SegmentKey:
    match = _NUMERIC_ID.fullmatch(segment)
    if match is not None:
        number = int(match.group(1))
        if -(2**63) <= number < 2**63:
            return (0, number)
    return (1, segment)


@lru_cache(maxsize=65536)
def name_key(name: str) -> NameKey:
    """A sort key for a full document resource name (or any slash-separated path)."""
    return tuple(segment_key(segment) for segment in name.split("/"))


def compare_document_names(a: str, b: str) -> int:
    key_a, key_b = name_key(a), name_key(b)
    return (key_a > key_b) - (key_a < key_b)


def split_resource_name(name: str) -> tuple[str, str]:
    """Split ``projects/p/databases/d/documents[/rel/path]`` into (database root, relative path)."""
    index = name.find(DOCUMENTS_MARKER)
    if not name.startswith("projects/") or index < 0:
        raise InvalidPathError(f"Invalid resource name: {name!r}")
    end = index + len(DOCUMENTS_MARKER)
    root, rest = name[:end], name[end:]
    if rest and not rest.startswith("/"):
        raise InvalidPathError(f"Invalid resource name: {name!r}")
    return root, rest[1:]


def database_root(name: str) -> str:
    """``projects/p/databases/d/documents`` for any name inside that database."""
    return split_resource_name(name)[0]


def relative_segments(name: str) -> tuple[str, ...]:
    """Path segments after ``/documents`` (empty for the database root)."""
    relative = split_resource_name(name)[1]
    return tuple(relative.split("/")) if relative else ()


def document_id(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def parent_collection_id(name: str) -> str:
    """The id of the collection that directly contains the document ``name``."""
    segments = relative_segments(name)
    if len(segments) < 2:
        raise InvalidPathError(f"Not a document name: {name!r}")
    return segments[-2]


def parent_of(name: str) -> str:
    """The resource name of the collection containing a document, or of the document containing a collection."""
    return name.rsplit("/", 1)[0]


def is_document_name(name: str) -> bool:
    try:
        segments = relative_segments(name)
    except InvalidPathError:
        return False
    return len(segments) >= 2 and len(segments) % 2 == 0 and all(segments)


def is_direct_child(parent: str, collection_id: str, name: str) -> bool:
    """Whether document ``name`` lives in collection ``collection_id`` directly under ``parent``."""
    prefix = f"{parent}/{collection_id}/"
    return name.startswith(prefix) and "/" not in name[len(prefix) :]


def is_descendant(parent: str, name: str) -> bool:
    """Whether ``name`` is strictly below ``parent`` (a database root or a document)."""
    return name.startswith(parent + "/")


# ---------------------------------------------------------------------------------------------------------
# Field paths: ``a.b.c`` with back-quoted segments for anything that is not a simple identifier,
# e.g. ``a.`b.c`.`x\`y` `` -> ("a", "b.c", "x`y").

_SIMPLE_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


@lru_cache(maxsize=4096)
def parse_field_path(path: str) -> tuple[str, ...]:
    if not path:
        raise InvalidPathError("Field path must not be empty.")
    segments: list[str] = []
    i, length = 0, len(path)
    while True:
        if i < length and path[i] == "`":
            i += 1
            chars: list[str] = []
            while True:
                if i >= length:
                    raise InvalidPathError(f"Invalid field path ({path}). Unterminated back-quote.")
                char = path[i]
                if char == "\\":
                    if i + 1 >= length:
                        raise InvalidPathError(f"Invalid field path ({path}). Trailing escape character.")
                    chars.append(path[i + 1])
                    i += 2
                elif char == "`":
                    i += 1
                    break
                else:
                    chars.append(char)
                    i += 1
            segment = "".join(chars)
            if not segment:
                raise InvalidPathError(f"Invalid field path ({path}). Empty segment.")
        else:
            end = path.find(".", i)
            end = length if end < 0 else end
            segment = path[i:end]
            if not segment or "`" in segment:
                raise InvalidPathError(f"Invalid field path ({path}).")
            i = end
        segments.append(segment)
        if i == length:
            return tuple(segments)
        if path[i] != ".":
            raise InvalidPathError(f"Invalid field path ({path}).")
        i += 1
        if i == length:
            raise InvalidPathError(f"Invalid field path ({path}). Trailing dot.")


def quote_segment(segment: str) -> str:
    if _SIMPLE_SEGMENT.fullmatch(segment):
        return segment
    escaped = segment.replace("\\", "\\\\").replace("`", "\\`")
    return f"`{escaped}`"


def format_field_path(segments: tuple[str, ...]) -> str:
    return ".".join(quote_segment(segment) for segment in segments)
