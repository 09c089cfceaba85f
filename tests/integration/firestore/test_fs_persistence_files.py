"""The journal and snapshot files under crashes at chosen moments, driven in-process through the Store."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from localcloud.firestore import errors, persistence, protos
from localcloud.firestore.persistence import CorruptDataDirectory, Persistence
from localcloud.firestore.store import Store

DB = "projects/demo-salonflow/databases/(default)"


def put(store: Store, doc_id: str, value: int, *, pad: int = 0) -> int:
    write = protos.Write()
    write.update.name = f"{DB}/documents/items/{doc_id}"
    write.update.fields["value"].integer_value = value
    if pad:
        write.update.fields["pad"].string_value = "x" * pad
    commit_time, _ = store.commit(DB, [write])
    return commit_time


def delete(store: Store, doc_id: str) -> None:
    write = protos.Write()
    write.delete = f"{DB}/documents/items/{doc_id}"
    store.commit(DB, [write])


def opened(directory: Path, compact_bytes: int = persistence.COMPACT_BYTES) -> tuple[Store, Persistence]:
    store = Store()
    return store, Persistence.open(directory, store, compact_bytes=compact_bytes)


def contents(store: Store) -> dict[str, dict[str, bytes]]:
    return {
        database: {doc.name: doc.SerializeToString(deterministic=True) for doc in docs}
        for database, docs in store.export().items()
    }


def recovered(directory: Path) -> dict[str, dict[str, bytes]]:
    store, journal = opened(directory)
    journal.close()
    return contents(store)


def test_a_commit_is_not_answered_before_the_fsync_that_covers_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, journal = opened(tmp_path)
    release = threading.Event()
    real_fdatasync = os.fdatasync

    def slow_fdatasync(fd: int) -> None:
        release.wait(10)
        real_fdatasync(fd)

    monkeypatch.setattr(persistence.os, "fdatasync", slow_fdatasync)
    answered = threading.Event()

    def commit_then_flag() -> None:
        put(store, "a", 1)
        answered.set()

    committer = threading.Thread(target=commit_then_flag)
    committer.start()
    assert not answered.wait(0.3)
    release.set()
    assert answered.wait(10)
    committer.join()
    journal.close()


def test_commits_waiting_on_one_fsync_share_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, journal = opened(tmp_path)
    syncs = 0
    gate = threading.Event()
    real_fdatasync = os.fdatasync

    def counted(fd: int) -> None:
        nonlocal syncs
        syncs += 1
        gate.wait(10)
        real_fdatasync(fd)

    monkeypatch.setattr(persistence.os, "fdatasync", counted)
    threads = [threading.Thread(target=put, args=(store, f"d{index}", index)) for index in range(20)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # the first commit is in its fsync; the other 19 queue behind it
    gate.set()
    for thread in threads:
        thread.join()
    journal.close()
    assert syncs <= 3
    assert len(recovered(tmp_path)[DB]) == 20


def test_a_journal_that_cannot_be_written_fails_every_later_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, journal = opened(tmp_path)
    put(store, "before", 1)

    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persistence.os, "fdatasync", broken)
    for attempt in range(2):
        with pytest.raises(errors.FirestoreError) as failure:
            put(store, f"after{attempt}", 2)
        assert failure.value.code == "UNAVAILABLE"
    monkeypatch.undo()
    journal.close()
    assert f"{DB}/documents/items/before" in recovered(tmp_path)[DB]


def test_restored_documents_keep_their_times_and_later_commits_come_after_them(tmp_path: Path) -> None:
    store, journal = opened(tmp_path)
    last = put(store, "a", 1)
    journal.close()
    again = Store(clock=lambda: 1_000)  # a clock far behind the restored commits
    Persistence.open(tmp_path, again).close()
    assert contents(again) == contents(store)
    assert again.now() >= last
    assert again.commit(DB, [])[0] > last


def test_a_snapshot_interrupted_before_its_rename_is_ignored(tmp_path: Path) -> None:
    store, journal = opened(tmp_path)
    for index in range(30):
        put(store, f"d{index}", index)
    journal.close()
    expected = contents(store)
    (final,) = tmp_path.glob("journal-*.log")  # one journal, no snapshot yet
    partial = b"".join(persistence.encode_snapshot(1, 0, store.export()))[:-20]
    (tmp_path / "snapshot-00000001.snap.tmp").write_bytes(partial)
    assert recovered(tmp_path) == expected
    assert not list(tmp_path.glob("*.tmp"))
    assert final.exists()


def test_a_crash_between_the_snapshot_rename_and_deleting_old_journals_recovers(tmp_path: Path) -> None:
    store, journal = opened(tmp_path, compact_bytes=10**9)
    for index in range(40):
        put(store, f"d{index}", index)
    delete(store, "d3")
    old_journals = {path.name: path.read_bytes() for path in tmp_path.glob("journal-*.log")}
    journal.compact_bytes = 1
    put(store, "d0", 100)  # this commit triggers the compaction
    journal.wait_for_compaction()
    journal.compact_bytes = 10**9
    put(store, "d1", 101)  # lands in the new journal, after the snapshot
    journal.close()
    assert list(tmp_path.glob("snapshot-*.snap")) and not set(old_journals) & {
        path.name for path in tmp_path.glob("journal-*.log")
    }
    for name, data in old_journals.items():  # as if the crash came before their deletion
        (tmp_path / name).write_bytes(data)
    recovered_contents = recovered(tmp_path)
    assert recovered_contents == contents(store)
    assert len(recovered_contents[DB]) == 39
    assert not any((tmp_path / name).exists() for name in old_journals)  # superseded: removed at start


def test_a_failed_snapshot_keeps_the_journals_and_a_later_one_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, journal = opened(tmp_path, compact_bytes=2_000)

    def no_rename(source: Any, target: Any) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(persistence.os, "replace", no_rename)
    for index in range(30):
        put(store, f"d{index}", index, pad=100)
        journal.wait_for_compaction()
    assert not list(tmp_path.glob("snapshot-*.snap"))
    assert recovered_copy(tmp_path) == contents(store)
    monkeypatch.undo()
    for index in range(30):
        put(store, f"e{index}", index, pad=100)
        journal.wait_for_compaction()
    journal.close()
    assert journal.compactions > 0
    assert recovered(tmp_path) == contents(store)


def recovered_copy(directory: Path) -> dict[str, dict[str, bytes]]:
    """Recover a copy, leaving the live directory alone (its journal is still open)."""
    copy = directory.parent / (directory.name + "-copy")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(directory, copy)
    return recovered(copy)


def test_compaction_while_commits_keep_flowing_loses_nothing(tmp_path: Path) -> None:
    store, journal = opened(tmp_path, compact_bytes=3_000)
    threads = [
        threading.Thread(
            target=lambda worker=worker: [put(store, f"w{worker}-{i % 25}", i, pad=50) for i in range(150)]
        )
        for worker in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.close()
    assert journal.compactions > 0
    assert recovered(tmp_path) == contents(store)


def test_zeros_left_after_the_last_record_are_a_torn_tail(tmp_path: Path) -> None:
    store, journal = opened(tmp_path)
    put(store, "a", 1)
    journal.close()
    (path,) = tmp_path.glob("journal-*.log")
    with path.open("ab") as out:
        out.write(b"\0" * 64)  # a file extended before its data reached the disk
    assert recovered(tmp_path) == contents(store)


def test_a_damaged_snapshot_is_refused_rather_than_guessed_around(tmp_path: Path) -> None:
    store, journal = opened(tmp_path, compact_bytes=500)
    for index in range(20):
        put(store, f"d{index}", index, pad=50)
        journal.wait_for_compaction()
    journal.close()
    (snapshot,) = tmp_path.glob("snapshot-*.snap")
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    with pytest.raises(CorruptDataDirectory):
        Persistence.open(tmp_path, Store())


def test_a_read_is_not_answered_while_what_it_saw_could_still_be_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, journal = opened(tmp_path)
    release = threading.Event()
    real_fdatasync = os.fdatasync

    def slow_fdatasync(fd: int) -> None:
        release.wait(10)
        real_fdatasync(fd)

    monkeypatch.setattr(persistence.os, "fdatasync", slow_fdatasync)
    writer = threading.Thread(target=put, args=(store, "a", 1))
    writer.start()
    time.sleep(0.1)  # committed in memory, its fsync held back
    seen: list[Any] = []
    reader = threading.Thread(
        target=lambda: seen.append(store.get_documents(DB, [f"{DB}/documents/items/a"], store.view(DB)))
    )
    reader.start()
    reader.join(0.3)
    assert not seen
    release.set()
    reader.join(10)
    writer.join(10)
    journal.close()
    ((doc,), _read_time) = seen[0]
    assert doc.fields["value"].integer_value == 1


def test_a_second_emulator_cannot_journal_into_a_directory_in_use(tmp_path: Path) -> None:
    _store, journal = opened(tmp_path)
    with pytest.raises(persistence.DataDirectoryInUse):
        Persistence.open(tmp_path, Store())
    journal.close()
    Persistence.open(tmp_path, Store()).close()
