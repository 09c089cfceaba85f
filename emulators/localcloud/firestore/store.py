"""The emulator's storage: versioned documents per database, transactions with locks, a change feed.

Concurrency model (Firestore Standard edition, pessimistic):
- One store lock guards all state; every critical section is short. Queries copy their candidate
  documents under the lock and are evaluated outside it (read-write transactions excepted: their
  results must be locked in the same step they are read).
- A read in a read-write transaction takes a shared lock on each document it returns. A commit needs
  every document it writes free of other holders. Conflicts follow *wound-wait* on transaction age:
  an older committer wounds (aborts) younger holders, a younger one waits for older holders. Ages
  only ever wait on older ages, so there is no deadlock; ``retry_transaction`` keeps the original
  age, so a retried transaction eventually becomes the oldest and succeeds. Waits are bounded by
  ``lock_timeout_s`` and answered with ABORTED.
- Every document keeps its versions for ``retention_us`` (one hour by default) so reads at a
  ``read_time`` and read-only transactions see a consistent snapshot.
- Queries on the latest documents with an equality-like filter take their candidates from equality
  indexes (``field_index.py``) kept in step inside each commit's critical section; other queries, and
  every read at a past time, scan their collection.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar, cast

from localcloud.firestore import errors, writes
from localcloud.firestore import query as query_engine
from localcloud.firestore.field_index import FieldIndexes, IndexScope
from localcloud.firestore.paths import compare_document_names
from localcloud.firestore.timeutil import to_micros

HOUR_US = 3_600_000_000
MAX_ID_BYTES = 1500  # a collection or document id
MAX_NAME_BYTES = 6144  # a whole document name
_SWEEP_EVERY_COMMITS = 4096
name_sort_key = functools.cmp_to_key(compare_document_names)


_Read = TypeVar("_Read", bound=Callable[..., Any])


def durable_read(method: _Read) -> _Read:
    """Answer a read only once what it saw is on disk, so no reader acts on a write a crash could lose."""

    @functools.wraps(method)
    def read(self: Store, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        self.await_durable()
        return result

    return cast(_Read, read)


class WouldWait(Exception):
    """Raised, before anything changed, by a commit that would wait for a lock on a thread that must not
    wait (``never_waiting``): the caller runs it again where waiting is fine."""


_thread_state = threading.local()


@contextlib.contextmanager
def never_waiting() -> Iterator[None]:
    """Commits on this thread raise ``WouldWait`` instead of waiting for locks (the gRPC reader thread
    answers calls itself; waiting there would stall every other call on the connection)."""
    _thread_state.never_wait = True
    try:
        yield
    finally:
        _thread_state.never_wait = False


def wall_clock_micros() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class DocumentChange:
    name: str
    old: Any | None  # Document before the commit, None if it did not exist
    new: Any | None  # Document after the commit, None if deleted


@dataclass(frozen=True)
class CommitEvent:
    """One atomic commit, as delivered to ``Store.subscribe`` callbacks (in commit order)."""

    database: str  # projects/{p}/databases/{d}
    commit_time: int  # microseconds since the epoch
    changes: tuple[DocumentChange, ...]


Subscriber = Callable[[CommitEvent], None]


class Durability(Protocol):
    """Makes writes survive a restart (``persistence.Persistence``), installed with ``Store.make_durable``."""

    def record_commit(self, event: CommitEvent) -> None:
        """Inside the commit's critical section, in commit order: buffer it, never block."""

    def record_clear(self, database: str, micros: int) -> None:
        """Inside the clear's critical section, ordered with the commits."""

    def wait_durable(self) -> None:
        """Outside the critical section: return once everything recorded so far is on disk."""


@dataclass(frozen=True)
class WriteAccess:
    name: str
    old: Any | None  # the document just before this write
    new: Any | None  # the document just after this write (None: deleted or still absent)


