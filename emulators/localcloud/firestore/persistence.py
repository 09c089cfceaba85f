"""Durability for the Firestore emulator (``--data-dir``): a journal of committed documents and snapshots.

Files in the data directory:

- ``journal-<g>.log``: one framed record per commit (the *resulting* documents and deletions, never the
  writes or their transforms, so replay needs no clock) or per clear of a database;
- ``snapshot-<g>.snap``: every database and its documents as of the end of ``journal-<g>.log``.

Every record is ``length (4 bytes) + crc32 (4 bytes) + payload``; payloads start with a kind byte.

Protocol:

- A commit's record is buffered inside the store's critical section, so journal order is commit order.
  Before the RPC answers, the committing thread waits until a write + fdatasync covers its record.
  Whoever finds no flush running writes everything buffered so far, so commits arriving during one
  fsync share the next one (group commit). Nothing is acknowledged before the fsync that covers it.
- Compaction: once the journal passes ``compact_bytes``, still inside the critical section of a
  commit, new records switch to ``journal-<g+1>.log`` and the current documents are captured. A
  background thread writes them to ``snapshot-<g>.snap.tmp``, fsyncs it, renames it into place,
  fsyncs the directory and only then deletes ``journal-<=g>`` and older snapshots. Commits keep
  flowing meanwhile. A crash at any step leaves either the old snapshot and every journal after
  it, or the new snapshot (plus leftovers that recovery ignores).
- Recovery: the newest snapshot, then every later journal in order. A record cut short or failing
  its CRC ends its file: it is a write torn by a crash, and its commit was never acknowledged.
  Recovery never appends to an existing journal: it starts a new generation.

Only the current documents are kept: version history from before a restart is gone
(``Store.restore`` refuses older ``read_time`` reads).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import struct
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.firestore import errors, protos
from localcloud.firestore.store import CommitEvent, Store

COMPACT_BYTES = 16 * 1024 * 1024  # recovery replays at most this much journal (~0.25 s)
_SNAPSHOT_CHUNK = 500  # documents per snapshot record
_FRAME = struct.Struct(">II")  # payload length, crc32 of the payload
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_JOURNAL = re.compile(r"journal-(\d+)\.log")
_SNAPSHOT = re.compile(r"snapshot-(\d+)\.snap")

_COMMIT, _CLEAR = b"C", b"X"  # journal payload kinds
_HEADER, _DATABASE, _END = b"S", b"B", b"E"  # snapshot payload kinds
_PUT, _DELETE = b"P", b"D"  # one change of a commit


class CorruptDataDirectory(Exception):
    """The data directory holds something a crash cannot produce (e.g. a damaged snapshot)."""


class DataDirectoryInUse(Exception):
    """Another live emulator journals into the same directory."""


LOCK_FILE = "LOCK"


# ----------------------------------------------------------------------------------------------
# Encoding (pure)


def frame(payload: bytes) -> bytes:
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def read_frames(data: bytes) -> tuple[list[bytes], bool]:
    """The payloads of ``data`` in order, and whether it ended cleanly (False: a torn or damaged tail)."""
    payloads: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + _FRAME.size > len(data):
            return payloads, False
        length, crc = _FRAME.unpack_from(data, offset)
        start = offset + _FRAME.size
        payload = data[start : start + length]
        # A zero length never occurs (payloads start with a kind byte); zeros are what a crash can
        # leave in a file whose size was extended before its data reached the disk.
        if length == 0 or len(payload) != length or zlib.crc32(payload) != crc:
            return payloads, False
        payloads.append(payload)
        offset = start + length
    return payloads, True


def _str(text: str) -> bytes:
    raw = text.encode()
    return _U32.pack(len(raw)) + raw


def _bytes(raw: bytes) -> bytes:
    return _U32.pack(len(raw)) + raw


class _Reader:
    def __init__(self, payload: bytes) -> None:
        self._data = payload
        self._offset = 1  # past the kind byte

    def u32(self) -> int:
        (value,) = _U32.unpack_from(self._data, self._offset)
        self._offset += 4
        return int(value)

    def u64(self) -> int:
        (value,) = _U64.unpack_from(self._data, self._offset)
        self._offset += 8
        return int(value)

    def raw(self) -> bytes:
        length = self.u32()
        value = self._data[self._offset : self._offset + length]
        if len(value) != length:
            raise ValueError("record ends early")
        self._offset += length
        return value

    def str(self) -> str:
        return self.raw().decode()

    def kind(self) -> bytes:
        value = self._data[self._offset : self._offset + 1]
        self._offset += 1
        return value


def encode_commit(event: CommitEvent) -> bytes:
    parts = [_COMMIT, _U64.pack(event.commit_time), _str(event.database), _U32.pack(len(event.changes))]
    for change in event.changes:
        if change.new is None:
            parts += [_DELETE, _str(change.name)]
        else:
            parts += [_PUT, _str(change.name), _bytes(change.new.SerializeToString())]
    return b"".join(parts)


def encode_clear(database: str, micros: int) -> bytes:
    return _CLEAR + _U64.pack(micros) + _str(database)


# ----------------------------------------------------------------------------------------------
# Recovered state (pure): documents kept as serialized bytes until the end, so replay decodes each
# surviving document once.


@dataclass
class State:
    databases: dict[str, dict[str, bytes]] = field(default_factory=dict)
    last_time: int = 0

    def apply(self, payload: bytes) -> None:
        """Apply one journal record."""
        reader = _Reader(payload)
        kind = payload[:1]
        if kind == _COMMIT:
            self.last_time = max(self.last_time, reader.u64())
            docs = self.databases.setdefault(reader.str(), {})
            for _ in range(reader.u32()):
                change = reader.kind()
                if change == _PUT:
                    name = reader.str()
                    docs[name] = reader.raw()
                elif change == _DELETE:
                    docs.pop(reader.str(), None)
                else:
                    raise ValueError(f"unknown change kind {change!r}")
        elif kind == _CLEAR:
            self.last_time = max(self.last_time, reader.u64())
            self.databases[reader.str()] = {}
        else:
            raise ValueError(f"unknown journal record kind {kind!r}")

    def documents(self) -> dict[str, list[Any]]:
        return {
            database: [protos.Document.FromString(raw) for raw in docs.values()]
            for database, docs in self.databases.items()
        }


def encode_snapshot(covers: int, last_time: int, databases: dict[str, list[Any]]) -> Iterator[bytes]:
    """Framed records of a snapshot covering journals up to ``covers``."""
    count = 1
    yield frame(_HEADER + _U64.pack(covers) + _U64.pack(last_time))
    for database, docs in databases.items():
        for start in range(0, max(len(docs), 1), _SNAPSHOT_CHUNK):
            chunk = docs[start : start + _SNAPSHOT_CHUNK]
            parts = [_DATABASE, _str(database), _U32.pack(len(chunk))]
            for doc in chunk:
                parts += [_str(doc.name), _bytes(doc.SerializeToString())]
            count += 1
            yield frame(b"".join(parts))
    yield frame(_END + _U64.pack(count + 1))


def decode_snapshot(data: bytes) -> tuple[int, State]:
    """(generation covered, state) of a complete snapshot; raises ValueError for anything else."""
    payloads, clean = read_frames(data)
    if not clean or len(payloads) < 2 or payloads[0][:1] != _HEADER or payloads[-1][:1] != _END:
        raise ValueError("incomplete snapshot")
    if _Reader(payloads[-1]).u64() != len(payloads):
        raise ValueError("snapshot record count does not match")
    header = _Reader(payloads[0])
    covers = header.u64()
    state = State(last_time=header.u64())
    for payload in payloads[1:-1]:
        if payload[:1] != _DATABASE:
            raise ValueError(f"unknown snapshot record kind {payload[:1]!r}")
        reader = _Reader(payload)
        docs = state.databases.setdefault(reader.str(), {})
        for _ in range(reader.u32()):
            name = reader.str()
            docs[name] = reader.raw()
    return covers, state


# ----------------------------------------------------------------------------------------------
# Files


def _generations(directory: Path, pattern: re.Pattern[str]) -> list[int]:
    found = []
    for path in directory.iterdir():
        match = pattern.fullmatch(path.name)
        if match is not None:
            found.append(int(match.group(1)))
    return sorted(found)


def journal_path(directory: Path, generation: int) -> Path:
    return directory / f"journal-{generation:08d}.log"


def snapshot_path(directory: Path, generation: int) -> Path:
    return directory / f"snapshot-{generation:08d}.snap"


def fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class Recovery:
    state: State
    covers: int  # the snapshot in force covers journals up to this generation
    next_generation: int
    torn_files: list[str]  # journals whose last record was torn (and ignored)


def recover(directory: Path) -> Recovery:
    """The state saved in ``directory``: the newest snapshot, then every later journal."""
    for leftover in directory.glob("*.tmp"):
        leftover.unlink()  # a snapshot a crash interrupted before its rename: never in force
    snapshots = _generations(directory, _SNAPSHOT)
    journals = _generations(directory, _JOURNAL)
    covers, state = 0, State()
    if snapshots:
        path = snapshot_path(directory, snapshots[-1])
        try:
            covers, state = decode_snapshot(path.read_bytes())
        except (ValueError, struct.error, UnicodeDecodeError) as exc:
            # Renamed into place only after an fsync, so a crash cannot leave it incomplete.
            raise CorruptDataDirectory(f"{path} is damaged ({exc}); refusing to guess") from exc
    torn = []
    for generation in journals:
        if generation <= covers:
            continue
        path = journal_path(directory, generation)
        payloads, clean = read_frames(path.read_bytes())
        for payload in payloads:
            try:
                state.apply(payload)
            except (ValueError, struct.error, UnicodeDecodeError) as exc:
                raise CorruptDataDirectory(f"{path} holds an undecodable record ({exc})") from exc
        if not clean:
            torn.append(path.name)
    return Recovery(state, covers, max([covers, *journals, *snapshots]) + 1, torn)


def remove_superseded(directory: Path, covers: int) -> None:
    """Delete journals up to ``covers`` and snapshots before it: the snapshot of ``covers`` holds them."""
    for generation in _generations(directory, _JOURNAL):
        if generation <= covers:
            journal_path(directory, generation).unlink(missing_ok=True)
    for generation in _generations(directory, _SNAPSHOT):
        if generation < covers:
            snapshot_path(directory, generation).unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------------
# The live journal


@dataclass(frozen=True)
class _Rotate:
    generation: int


class Persistence:
    """Makes a ``Store`` durable in ``directory``: recover with ``open``, then every commit is journaled."""

    def __init__(
        self,
        directory: Path,
        generation: int,
        capture: Callable[[], dict[str, list[Any]]],
        *,
        compact_bytes: int = COMPACT_BYTES,
    ) -> None:
        self.directory = directory
        self.compact_bytes = compact_bytes
        self._capture = capture
        self._cond = threading.Condition()
        self._pending: list[bytes | _Rotate] = []
        self._appended = 0  # records buffered so far
        self._durable = 0  # records written and fsynced
        self._flushing = False
        self._failure: OSError | None = None
        self._generation = generation  # the journal new records go to
        self._journal_bytes = 0
        self._last_time = 0
        self._compaction: threading.Thread | None = None
        self._fd = self._create_journal(generation)
        self._lock_fd = -1
        self.compactions = 0

    @classmethod
    def open(cls, directory: Path, store: Store, *, compact_bytes: int = COMPACT_BYTES) -> Persistence:
        """Recover ``directory`` into ``store`` (which must be fresh) and journal its commits from now on."""
        directory.mkdir(parents=True, exist_ok=True)
        lock_fd = _lock_directory(directory)
        recovery = recover(directory)
        remove_superseded(directory, recovery.covers)  # what a crash mid-compaction left behind
        for name in recovery.torn_files:
            print(f"localcloud firestore: ignored a torn last record in {name}", file=sys.stderr)
        store.restore(recovery.state.documents(), recovery.state.last_time)
        persistence = cls(directory, recovery.next_generation, store.export, compact_bytes=compact_bytes)
        persistence._last_time = recovery.state.last_time
        persistence._lock_fd = lock_fd
        store.make_durable(persistence)
        return persistence

    # Called by the store inside its critical section, in commit order -------------------------

    def record_commit(self, event: CommitEvent) -> None:
        self._record(encode_commit(event), event.commit_time)

    def record_clear(self, database: str, micros: int) -> None:
        self._record(encode_clear(database, micros), micros)

    def _record(self, payload: bytes, micros: int) -> None:
        record = frame(payload)
        with self._cond:
            self._pending.append(record)
            self._appended += 1
            self._journal_bytes += len(record)
            self._last_time = max(self._last_time, micros)
            compact = self._journal_bytes >= self.compact_bytes and self._compaction is None
            if compact:
                covers = self._generation
                self._generation += 1
                self._pending.append(_Rotate(self._generation))
                self._journal_bytes = 0
                last_time = self._last_time
        if compact:
            # Still inside the store's critical section: the capture is exactly journals <= covers.
            documents = self._capture()
            self._compaction = threading.Thread(
                target=self._write_snapshot,
                args=(covers, last_time, documents),
                name="fs-snapshot",
                daemon=True,
            )
            self._compaction.start()

    # Called outside the critical section, before a write is acknowledged ------------------------

    def wait_durable(self) -> None:
        """Return once every record buffered before this call is on disk (group commit)."""
        with self._cond:
            target = self._appended
            while self._durable < target and self._failure is None:
                if self._flushing:
                    self._cond.wait()
                    continue
                batch, upto = self._pending, self._appended
                self._pending = []
                self._flushing = True
                self._cond.release()
                try:
                    self._write(batch)
                except OSError as exc:
                    failure: OSError | None = exc
                else:
                    failure = None
                finally:
                    self._cond.acquire()
                if failure is not None:
                    # The journal can no longer promise durability: fail every write and read from now on.
                    self._failure = failure
                else:
                    self._durable = upto
                self._flushing = False
                self._cond.notify_all()
            if self._durable < target:
                raise errors.FirestoreError(
                    "UNAVAILABLE", f"The emulator could not write its journal: {self._failure}"
                )

    def _write(self, batch: list[bytes | _Rotate]) -> None:
        chunk: list[bytes] = []
        for item in batch:
            if isinstance(item, _Rotate):
                self._write_all(b"".join(chunk))
                chunk = []
                os.fdatasync(self._fd)
                os.close(self._fd)
                self._fd = self._create_journal(item.generation)
            else:
                chunk.append(item)
        if chunk:
            self._write_all(b"".join(chunk))
            os.fdatasync(self._fd)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def _create_journal(self, generation: int) -> int:
        fd = os.open(
            journal_path(self.directory, generation),
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND,
            0o644,
        )
        fsync_directory(self.directory)  # the new name itself must survive a crash
        return fd

    # Compaction (background thread) ---------------------------------------------------------

    def _write_snapshot(self, covers: int, last_time: int, documents: dict[str, list[Any]]) -> None:
        final = snapshot_path(self.directory, covers)
        temporary = final.with_name(final.name + ".tmp")
        try:
            with temporary.open("wb") as out:
                for record in encode_snapshot(covers, last_time, documents):
                    out.write(record)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, final)
            fsync_directory(self.directory)
            remove_superseded(self.directory, covers)
            self.compactions += 1
        except OSError as exc:
            # The journals stay: recovery still has everything, compaction is tried again later.
            print(f"localcloud firestore: snapshot failed ({exc})", file=sys.stderr)
        finally:
            with self._cond:
                self._compaction = None

    def wait_for_compaction(self) -> None:
        thread = self._compaction
        if thread is not None:
            thread.join()

    def close(self) -> None:
        """Flush what is buffered and stop (the store must take no more commits)."""
        with contextlib.suppress(errors.FirestoreError):
            self.wait_durable()
        self.wait_for_compaction()
        with self._cond:
            for fd in (self._fd, self._lock_fd):
                if fd >= 0:
                    os.close(fd)
            self._fd = self._lock_fd = -1


def _lock_directory(directory: Path) -> int:
    """Hold an exclusive lock on ``directory`` for this process's life (the kernel drops it on any exit)."""
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirectoryInUse(f"{directory} is in use by another emulator") from None
    return fd
