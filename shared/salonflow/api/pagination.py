"""Opaque page tokens for list endpoints.

A token carries the last item's sort key and a fingerprint of the filters it was issued for, so a
token replayed with other filters is refused instead of silently skipping or repeating items.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from salonflow.api.http import ApiError, ApiRequest

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class PageRequest:
    size: int
    after: list[Any] | None
    fingerprint: str


def filters_fingerprint(filters: Mapping[str, Any]) -> str:
    canonical = json.dumps({k: v for k, v in sorted(filters.items()) if v is not None}, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def page_request(request: ApiRequest, filters: Mapping[str, Any]) -> PageRequest:
    raw_size = request.query_value("page_size")
    try:
        size = DEFAULT_PAGE_SIZE if raw_size is None else int(raw_size)
    except ValueError as error:
        raise ApiError(400, "invalid_page_size", "page_size must be an integer") from error
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(400, "invalid_page_size", f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    fingerprint = filters_fingerprint(filters)
    token = request.query_value("page_token")
    if not token:
        return PageRequest(size=size, after=None, fingerprint=fingerprint)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        after, issued_for = decoded["after"], decoded["f"]
    except (ValueError, KeyError, TypeError) as error:
        raise ApiError(400, "invalid_page_token", "page_token is not a token this API issued") from error
    if issued_for != fingerprint or not isinstance(after, list):
        raise ApiError(400, "invalid_page_token", "page_token was issued for different filters")
    return PageRequest(size=size, after=after, fingerprint=fingerprint)


def next_page_token(after: list[Any], fingerprint: str) -> str:
    raw = json.dumps({"after": after, "f": fingerprint}, default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
