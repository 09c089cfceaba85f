"""The Listen bidi stream: document and query targets kept in sync with the store's change feed.

Per target the session remembers the result set it last sent. A commit touching a target (a listed
document, or a document the query matched before or after) makes every affected target re-read
at one common read time and send the difference: ``document_change`` for new/changed documents,
``document_delete``/``document_remove`` for ones that left, then one global ``NO_CHANGE`` with the
read time (and a resume token) — the point at which clients raise a snapshot.

Resume tokens are the read time in microseconds; a target added with one (or with ``read_time``) is
re-read at that time from the version history and only the difference to now is sent.

Document targets and queries whose results are a pure filter (no cursor, offset, limit, projection or
nearest-neighbour step: what listeners almost always are) are not re-read on a commit: the commit's
changed documents are matched against the target and the difference is applied directly, at the
commit's time. A write into a collection a hundred listeners watch then costs each of them the changed
document, not a re-read of the whole collection.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.firestore import errors, protos
from localcloud.firestore import query as query_engine
from localcloud.firestore.auth import Caller
from localcloud.firestore.service import FirestoreService, database_of, validate_parent
from localcloud.firestore.store import CommitEvent, Store, validate_document_name
from localcloud.firestore.timeutil import fill_timestamp, to_micros

if TYPE_CHECKING:
    from localcloud.firestore.query import QueryPlan

NO_CHANGE = 0
ADD = 1
REMOVE = 2
CURRENT = 3
RESET = 4

_CLOSE = object()


def resume_token(micros: int) -> bytes:
    return micros.to_bytes(8, "big")


def _token_time(token: bytes) -> int | None:
    return int.from_bytes(token, "big") if len(token) == 8 else None


@dataclass
class _Target:
    target_id: int
    names: frozenset[str] = frozenset()  # document target
    parent: str = ""  # query target
    query: Any | None = None
    plan: QueryPlan | None = None  # the compiled query
    once: bool = False
    docs: dict[str, Any] = field(default_factory=dict)  # what the client was last told
    synced_at: int = 0

    @property
    def incremental(self) -> bool:
        """Whether commits can be applied document by document instead of re-reading the target."""
        return self.plan is None or self.plan.filters_only

    def affected_by(self, event: CommitEvent) -> bool:
        if event.commit_time <= self.synced_at:
            return False
        if self.plan is None:
            return any(change.name in self.names for change in event.changes)
        parent = self.parent.rstrip("/")
        for change in event.changes:
            for doc in (change.old, change.new):
                if doc is not None and self.plan.matches(parent, doc):
                    return True
        return False

    def includes(self, doc: Any) -> bool:
        """Whether ``doc`` (a document as committed) belongs in an ``incremental`` target's results."""
        if self.plan is None:
            return doc.name in self.names
        return self.plan.includes(self.parent.rstrip("/"), doc)


