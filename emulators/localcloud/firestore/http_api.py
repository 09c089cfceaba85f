"""The emulator's HTTP extras (same port as gRPC).

- ``GET /`` → ``Ok``
- ``DELETE /emulator/v1/projects/{p}/databases/{db}/documents`` → drop every document of that database
- ``GET /emulator/v1/projects/{p}/databases/{db}:stats`` → JSON document read/write/delete counts since
  the emulator started or since the last ``DELETE …:stats`` (clearing documents does not reset them)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from localcloud.firestore.frontdoor import HttpResponse
from localcloud.firestore.store import Store
from localcloud.firestore.timeutil import iso

_DATABASE = r"/emulator/v1/projects/(?P<project>[^/]+)/databases/(?P<database>[^/:]+)"
Route = tuple[str, re.Pattern[str], Callable[..., HttpResponse]]


class HttpApi:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._routes: list[Route] = []
        self.add_route("GET", r"/", lambda: HttpResponse(200, b"Ok"))
        self.add_route("DELETE", _DATABASE + r"/documents", self._clear)
        self.add_route("GET", _DATABASE + r":stats", self._stats)
        self.add_route("DELETE", _DATABASE + r":stats", self._reset_stats)

    def add_route(self, method: str, pattern: str, handler: Callable[..., HttpResponse]) -> None:
        """Register ``handler(**named groups, [body=bytes])``: the extension point for later HTTP extras."""
        self._routes.append((method, re.compile(pattern + r"/?"), handler))

    def __call__(self, method: str, target: str, headers: dict[str, str], body: bytes) -> HttpResponse:
        path = unquote(urlsplit(target).path)
        allowed = False
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if route_method != method:
                allowed = True
                continue
            kwargs = match.groupdict()
            if "body" in handler.__code__.co_varnames[: handler.__code__.co_argcount]:
                kwargs["body"] = body  # type: ignore[assignment]
            return handler(**kwargs)
        return HttpResponse(405 if allowed else 404, b"Method not allowed" if allowed else b"Not found")

    def _clear(self, project: str, database: str) -> HttpResponse:
        self._store.clear(f"projects/{project}/databases/{database}")
        return _json({})

    def _stats(self, project: str, database: str) -> HttpResponse:
        stats = self._store.stats(f"projects/{project}/databases/{database}")
        return _json(
            {
                "database": f"projects/{project}/databases/{database}",
                "since": iso(stats.since),
                "documentsRead": stats.reads,
                "documentsWritten": stats.writes,
                "documentsDeleted": stats.deletes,
                "queries": stats.queries,
            }
        )

    def _reset_stats(self, project: str, database: str) -> HttpResponse:
        self._store.reset_stats(f"projects/{project}/databases/{database}")
        return _json({})


def _json(payload: object) -> HttpResponse:
    return HttpResponse(200, json.dumps(payload).encode(), "application/json")
