"""Firestore triggers: deliver document changes to functions as Google's 2nd-gen CloudEvents.

A functions host registers a trigger over HTTP (our extension; Google's emulator has its own
private one):

    PUT    /emulator/v1/projects/{p}/triggers/{name}
           {"eventType": "google.cloud.firestore.document.v1.written", "document": "salons/{salonId}/bookings/{id}",
            "database": "(default)", "url": "http://127.0.0.1:5001/p/asia-south1/fn", "retry": false}
    DELETE /emulator/v1/projects/{p}/triggers/{name}
    GET    /emulator/v1/projects/{p}/triggers

Each matching change is POSTed in binary content mode with an ``application/protobuf``
``DocumentEventData`` body and the ``ce-*`` attributes the firebase-functions SDK reads. Like
production, delivery is at least once and not ordered across documents; with ``retry`` a failed
delivery (non-2xx or no answer) is retried with exponential backoff for a bounded number of attempts.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from localcloud.activity import ACTIVITY_PATH, PendingWork, activity_json
from localcloud.firestore.frontdoor import HttpResponse
from localcloud.firestore.http_api import HttpApi
from localcloud.firestore.store import CommitEvent, DocumentChange, Store
from localcloud.firestore.timeutil import iso

log = logging.getLogger("localcloud.firestore.triggers")

EVENT_PREFIX = "google.cloud.firestore.document.v1."
EVENT_KINDS = ("created", "updated", "deleted", "written")
MAX_ATTEMPTS_WITH_RETRY = 6
FIRST_BACKOFF_S = 0.2
DELIVERY_THREADS = 4


@dataclass(frozen=True)
class Trigger:
    name: str
    project: str
    event_type: str
    database: str
    document_pattern: str
    url: str
    retry: bool

    @property
    def kind(self) -> str:
        return self.event_type.removeprefix(EVENT_PREFIX).removesuffix(".withAuthContext")

    def matches(self, database: str, document_path: str, change: DocumentChange) -> bool:
        if database != f"projects/{self.project}/databases/{self.database}":
            return False
        if _pattern_regex(self.document_pattern).fullmatch(document_path) is None:
            return False
        if self.kind == "created":
            return change.old is None and change.new is not None
        if self.kind == "updated":
            return change.old is not None and change.new is not None
        if self.kind == "deleted":
            return change.old is not None and change.new is None
        return True


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for segment in pattern.strip("/").split("/"):
        if re.fullmatch(r"\{[^=}]+=\*\*\}", segment):
            parts.append(r"[^/]+(?:/[^/]+)*")
        elif re.fullmatch(r"\{[^}]+\}", segment) or segment == "*":
            parts.append(r"[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/".join(parts))


@dataclass(frozen=True)
class Delivery:
    trigger: Trigger
    headers: dict[str, str]
    body: bytes


class TriggerDispatcher:
    def __init__(self, store: Store) -> None:
        self._triggers: dict[tuple[str, str], Trigger] = {}
        self._lock = threading.Lock()
        self._store = store
        self._outbox: queue.Queue[Delivery | None] = queue.Queue()
        self._work = PendingWork()
        self._workers = [
            threading.Thread(target=self._deliver_forever, name=f"trigger-{i}", daemon=True)
            for i in range(DELIVERY_THREADS)
        ]
        for worker in self._workers:
            worker.start()
        store.subscribe(self._on_commit)

    def install(self, http: HttpApi) -> None:
        base = r"/emulator/v1/projects/(?P<project>[^/]+)/triggers"
        http.add_route("GET", base, self._list)
        http.add_route("PUT", base + r"/(?P<name>[^/]+)", self._register)
        http.add_route("DELETE", base + r"/(?P<name>[^/]+)", self._unregister)
        http.add_route("GET", ACTIVITY_PATH, lambda: HttpResponse(200, activity_json(self._work.pending),
                                                                  "application/json"))

    def close(self) -> None:
        for _ in self._workers:
            self._outbox.put(None)

    # --- HTTP routes -------------------------------------------------------------------------
    def _register(self, project: str, name: str, body: bytes) -> HttpResponse:
        try:
            spec = json.loads(body or b"{}")
            event_type = str(spec["eventType"])
            trigger = Trigger(
                name=name,
                project=project,
                event_type=event_type,
                database=str(spec.get("database", "(default)")),
                document_pattern=str(spec["document"]),
                url=str(spec["url"]),
                retry=bool(spec.get("retry", False)),
            )
        except (KeyError, ValueError, TypeError) as error:
            return _json(400, {"error": f"invalid trigger: {error}"})
        if trigger.kind not in EVENT_KINDS or not event_type.startswith(EVENT_PREFIX):
            return _json(400, {"error": f"unsupported eventType {event_type}"})
        with self._lock:
            self._triggers[(project, name)] = trigger
        return _json(200, {"name": name})

    def _unregister(self, project: str, name: str) -> HttpResponse:
        with self._lock:
            self._triggers.pop((project, name), None)
        return _json(200, {})

    def _list(self, project: str) -> HttpResponse:
        with self._lock:
            triggers = [t for (p, _), t in self._triggers.items() if p == project]
        return _json(200, {"triggers": [{"name": t.name, "eventType": t.event_type, "document": t.document_pattern,
                                         "database": t.database, "url": t.url, "retry": t.retry} for t in triggers]})

    # --- change feed -------------------------------------------------------------------------
    def _on_commit(self, event: CommitEvent) -> None:
        # Runs inside the commit: only match and enqueue; building and sending happen in workers.
        with self._lock:
            triggers = list(self._triggers.values())
        if not triggers:
            return
        root = event.database + "/documents/"
        for change in event.changes:
            path = change.name.removeprefix(root)
            for trigger in triggers:
                if trigger.matches(event.database, path, change):
                    delivery = _delivery(trigger, path, change, event.commit_time)
                    self._work.begin()  # counted before the commit answers, so no one sees a gap
                    self._outbox.put(delivery)

    def _deliver_forever(self) -> None:
        while (delivery := self._outbox.get()) is not None:
            try:
                self._deliver(delivery)
            finally:
                self._work.end()

    def _deliver(self, delivery: Delivery) -> None:
        # A function must never see a change that a crash could still take back.
        self._store.await_durable()
        attempts = MAX_ATTEMPTS_WITH_RETRY if delivery.trigger.retry else 1
        backoff = FIRST_BACKOFF_S
        for attempt in range(1, attempts + 1):
            if _post(delivery):
                return
            if attempt < attempts:
                time.sleep(backoff)
                backoff *= 2
        log.warning("gave up delivering %s to %s", delivery.headers["ce-id"], delivery.trigger.url)


def _delivery(trigger: Trigger, path: str, change: DocumentChange, commit_time: int) -> Delivery:
    from google.events.cloud.firestore import Document, DocumentEventData, DocumentMask

    data = DocumentEventData()
    if change.new is not None:
        data.value = Document.deserialize(change.new.SerializeToString())
    if change.old is not None:
        data.old_value = Document.deserialize(change.old.SerializeToString())
    if change.old is not None and change.new is not None:
        changed = sorted(
            key for key in set(change.old.fields) | set(change.new.fields)
            if key not in change.old.fields or key not in change.new.fields
            or change.old.fields[key] != change.new.fields[key]
        )
        data.update_mask = DocumentMask(field_paths=changed)
    database_name = f"projects/{trigger.project}/databases/{trigger.database}"
    headers = {
        "content-type": "application/protobuf",
        "ce-specversion": "1.0",
        "ce-id": uuid.uuid4().hex,
        "ce-source": f"//firestore.googleapis.com/{database_name}",
        "ce-type": trigger.event_type,
        "ce-subject": f"documents/{path}",
        "ce-time": iso(commit_time),
        "ce-location": "asia-south1",
        "ce-project": trigger.project,
        "ce-database": trigger.database,
        "ce-namespace": "(default)",
        "ce-document": path,
    }
    return Delivery(trigger=trigger, headers=headers, body=DocumentEventData.serialize(data))


def _post(delivery: Delivery) -> bool:
    import urllib.error  # only once a trigger fires: not part of every start-up
    import urllib.request

    request = urllib.request.Request(delivery.trigger.url, data=delivery.body, headers=delivery.headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError):
        return False


def _json(status: int, payload: Any) -> HttpResponse:
    return HttpResponse(status, json.dumps(payload).encode(), "application/json")