class DocumentLookup:
    """Documents as they are (``get``) and as they would be after the pending commit (``get_after``).

    What security rules' ``get()``/``exists()`` and ``getAfter()``/``existsAfter()`` read; names are full
    document names. Only valid while the store lock is held (inside a check callback).
    """

    def __init__(self, db: Database, pending: dict[str, Any | None] | None = None) -> None:
        self._db = db
        self._pending = pending or {}

    def get(self, name: str) -> Any | None:
        versioned = self._db.docs.get(name)
        return versioned.current if versioned is not None else None

    def get_after(self, name: str) -> Any | None:
        if name in self._pending:
            return self._pending[name]
        return self.get(name)


class _LockedLookup(DocumentLookup):
    """A ``DocumentLookup`` usable outside the store lock: each read takes it (one class, built once)."""

    def __init__(self, db: Database, lock: threading.RLock) -> None:
        super().__init__(db)
        self._store_lock = lock

    def get(self, name: str) -> Any | None:
        with self._store_lock:
            return super().get(name)


# Called inside a commit once every write is applied (nothing is stored yet) with each write's
# before/after, a lookup of the data before and after the whole commit, and the commit time (what
# serverTimestamp() resolves to: security rules see it as request.time); raises FirestoreError
# (PERMISSION_DENIED) to reject the whole commit.
WriteCheck = Callable[[list[WriteAccess], DocumentLookup, int], None]


class Versioned:
    """All retained versions of one document name; ``None`` marks a deletion."""

    __slots__ = ("docs", "name", "times")

    def __init__(self, name: str) -> None:
        self.name = name
        self.times: list[int] = []
        self.docs: list[Any | None] = []

    @property
    def current(self) -> Any | None:
        return self.docs[-1] if self.docs else None

    def at(self, micros: int) -> Any | None:
        index = bisect.bisect_right(self.times, micros) - 1
        return self.docs[index] if index >= 0 else None

    def append(self, micros: int, doc: Any | None, cutoff: int) -> None:
        self.times.append(micros)
        self.docs.append(doc)
        if len(self.times) > 2 and self.times[1] < cutoff:
            keep_from = bisect.bisect_right(self.times, cutoff) - 1
            del self.times[:keep_from]
            del self.docs[:keep_from]


@dataclass
class Stats:
    since: int
    reads: int = 0
    writes: int = 0
    deletes: int = 0
    queries: int = 0


class Transaction:
    __slots__ = (
        "age",
        "database",
        "finished",
        "held",
        "id",
        "last_used",
        "read_only",
        "read_time",
        "wounded",
    )

    def __init__(
        self, txn_id: bytes, database: str, age: int, read_only: bool, read_time: int | None
    ) -> None:
        self.id = txn_id
        self.database = database
        self.age = age
        self.read_only = read_only
        self.read_time = read_time
        self.held: set[str] = set()
        self.wounded = False
        self.finished = False
        self.last_used = time.monotonic()


def transaction_age(txn_id: bytes) -> int | None:
    """Ids are ``age (8 bytes) + random (8 bytes)``: a retry can recover its place in line statelessly."""
    if len(txn_id) != 16:
        return None
    return int.from_bytes(txn_id[:8], "big")


@dataclass
class Database:
    name: str  # projects/{p}/databases/{d}
    stats: Stats
    docs: dict[str, Versioned] = field(default_factory=dict)
    # parent collection name (".../documents/a/x/b") -> its documents: a query reads only its collection.
    collections: dict[str, dict[str, Versioned]] = field(default_factory=dict)
    # collection id -> documents of every collection with that id: what a collection-group query reads.
    groups: dict[str, dict[str, Versioned]] = field(default_factory=dict)
    locks: dict[str, set[Transaction]] = field(default_factory=dict)
    # Equality indexes over the latest documents, built as queries need them (field_index.py).
    field_indexes: FieldIndexes = field(default_factory=FieldIndexes)

    @property
    def root(self) -> str:
        return self.name + "/documents"


class Candidates(NamedTuple):
    """The documents a query is evaluated on: a superset of its results."""

    docs: list[Any]
    whole_scope: bool  # every document of the query's collection(s), not what an index selected


@dataclass(frozen=True)
class ReadView:
    """How one read sees the data: inside a transaction, at a past time, or now."""

    transaction: Transaction | None = None
    read_time: int | None = None


