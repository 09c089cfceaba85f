"""What every endpoint handler needs: the salon's repositories, governance stores and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from salonflow.adapters.firestore.governance_audit import AuditLogWriter
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.api.http import RouteContext, not_found

DEFAULT_TIMEZONE = "Asia/Kolkata"


@dataclass(frozen=True)
class ApiDeps:
    firestore: Callable[[], Any]
    clock: Callable[[], datetime]
    # The side-effect ports (Twilio, Pub/Sub, Cloud Tasks) — only the endpoints that act need them.
    ports: Callable[[], Any] = lambda: None


@dataclass(frozen=True)
class Salon:
    """One request's view of its salon, built lazily so a plain GET pays for nothing extra."""

    deps: ApiDeps
    route: RouteContext

    @property
    def id(self) -> str:
        return self.route.salon_id

    @cached_property
    def repos(self) -> SalonRepositories:
        return SalonRepositories(self.deps.firestore(), self.route.salon_id)

    @cached_property
    def audit(self) -> AuditLogWriter:
        return AuditLogWriter(self.deps.firestore(), self.route.salon_id)

    def timezone(self) -> ZoneInfo:
        salon = self.repos.salon.get()
        return ZoneInfo(salon.timezone if salon is not None else DEFAULT_TIMEZONE)

    def require(self, repository: Any, doc_id: str, what: str) -> Any:
        found = repository.get(doc_id)
        if found is None:
            raise not_found(what)
        return found
