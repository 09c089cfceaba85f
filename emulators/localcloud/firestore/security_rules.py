"""``PUT /emulator/v1/projects/{p}:securityRules``: load security rules into a running emulator.

Google's body: ``{"rules": {"files": [{"name": "firestore.rules", "content": "..."}]}}`` (the name is
optional; ``@firebase/rules-unit-testing`` sends only the content). The first rules loaded into an
emulator started without ``--rules`` switch it from allowing everything to enforcing them. A file that
does not parse is answered ``400`` with the issue's line and column in Google's error shape, and the
rules in force stay as they were. One ruleset serves every project of the emulator.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

from localcloud.firestore.auth import AllowAll, Authorizer
from localcloud.firestore.frontdoor import HttpResponse
from localcloud.firestore.http_api import HttpApi
from localcloud.firestore.service import FirestoreService

if TYPE_CHECKING:
    from localcloud.rules.firestore_authorizer import RulesAuthorizer
    from localcloud.rules.parser import RulesSyntaxError

ROUTE = r"/emulator/v1/projects/(?P<project>[^/:]+):securityRules"


class SecurityRulesApi:
    def __init__(self, service: FirestoreService, authorizer: Authorizer | None) -> None:
        self._service = service
        self._rules: RulesAuthorizer | None = None
        if authorizer is not None and not isinstance(authorizer, AllowAll):
            # The rules engine is imported only once rules are given (``--rules`` or a PUT).
            from localcloud.rules.firestore_authorizer import RulesAuthorizer

            self._rules = authorizer if isinstance(authorizer, RulesAuthorizer) else None
        self._lock = threading.Lock()

    def install(self, http: HttpApi) -> None:
        http.add_route("PUT", ROUTE, self.put)

    def put(self, project: str, body: bytes) -> HttpResponse:
        from localcloud.rules.engine import Ruleset
        from localcloud.rules.firestore_authorizer import RulesAuthorizer, rules_source_from_body
        from localcloud.rules.parser import RulesSyntaxError

        try:
            source = rules_source_from_body(body)
            ruleset = Ruleset.parse(source)
        except RulesSyntaxError as exc:
            return _syntax_error(exc)
        except ValueError as exc:  # not JSON at all
            return _error(400, f"Invalid JSON body: {exc}", "INVALID_ARGUMENT")
        with self._lock:
            if self._rules is None:
                self._rules = RulesAuthorizer(ruleset)
                self._service.set_authorizer(self._rules)
            else:
                self._rules.replace_rules(source)
        return HttpResponse(200, b"{}", "application/json")


def _syntax_error(exc: RulesSyntaxError) -> HttpResponse:
    issue = {
        "sourcePosition": {"fileName": "firestore.rules", "line": exc.line, "column": exc.column},
        "description": exc.message,
        "severity": "ERROR",
    }
    return _error(
        400,
        f"Line {exc.line}, column {exc.column}: {exc.message}",
        "INVALID_ARGUMENT",
        details=[{"@type": "type.googleapis.com/google.firebase.rules.v1.Issues", "issues": [issue]}],
    )


def _error(code: int, message: str, status: str, details: list[object] | None = None) -> HttpResponse:
    payload: dict[str, object] = {"code": code, "message": message, "status": status}
    if details:
        payload["details"] = details
    return HttpResponse(code, json.dumps({"error": payload}).encode(), "application/json")