class Store:
    def __init__(
        self,
        *,
        clock: Callable[[], int] = wall_clock_micros,
        lock_timeout_s: float = 5.0,
        retention_us: int = HOUR_US,
        transaction_idle_timeout_s: float = 60.0,
    ) -> None:
        self._clock = clock
        self.lock_timeout_s = lock_timeout_s
        self.retention_us = retention_us
        self.transaction_idle_timeout_s = transaction_idle_timeout_s
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._databases: dict[str, Database] = {}
        self._transactions: dict[bytes, Transaction] = {}
        self._subscribers: list[Subscriber] = []
        self._durability: Durability | None = None
        self._history_since = 0  # no version history before this time (a restore)
        self._last_time = 0
        self._last_commit_time = 0  # of the newest stored version: reads at or after it see the latest
        self._age = 0
        self._commits = 0
        self._begun = 0

    # ------------------------------------------------------------------------------------------
    # Time, databases, subscribers

    def _read_now(self) -> int:
        now = max(self._clock(), self._last_time)
        self._last_time = now
        return now

    def _commit_now(self) -> int:
        now = max(self._clock(), self._last_time + 1)
        self._last_time = now
        return now

    def now(self) -> int:
        with self._lock:
            return self._read_now()

    def _database(self, name: str) -> Database:
        database = self._databases.get(name)
        if database is None:
            database = Database(name=name, stats=Stats(since=self._clock()))
            self._databases[name] = database
        return database

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(CommitEvent)`` after every commit that changed documents, in commit order.

        Callbacks run inside the commit's critical section: they must be quick and never block
        (hand the event to a queue).
        """
        with self._lock:
            self._subscribers = [*self._subscribers, callback]

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = [s for s in self._subscribers if s is not callback]

        return unsubscribe

    def lookup(self, database: str) -> DocumentLookup:
        """Current documents of ``database``, for an authorizer deciding a read (takes the lock per call)."""
        with self._lock:
            return _LockedLookup(self._database(database), self._lock)

    def stats(self, database: str) -> Stats:
        with self._lock:
            stats = self._database(database).stats
            return Stats(stats.since, stats.reads, stats.writes, stats.deletes, stats.queries)

    def record_reads(self, database: str, count: int) -> None:
        """Bill reads served outside the read RPCs (documents a listener is sent)."""
        if count:
            with self._lock:
                self._database(database).stats.reads += count

    def indexed_field_count(self, database: str) -> int:
        """How many (collection, field path) equality indexes ``database`` keeps: what bounds their memory."""
        with self._lock:
            return len(self._database(database).field_indexes)

    def reset_stats(self, database: str) -> None:
        with self._lock:
            self._database(database).stats = Stats(since=self._clock())

    def clear(self, database: str) -> None:
        """Drop every document of ``database`` and abort its transactions (listeners are not told)."""
        with self._lock:
            old = self._databases.get(database)
            if old is None:
                return
            for txn in list(self._transactions.values()):
                if txn.database == database:
                    self._finish(txn)
            self._databases[database] = Database(name=database, stats=old.stats)
            if self._durability is not None:
                self._durability.record_clear(database, self._commit_now())
            self._changed.notify_all()
        self.await_durable()

    # ------------------------------------------------------------------------------------------
    # Transactions

    def begin(self, database: str, *, read_only: bool, read_time: int | None, retry: bytes | None) -> bytes:
        with self._lock:
            self._database(database)
            age = transaction_age(retry) if retry else None
            if retry:
                previous = self._transactions.get(retry)
                if previous is not None:
                    self._finish(previous)
            if age is None:
                self._age += 1
                age = self._age
            if read_only and read_time is None:
                read_time = self._read_now()
            elif read_time is not None:
                self._check_read_time(read_time)
            txn_id = age.to_bytes(8, "big") + os.urandom(8)
            self._transactions[txn_id] = Transaction(txn_id, database, age, read_only, read_time)
            self._begun += 1
            if self._begun % 256 == 0:
                self._expire_idle_transactions()
            return txn_id

    def rollback(self, database: str, txn_id: bytes) -> None:
        with self._lock:
            txn = self._transactions.get(txn_id)
            if txn is not None:
                if txn.database != database:
                    raise errors.invalid_argument(errors.EXPIRED_TRANSACTION_MESSAGE)
                self._finish(txn)

    def transaction(self, database: str, txn_id: bytes) -> Transaction:
        with self._lock:
            txn = self._transactions.get(txn_id)
            if txn is None or txn.finished or txn.database != database:
                raise errors.invalid_argument(errors.EXPIRED_TRANSACTION_MESSAGE)
            txn.last_used = time.monotonic()
            return txn

    def _finish(self, txn: Transaction) -> None:
        txn.finished = True
        self._release(txn)
        self._transactions.pop(txn.id, None)

    def _release(self, txn: Transaction) -> None:
        database = self._databases.get(txn.database)
        if database is not None:
            for name in txn.held:
                holders = database.locks.get(name)
                if holders is not None:
                    holders.discard(txn)
                    if not holders:
                        del database.locks[name]
        txn.held = set()
        self._changed.notify_all()

    def _wound(self, txn: Transaction) -> None:
        txn.wounded = True
        self._release(txn)

    def _expire_idle_transactions(self) -> None:
        limit = time.monotonic() - self.transaction_idle_timeout_s
        for txn in list(self._transactions.values()):
            if txn.last_used < limit:
                self._finish(txn)

    def _lock_for_read(self, database: Database, txn: Transaction, names: Iterable[str]) -> bool:
        """Lock ``names`` for ``txn``; True if it had to wait (what it read before may be stale).

        Transactions queue for a document they read: a younger reader waits for an older holder (an
        older one wounds a younger holder). Sharing read locks would let every concurrent reader see a
        value the first committer is about to change, and abort them all. The wait is bounded: after
        ``lock_timeout_s`` the lock is shared and the conflict is settled at commit — an error on a read
        would not be retried by the client libraries.
        """
        if txn.wounded:
            return False  # it is doomed; its commit answers ABORTED, reads just see current data
        names = list(names)
        waited = False
        deadline = time.monotonic() + self.lock_timeout_s
        while not txn.wounded and not txn.finished:
            blocked = self._settle_conflicts(database, txn, txn.age, names)
            remaining = deadline - time.monotonic()
            if not blocked or remaining <= 0:
                break
            waited = True
            self._changed.wait(remaining)
        if txn.wounded or txn.finished:
            return waited
        for name in names:
            holders = database.locks.get(name)
            if holders is None:
                database.locks[name] = {txn}
            else:
                holders.add(txn)
            txn.held.add(name)
        return waited

    def _settle_conflicts(
        self, db: Database, txn: Transaction | None, age: int, names: Iterable[str]
    ) -> bool:
        """Wound younger holders of ``names`` and drop idle ones; True if an older holder remains."""
        blocked = False
        idle_limit = time.monotonic() - self.transaction_idle_timeout_s
        for name in names:
            for holder in list(db.locks.get(name, ())):
                if holder is txn:
                    continue
                if holder.last_used < idle_limit:
                    self._finish(holder)
                elif holder.age > age:
                    self._wound(holder)
                else:
                    blocked = True
        return blocked

    def _check_read_time(self, read_time: int) -> None:
        now = self._read_now()
        if read_time > now:
            raise errors.invalid_argument("read_time cannot be in the future.")
        if read_time < now - self.retention_us:
            raise errors.failed_precondition(
                f"read_time is older than the emulator's version retention ({self.retention_us // 1_000_000} s)."
            )
        if read_time < self._history_since:
            raise errors.failed_precondition("read_time is older than the emulator's last restart.")

    # ------------------------------------------------------------------------------------------
    # Reads

    def view(
        self, database: str, *, transaction: bytes | None = None, read_time: int | None = None
    ) -> ReadView:
        if transaction:
            return ReadView(transaction=self.transaction(database, transaction))
        if read_time is not None:
            with self._lock:
                self._check_read_time(read_time)
            return ReadView(read_time=read_time)
        return ReadView()

    def _resolve_time(self, view: ReadView) -> tuple[int, bool]:
        """(read time, whether to read the latest versions) for ``view``; caller holds the lock."""
        txn = view.transaction
        if txn is not None:
            if txn.finished:
                raise errors.invalid_argument(errors.EXPIRED_TRANSACTION_MESSAGE)
            if txn.read_only:
                assert txn.read_time is not None
                return txn.read_time, False
            return self._read_now(), True
        if view.read_time is not None:
            return view.read_time, False
        return self._read_now(), True

    @durable_read
    def get_documents(self, database: str, names: list[str], view: ReadView) -> tuple[list[Any | None], int]:
        with self._lock:
            db = self._database(database)
            txn = view.transaction
            if txn is not None and not txn.read_only and not txn.finished:
                self._lock_for_read(db, txn, names)
            read_time, latest = self._resolve_time(view)
            found: list[Any | None] = []
            for name in names:
                versioned = db.docs.get(name)
                if versioned is None:
                    found.append(None)
                else:
                    found.append(versioned.current if latest else versioned.at(read_time))
            db.stats.reads += len(names)
            return found, read_time

    def _candidates(self, db: Database, parent: str, query: Any, read_time: int, latest: bool) -> Candidates:
        if latest:
            indexed = self._indexed_candidates(db, parent, query)
            if indexed is not None:
                return Candidates(indexed, whole_scope=False)
        return Candidates(self._scope_documents(db, parent, query, read_time, latest), whole_scope=True)

    def _scope_documents(
        self, db: Database, parent: str, query: Any, read_time: int, latest: bool
    ) -> list[Any]:
        """Every document of the query's collection(s) as seen at ``read_time`` (or the latest)."""
        sources = query.from_
        versions: Iterable[Versioned]
        single = sources[0] if len(sources) == 1 and sources[0].collection_id else None
        if single is not None and not single.all_descendants:
            versions = db.collections.get(f"{parent}/{single.collection_id}", {}).values()
        elif single is not None:
            prefix = parent + "/"
            group = db.groups.get(single.collection_id, {})
            versions = [v for name, v in group.items() if name.startswith(prefix)]
        else:
            prefix = parent + "/"
            versions = [v for name, v in db.docs.items() if name.startswith(prefix)]
        if latest:
            return [v.docs[-1] for v in versions if v.docs and v.docs[-1] is not None]
        found = (v.at(read_time) for v in versions)
        return [doc for doc in found if doc is not None]

    def _indexed_candidates(self, db: Database, parent: str, query: Any) -> list[Any] | None:
        """The latest documents the query's equality conjuncts leave possible, from the field indexes;
        None when no index can help (no such conjunct, or a kindless query): then the scope is scanned.

        Past read times never come here: the indexes only know the latest documents.
        """
        sources = query.from_
        if len(sources) != 1 or not sources[0].collection_id:
            return None
        lookups = query_engine.compile_query(query).index_lookups
        if not lookups:
            return None
        source = sources[0]
        if source.all_descendants:
            scope = IndexScope(True, source.collection_id)
            members = db.groups.get(source.collection_id, {})
        else:
            scope = IndexScope(False, f"{parent}/{source.collection_id}")
            members = db.collections.get(scope.collection, {})
        latest = ((v.name, v.docs[-1]) for v in members.values() if v.docs and v.docs[-1] is not None)
        names = db.field_indexes.candidate_names(scope, lookups, latest)
        # The indexes follow every commit; checking each name anyway costs little and means a name they
        # might wrongly keep could only add a candidate the filters drop, never a deleted document.
        found = (db.docs.get(name) for name in names)
        return [v.docs[-1] for v in found if v is not None and v.docs and v.docs[-1] is not None]

    @durable_read
    def run_query(self, database: str, parent: str, query: Any, view: ReadView) -> tuple[list[Any], int]:
        """Results of a validated StructuredQuery and the read time they reflect."""
        txn = view.transaction
        with self._lock:
            db = self._database(database)
            read_time, latest = self._resolve_time(view)
            candidates = self._candidates(db, parent, query, read_time, latest).docs
            if txn is not None and not txn.read_only:
                # Results of a read-write transaction are locked in the same critical section they are read.
                results = query_engine.execute_query(query, parent, candidates)
                if self._lock_for_read(db, txn, [doc.name for doc in results]):
                    # It waited for another transaction: read again what that one may have changed.
                    read_time, latest = self._resolve_time(view)
                    candidates = self._candidates(db, parent, query, read_time, latest).docs
                    results = query_engine.execute_query(query, parent, candidates)
                    self._lock_for_read(db, txn, [doc.name for doc in results])
                db.stats.reads += max(1, len(results))
                db.stats.queries += 1
                return results, read_time
        results = query_engine.execute_query(query, parent, candidates)
        with self._lock:
            db.stats.reads += max(1, len(results))
            db.stats.queries += 1
        return results, read_time

    @durable_read
    def run_aggregation(
        self, database: str, parent: str, aggregation: Any, view: ReadView
    ) -> tuple[dict[str, Any], int]:
        with self._lock:
            db = self._database(database)
            read_time, latest = self._resolve_time(view)
            query = aggregation.structured_query
            candidates, whole_scope = self._candidates(db, parent, query, read_time, latest)
            # Billed as the scan it was before the indexes: the same figures, whichever way it is read.
            scanned = (
                len(candidates)
                if whole_scope
                else len(self._scope_documents(db, parent, query, read_time, latest))
            )
        result = query_engine.execute_aggregation(aggregation, parent, candidates)
        with self._lock:
            # Firestore bills one read per batch of up to 1,000 index entries an aggregation scans.
            db.stats.reads += max(1, (scanned + 999) // 1000)
            db.stats.queries += 1
        return result, read_time

    @durable_read
    def query_snapshot(
        self, database: str, parent: str, query: Any, at: int | None = None
    ) -> tuple[list[Any], int]:
        """Listen's view of a query, now or at a retained past time (no stats, no locks)."""
        with self._lock:
            db = self._database(database)
            read_time = self._read_now() if at is None else at
            # Listen re-reads its queries at a common time, usually one no commit has followed yet: the
            # latest documents are then exactly those of that time, and the field indexes can serve them.
            latest = at is None or at >= self._last_commit_time
            candidates = self._candidates(db, parent, query, read_time, latest).docs
        return query_engine.execute_query(query, parent, candidates), read_time

    @durable_read
    def documents_snapshot(
        self, database: str, names: list[str], at: int | None = None
    ) -> tuple[list[Any], int]:
        with self._lock:
            db = self._database(database)
            read_time = self._read_now() if at is None else at
            docs = []
            for name in names:
                versioned = db.docs.get(name)
                doc = None if versioned is None else (versioned.current if at is None else versioned.at(at))
                if doc is not None:
                    docs.append(doc)
            return docs, read_time

    def retained_since(self) -> int:
        with self._lock:
            return max(self._read_now() - self.retention_us, self._history_since)

    @durable_read
    def list_documents(
        self, database: str, parent: str, collection_id: str, view: ReadView, *, show_missing: bool
    ) -> tuple[list[Any], int]:
        """Documents directly in ``parent/collection_id`` (any collection if empty), in name order.

        With ``show_missing``, also documents that do not exist but have documents below them,
        returned as a Document with only its name.
        """
        with self._lock:
            db = self._database(database)
            read_time, latest = self._resolve_time(view)
            prefix = f"{parent}/{collection_id}/" if collection_id else f"{parent}/"
            depth = 1 if collection_id else 2  # segments after the prefix that name a direct child
            existing: dict[str, Any] = {}
            missing: set[str] = set()
            for name, versioned in db.docs.items():
                if not name.startswith(prefix):
                    continue
                doc = versioned.current if latest else versioned.at(read_time)
                if doc is None:
                    continue
                rest = name[len(prefix) :].split("/")
                if len(rest) == depth:
                    existing[name] = doc
                elif show_missing:
                    missing.add(prefix + "/".join(rest[:depth]))
            results: list[Any] = list(existing.values())
            for name in missing - existing.keys():
                placeholder = writes.protos.Document()
                placeholder.name = name
                results.append(placeholder)
            db.stats.reads += max(1, len(existing))
        results.sort(key=lambda doc: name_sort_key(doc.name))
        return results, read_time

    @durable_read
    def list_collection_ids(self, database: str, parent: str, view: ReadView) -> list[str]:
        with self._lock:
            db = self._database(database)
            read_time, latest = self._resolve_time(view)
            prefix = parent + "/"
            ids: set[str] = set()
            for name, versioned in db.docs.items():
                if name.startswith(prefix):
                    doc = versioned.current if latest else versioned.at(read_time)
                    if doc is not None:
                        ids.add(name[len(prefix) :].split("/", 1)[0])
            db.stats.reads += 1
        return sorted(ids)

    # ------------------------------------------------------------------------------------------
    # Writes

    def commit(
        self,
        database: str,
        write_list: list[Any],
        *,
        transaction: bytes | None = None,
        check: WriteCheck | None = None,
    ) -> tuple[int, list[Any]]:
        """Apply ``write_list`` atomically; returns (commit time, WriteResult per write)."""
        names = [writes.target_name(write) for write in write_list]
        for name in names:
            validate_document_name(name, database)
        with self._lock:
            db = self._database(database)
            txn: Transaction | None = None
            if transaction:
                txn = self._transactions.get(transaction)
                if txn is None or txn.finished or txn.database != database:
                    raise errors.invalid_argument(errors.EXPIRED_TRANSACTION_MESSAGE)
                if txn.read_only and write_list:
                    raise errors.invalid_argument("Cannot modify entities in a read-only transaction.")
                age = txn.age
            else:
                self._age += 1
                age = self._age
            try:
                self._acquire_for_commit(db, txn, age, set(names))
            except WouldWait:
                raise  # nothing changed and the transaction stays open for the retry
            except BaseException:
                if txn is not None:
                    self._finish(txn)
                raise
            try:
                commit_time = self._commit_now()
                results, changes = self._apply(db, write_list, commit_time, check)
            finally:
                if txn is not None:
                    self._finish(txn)
            self._install(db, changes, commit_time)
            for write in write_list:
                if isinstance(write, writes.Verify):
                    continue
                if write.WhichOneof("operation") == "delete":
                    db.stats.deletes += 1
                else:
                    db.stats.writes += 1
        # Even a commit that changed nothing waits: what it read may not be on disk yet.
        self.await_durable()
        return commit_time, results

    def _acquire_for_commit(self, db: Database, txn: Transaction | None, age: int, names: set[str]) -> None:
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            if txn is not None and txn.wounded:
                raise errors.aborted()
            if not self._settle_conflicts(db, txn, age, names):
                return
            if getattr(_thread_state, "never_wait", False):
                raise WouldWait()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise errors.aborted()
            self._changed.wait(remaining)

    def _apply(
        self, db: Database, write_list: list[Any], commit_time: int, check: WriteCheck | None
    ) -> tuple[list[Any], list[DocumentChange]]:
        before: dict[str, Any | None] = {}
        after: dict[str, Any | None] = {}
        results = []
        accesses: list[WriteAccess] = []
        for write in write_list:
            name = writes.target_name(write)
            if name not in before:
                versioned = db.docs.get(name)
                before[name] = after[name] = versioned.current if versioned else None
            outcome = writes.apply_write(write, after[name], commit_time)
            if not isinstance(write, writes.Verify):  # a verify writes nothing: no rule to ask
                accesses.append(WriteAccess(name, after[name], outcome.new))
            after[name] = outcome.new
            result = writes.protos.WriteResult()
            if outcome.new is not None:
                result.update_time.CopyFrom(outcome.new.update_time)
            result.transform_results.extend(outcome.transform_results)
            results.append(result)
        if check is not None:
            check(accesses, DocumentLookup(db, after), commit_time)
        changes = [
            DocumentChange(name, before[name], after[name])
            for name in before
            if before[name] is not after[name]
        ]
        return results, changes

    def _install(self, db: Database, changes: list[DocumentChange], commit_time: int) -> None:
        if not changes:
            return
        cutoff = commit_time - self.retention_us
        for change in changes:
            versioned = self._versioned(db, change.name)
            versioned.append(commit_time, change.new, cutoff)
            # The stored name, not the change's: every index entry of the document shares one string.
            db.field_indexes.record(versioned.name, change.old, change.new)
        self._last_commit_time = commit_time
        event = CommitEvent(db.name, commit_time, tuple(changes))
        if self._durability is not None:
            self._durability.record_commit(event)
        for subscriber in self._subscribers:
            subscriber(event)
        self._commits += 1
        if self._commits % _SWEEP_EVERY_COMMITS == 0:
            self._sweep(db, cutoff)

    def _versioned(self, db: Database, name: str) -> Versioned:
        versioned = db.docs.get(name)
        if versioned is None:
            versioned = Versioned(name)
            db.docs[name] = versioned
            collection = name.rsplit("/", 1)[0]
            db.collections.setdefault(collection, {})[name] = versioned
            db.groups.setdefault(collection.rsplit("/", 1)[1], {})[name] = versioned
        return versioned

    # ------------------------------------------------------------------------------------------
    # Durability (``persistence.py``)

    def make_durable(self, durability: Durability) -> None:
        """Record every later commit and clear with ``durability``; each waits for it before returning."""
        with self._lock:
            self._durability = durability

    @property
    def is_durable(self) -> bool:
        """Whether commits wait for the disk (a data directory is in use)."""
        return self._durability is not None

    def await_durable(self) -> None:
        """Return once every commit so far is on disk (at once without a data directory)."""
        durability = self._durability
        if durability is not None:
            durability.wait_durable()

    def restore(self, databases: dict[str, list[Any]], last_time: int) -> None:
        """Start from recovered documents: one version each, at its update time; no older history.

        Subscribers are not told. Later commit times come after ``last_time`` whatever the clock says.
        """
        with self._lock:
            for database, docs in databases.items():
                db = self._database(database)
                for doc in docs:
                    self._versioned(db, doc.name).append(to_micros(doc.update_time), doc, 0)
                db.field_indexes = FieldIndexes()  # rebuilt from the restored documents when queried
            self._last_time = max(self._last_time, last_time)
            self._last_commit_time = max(self._last_commit_time, last_time)
            self._history_since = self._read_now()

    def export(self) -> dict[str, list[Any]]:
        """Every database with its current documents, in one critical section."""
        with self._lock:
            return {
                name: [v.docs[-1] for v in db.docs.values() if v.docs and v.docs[-1] is not None]
                for name, db in self._databases.items()
            }

    def _sweep(self, db: Database, cutoff: int) -> None:
        """Forget documents deleted before the retention window: nothing can read them any more."""
        for name, versioned in list(db.docs.items()):
            if versioned.current is None and versioned.times[-1] < cutoff:
                del db.docs[name]
                collection = name.rsplit("/", 1)[0]
                for index, key in ((db.collections, collection), (db.groups, collection.rsplit("/", 1)[1])):
                    members = index.get(key)
                    if members is not None:
                        members.pop(name, None)
                        if not members:
                            del index[key]


def validate_document_name(name: str, database: str) -> None:
    prefix = database + "/documents/"
    if not name.startswith(prefix):
        raise errors.invalid_argument(f'Document name "{name}" is not in database "{database}".')
    segments = name[len(prefix) :].split("/")
    if len(segments) % 2 != 0 or not all(segments):
        raise errors.invalid_argument(f'Document name "{name}" has invalid trailing path.')
    if len(name.encode()) > MAX_NAME_BYTES or any(len(part.encode()) > MAX_ID_BYTES for part in segments):
        raise errors.invalid_argument(
            f"Document name is too long: ids are limited to {MAX_ID_BYTES} bytes, names to {MAX_NAME_BYTES} bytes."
        )
    for segment in segments:
        if segment in (".", "..") or (
            segment.startswith("__") and segment.endswith("__") and not _is_numeric_id(segment)
        ):
            raise errors.invalid_argument(
                f'Document name "{name}" contains a reserved path segment "{segment}".'
            )


def _is_numeric_id(segment: str) -> bool:
    body = segment[4:-2] if segment.startswith("__id") else ""
    return bool(body) and body.lstrip("-").isdigit()