class ListenSession:
    def __init__(self, store: Store, caller: Caller, service: FirestoreService) -> None:
        self._store = store
        self._caller = caller
        self._service = service
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._targets: dict[int, _Target] = {}
        self._database: str | None = None
        self._next_assigned_id = 1 << 30
        self._sent_through = 0  # read time of the last global snapshot sent
        self._watched: tuple[_Target, ...] = ()  # read by committing threads; replaced, never mutated

    def close(self) -> None:
        self._inbox.put(_CLOSE)

    def run(self, requests: Iterator[Any]) -> Iterator[Any]:
        unsubscribe = self._store.subscribe(self._on_commit)
        threading.Thread(
            target=self._read_requests, args=(requests,), name="listen-reader", daemon=True
        ).start()
        try:
            while True:
                item = self._inbox.get()
                if item is _CLOSE:
                    return
                if isinstance(item, CommitEvent):
                    events = [item]
                    follow_up = None
                    # Coalesce a burst of commits into one re-read per target.
                    while True:
                        try:
                            nxt = self._inbox.get_nowait()
                        except queue.Empty:
                            break
                        if isinstance(nxt, CommitEvent):
                            events.append(nxt)
                        else:
                            follow_up = nxt
                            break
                    yield from self._on_events(events)
                    if follow_up is _CLOSE:
                        return
                    if follow_up is not None:
                        yield from self._on_request(follow_up)
                else:
                    yield from self._on_request(item)
        finally:
            unsubscribe()

    def _read_requests(self, requests: Iterator[Any]) -> None:
        try:
            for request in requests:
                self._inbox.put(request)
        except Exception:  # the client went away; the stream simply ends
            pass
        self._inbox.put(_CLOSE)

    def _on_commit(self, event: CommitEvent) -> None:
        # Runs inside every commit of the emulator: only a commit touching one of this stream's targets
        # wakes the stream's thread (a hundred idle listeners would otherwise cost a hundred wake-ups).
        if event.database == self._database and any(target.affected_by(event) for target in self._watched):
            self._inbox.put(event)

    def _watch_targets(self, *adding: _Target) -> None:
        """Publish the targets commits are matched against (a new one before it is first read)."""
        self._watched = (*self._targets.values(), *adding)

    # ------------------------------------------------------------------------------------------
    # Requests

    def _on_request(self, request: Any) -> Iterator[Any]:
        database = database_of(request.database)
        if self._database is None:
            self._database = database
        elif database != self._database:
            raise errors.invalid_argument("A Listen stream serves a single database.")
        kind = request.WhichOneof("target_change")
        if kind == "add_target":
            yield from self._add_target(request.add_target)
        elif kind == "remove_target":
            target_id = request.remove_target
            if self._targets.pop(target_id, None) is not None:
                self._watch_targets()
                yield _target_change(REMOVE, [target_id])

    def _add_target(self, spec: Any) -> Iterator[Any]:
        assert self._database is not None
        target_id = spec.target_id
        if target_id == 0:
            self._next_assigned_id += 1
            target_id = self._next_assigned_id
        if target_id in self._targets:
            yield _target_change(
                REMOVE, [target_id], cause=errors.invalid_argument(f"Target {target_id} already exists.")
            )
            return
        try:
            target = self._build_target(target_id, spec)
        except errors.FirestoreError as exc:
            yield _target_change(REMOVE, [target_id], cause=exc)
            return
        since = _token_time(spec.resume_token) if spec.resume_token else None
        if since is None and spec.HasField("read_time"):
            since = to_micros(spec.read_time)
        self._watch_targets(target)  # commits after ``now`` reach the stream from here on
        now = self._store.now()
        yield _target_change(ADD, [target_id])
        if since is not None and since >= self._store.retained_since() and since <= now:
            target.docs = self._read(target, since)
        elif since is not None:
            # Too old to resume from: tell the client to drop its view and send everything.
            yield _target_change(RESET, [target_id])
        self._targets[target_id] = target
        yield from self._sync(target, now)
        current = _target_change(CURRENT, [target_id])
        current.target_change.resume_token = resume_token(now)
        fill_timestamp(current.target_change.read_time, now)
        yield current
        self._sent_through = max(self._sent_through, now)
        yield _global_no_change(now)
        if target.once:
            del self._targets[target_id]
            self._watch_targets()
            yield _target_change(REMOVE, [target_id])

    def _build_target(self, target_id: int, spec: Any) -> _Target:
        assert self._database is not None
        kind = spec.WhichOneof("target_type")
        if kind == "documents":
            names = frozenset(spec.documents.documents)
            for name in names:
                validate_document_name(name, self._database)
                self._service.authorize(
                    self._caller, "get", self._database, name, resource=self._store.lookup(self._database).get(name)
                )
            return _Target(target_id, names=names, once=spec.once)
        if kind == "query":
            parent = spec.query.parent
            if validate_parent(parent) != self._database:
                raise errors.invalid_argument("Query parent is not in the stream's database.")
            query = spec.query.structured_query
            try:
                query_engine.validate_query(query)
            except query_engine.QueryError as exc:
                raise errors.invalid_argument(str(exc)) from exc
            # Production refuses a listener whose query lacks an index with the target's removal.
            self._service.require_index(self._database, query)
            self._service.authorize(self._caller, "list", self._database, parent, query=query)
            plan = query_engine.compile_query(query)
            return _Target(target_id, parent=parent, query=query, plan=plan, once=spec.once)
        raise errors.invalid_argument("A target needs documents or a query.")

    # ------------------------------------------------------------------------------------------
    # Changes

    def _read(self, target: _Target, at: int) -> dict[str, Any]:
        assert self._database is not None
        if target.query is None:
            docs, _ = self._store.documents_snapshot(self._database, sorted(target.names), at=at)
        else:
            docs, _ = self._store.query_snapshot(self._database, target.parent, target.query, at=at)
        return {doc.name: doc for doc in docs}

    def _sync(self, target: _Target, at: int) -> Iterator[Any]:
        """Send what changed in ``target`` between what the client has and the data at ``at``."""
        assert self._database is not None
        fresh = self._read(target, at)
        sent = 0
        for name, doc in fresh.items():
            previous = target.docs.get(name)
            if previous is None or previous.update_time != doc.update_time:
                sent += 1
                yield _document_change(doc, target.target_id)
        gone = [name for name in target.docs if name not in fresh]
        if gone:
            still_there, _ = self._store.documents_snapshot(self._database, gone, at=at)
            existing = {doc.name for doc in still_there}
            for name in gone:
                yield _document_gone(name, target.target_id, at, deleted=name not in existing)
        self._store.record_reads(self._database, sent)
        target.docs = fresh
        target.synced_at = at

    def _apply(self, target: _Target, events: list[CommitEvent], at: int) -> Iterator[Any]:
        """Send what ``events`` changed in an ``incremental`` target, without re-reading it."""
        assert self._database is not None
        latest: dict[str, Any | None] = {}  # name -> the document after the last of these commits
        for event in events:
            if event.commit_time > target.synced_at:
                for change in event.changes:
                    latest[change.name] = change.new
        sent = 0
        for name, doc in latest.items():
            previous = target.docs.get(name)
            if doc is not None and target.includes(doc):
                if previous is None or previous.update_time != doc.update_time:
                    sent += 1
                    target.docs[name] = doc
                    yield _document_change(doc, target.target_id)
            elif previous is not None:
                del target.docs[name]
                yield _document_gone(name, target.target_id, at, deleted=doc is None)
        self._store.record_reads(self._database, sent)
        target.synced_at = at

    def _on_events(self, events: list[CommitEvent]) -> Iterator[Any]:
        affected = [t for t in self._targets.values() if any(t.affected_by(event) for event in events)]
        if not affected:
            return
        if all(target.incremental for target in affected):
            # Consistent as of the last commit seen; never earlier than a snapshot already sent.
            at = max(events[-1].commit_time, self._sent_through)
            updates = [self._apply(target, events, at) for target in affected]
        else:
            at = self._store.now()
            updates = [self._sync(target, at) for target in affected]
        sent = False
        for update in updates:
            for response in update:
                sent = True
                yield response
        if sent:
            self._sent_through = at
            yield _global_no_change(at)


def _document_change(doc: Any, target_id: int) -> Any:
    response = protos.ListenResponse()
    change = response.document_change
    change.document.CopyFrom(doc)
    change.target_ids.append(target_id)
    return response


def _document_gone(name: str, target_id: int, at: int, *, deleted: bool) -> Any:
    """A document left the target: deleted, or (still there) no longer matching its query."""
    response = protos.ListenResponse()
    removal = response.document_delete if deleted else response.document_remove
    removal.document = name
    removal.removed_target_ids.append(target_id)
    fill_timestamp(removal.read_time, at)
    return response


def _target_change(kind: int, target_ids: list[int], cause: errors.FirestoreError | None = None) -> Any:
    response = protos.ListenResponse()
    change = response.target_change
    change.target_change_type = kind
    change.target_ids.extend(target_ids)
    if cause is not None:
        change.cause.code = errors.STATUS_CODES[cause.code]
        change.cause.message = cause.message
    return response


def _global_no_change(at: int) -> Any:
    response = protos.ListenResponse()
    change = response.target_change
    change.target_change_type = NO_CHANGE
    change.resume_token = resume_token(at)
    fill_timestamp(change.read_time, at)
    return response
