"""An append-only journal that lets the Pub/Sub and Cloud Tasks emulators survive restarts.

State changes are appended as JSON lines and fsynced before the RPC that made them
answers, so a crash loses nothing that was acknowledged to a client. On start the
snapshot and then the journal are replayed; a torn last line (a crash mid-write) is
ignored. Once the journal grows long, the current state is written as a new snapshot
(to a temporary file, fsynced, then renamed over the old one) and the journal restarts.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

Record = dict[str, Any]
SNAPSHOT = "snapshot.jsonl"
JOURNAL = "journal.jsonl"


def encode_pb(message: Any) -> str:
    return base64.b64encode(message.SerializeToString()).decode("ascii")


def decode_pb(cls: Any, text: str) -> Any:
    return cls.FromString(base64.b64decode(text))


class Journal:
    def __init__(self, directory: Path, *, fsync: bool = True, compact_after: int = 20_000) -> None:
        self.directory = directory
        self.fsync = fsync
        self.compact_after = compact_after
        directory.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = None
        self._appended = 0

    def replay(self) -> Iterator[Record]:
        """Every record of the snapshot, then of the journal, in the order written."""
        for name in (SNAPSHOT, JOURNAL):
            path = self.directory / name
            if not path.exists():
                continue
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        break  # a write torn by a crash: nothing after it was acknowledged
                    if isinstance(record, dict):
                        yield record

    def open(self, state: Iterable[Record]) -> None:
        """Start journaling on top of ``state`` (the replayed state, written as the new snapshot)."""
        self.compact(state)

    def append(self, *records: Record) -> None:
        if self._file is None or not records:
            return
        self._file.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())
        self._appended += len(records)

    @property
    def wants_compaction(self) -> bool:
        return self._appended >= self.compact_after

    def compact(self, state: Iterable[Record]) -> None:
        temporary = self.directory / (SNAPSHOT + ".tmp")
        with temporary.open("w", encoding="utf-8") as out:
            for record in state:
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.directory / SNAPSHOT)
        if self._file is not None:
            self._file.close()
        self._file = (self.directory / JOURNAL).open("w", encoding="utf-8")
        self._file.flush()
        os.fsync(self._file.fileno())
        with contextlib.suppress(OSError):
            directory_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory_fd)
            finally:
                os.close(directory_fd)
        self._appended = 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
