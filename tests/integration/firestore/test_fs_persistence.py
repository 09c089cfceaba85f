"""``--data-dir``: what a client was told is committed survives a clean restart and a SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fs_helpers import PROJECT_ID, clear
from google.api_core import exceptions
from localcloud.testing import RunningServer, run_server


@contextlib.contextmanager
def emulator(data_dir: Path, *extra: str) -> Iterator[RunningServer]:
    with run_server("firestore", ["--project", PROJECT_ID, "--data-dir", str(data_dir), *extra]) as server:
        yield server


@contextlib.contextmanager
def client_of(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch, database: str = "(default)"
) -> Iterator[Any]:
    from google.cloud import firestore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", server.address)  # read when a client is made
    client = firestore.Client(project=PROJECT_ID, database=database)
    try:
        yield client
    finally:
        client.close()


def kill(server: RunningServer) -> None:
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)


def everything(client: Any) -> dict[str, tuple[dict[str, Any], Any, Any]]:
    """Every document of the database: path -> (data, create_time, update_time)."""
    found = {}
    for collection in client.collections():
        for snapshot in collection.stream():
            found[snapshot.reference.path] = (snapshot.to_dict(), snapshot.create_time, snapshot.update_time)
        for document in collection.list_documents():
            for sub in document.collections():
                for snapshot in sub.stream():
                    found[snapshot.reference.path] = (
                        snapshot.to_dict(),
                        snapshot.create_time,
                        snapshot.update_time,
                    )
    return found


def write_a_bit_of_everything(client: Any) -> None:
    from google.cloud import firestore

    salons = client.collection("salons")
    salons.document("s1").set({"name": "Glow", "city": "Pune", "rating": 4.5, "tags": ["hair", "nails"]})
    salons.document("s1").update({"visits": firestore.Increment(3), "opened_at": firestore.SERVER_TIMESTAMP})
    salons.document("s1").update({"visits": firestore.Increment(4), "tags": firestore.ArrayUnion(["spa"])})
    salons.document("s1").collection("bookings").document("b1").set({"price_inr": 1200, "status": "booked"})
    salons.document("gone").set({"name": "Closed"})
    salons.document("gone").delete()
    batch = client.batch()
    for index in range(5):
        batch.set(salons.document(f"batch-{index}"), {"index": index, "at": firestore.SERVER_TIMESTAMP})
    batch.commit()

    @firestore.transactional
    def move(transaction: Any) -> None:
        snapshot = salons.document("batch-0").get(transaction=transaction)
        transaction.update(salons.document("batch-0"), {"index": snapshot.get("index") + 100})
        transaction.delete(salons.document("batch-4"))

    move(client.transaction())
    bulk = client.bulk_writer()  # BatchWrite
    for index in range(3):
        bulk.create(client.collection("customers").document(f"c{index}"), {"n": index})
    bulk.close()
    salons.document("s1").collection("bookings").add({"price_inr": 800})  # CreateDocument-style auto id


def test_acknowledged_writes_survive_a_sigkill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulator(tmp_path) as server:
        with client_of(server, monkeypatch) as client:
            write_a_bit_of_everything(client)
            before = everything(client)
        kill(server)
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        after = everything(client)
    assert after == before
    assert after["salons/s1"][0]["visits"] == 7
    assert after["salons/s1"][0]["tags"] == ["hair", "nails", "spa"]
    assert after["salons/batch-0"][0]["index"] == 100
    assert "salons/gone" not in after and "salons/batch-4" not in after
    assert sum(path.startswith("salons/s1/bookings/") for path in after) == 2


def test_named_databases_and_their_documents_survive_a_clean_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with emulator(tmp_path) as server:
        with client_of(server, monkeypatch) as default, client_of(server, monkeypatch, "other") as other:
            default.collection("a").document("x").set({"db": "default"})
            other.collection("a").document("x").set({"db": "other"})
            before = (everything(default), everything(other))
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0
    with (
        emulator(tmp_path) as server,
        client_of(server, monkeypatch) as default,
        client_of(server, monkeypatch, "other") as other,
    ):
        assert (everything(default), everything(other)) == before
        assert other.collection("a").document("x").get().get("db") == "other"


def test_server_timestamps_and_increments_come_back_as_stored_not_recomputed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google.cloud import firestore

    with emulator(tmp_path) as server:
        with client_of(server, monkeypatch) as client:
            ref = client.collection("counters").document("c")
            ref.set({"count": 10, "at": firestore.SERVER_TIMESTAMP})
            ref.update({"count": firestore.Increment(5), "best": firestore.Maximum(3)})
            before = ref.get()
        kill(server)
    time.sleep(0.01)  # a replay that re-ran the transforms would see a later clock
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        ref = client.collection("counters").document("c")
        after = ref.get()
        assert after.to_dict() == before.to_dict() == {"count": 15, "at": before.get("at"), "best": 3}
        assert (after.create_time, after.update_time) == (before.create_time, before.update_time)
        # New commits come after every restored one, and the restored update_time still works as a precondition.
        result = ref.update(
            {"count": firestore.Increment(1)}, option=client.write_option(last_update_time=after.update_time)
        )
        assert result.update_time > after.update_time
        assert ref.get().get("count") == 16


def test_a_cleared_database_stays_cleared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulator(tmp_path) as server:
        with client_of(server, monkeypatch) as client:
            for index in range(5):
                client.collection("old").document(f"d{index}").set({"index": index})
            clear(server)
            client.collection("new").document("after-clear").set({"kept": True})
        kill(server)
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        assert {path: data for path, (data, _, _) in everything(client).items()} == {
            "new/after-clear": {"kept": True}
        }


def test_compaction_keeps_every_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulator(tmp_path, "--compact-bytes", "4000") as server:
        with client_of(server, monkeypatch) as client:
            for round_ in range(3):
                batch = client.batch()
                for index in range(60):
                    batch.set(
                        client.collection("people").document(f"p{index}"), {"round": round_, "index": index}
                    )
                batch.commit()
                for index in range(0, 60, 7):
                    client.collection("people").document(f"p{index}").update({"touched": round_})
            for index in range(0, 60, 10):
                client.collection("people").document(f"p{index}").delete()
            before = everything(client)
        kill(server)
    assert list(tmp_path.glob("snapshot-*.snap")), "the journal never compacted"
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        assert everything(client) == before
    assert len(before) == 54


def test_a_torn_last_journal_record_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulator(tmp_path) as server:
        with client_of(server, monkeypatch) as client:
            client.collection("a").document("kept").set({"n": 1})
            client.collection("a").document("torn").set({"n": 2})
        kill(server)
    (journal,) = tmp_path.glob("journal-*.log")
    data = journal.read_bytes()
    journal.write_bytes(data[:-7])  # the last commit's record cut short, as a crash mid-write leaves it
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        assert client.collection("a").document("kept").get().to_dict() == {"n": 1}
        assert not client.collection("a").document("torn").get().exists
        client.collection("a").document("later").set({"n": 3})
        kill(server)
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        assert sorted(path for path in everything(client)) == ["a/kept", "a/later"]


def test_read_time_from_before_a_restart_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulator(tmp_path) as server:
        with client_of(server, monkeypatch) as client:
            written = client.collection("a").document("x").set({"n": 1})
        kill(server)
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        assert client.collection("a").document("x").get().exists
        with pytest.raises(exceptions.FailedPrecondition, match="restart"):
            client.collection("a").document("x").get(read_time=written.update_time)


def write_until_stopped(
    client: Any,
    worker: int,
    cycle: int,
    stop: threading.Event,
    allowed: dict[str, set[int | None]],
    lock: threading.Lock,
) -> None:
    index = 0
    while not stop.is_set():
        path = f"load/w{worker}-{index % 40}"
        value = cycle * 1_000_000 + index
        with lock:
            allowed.setdefault(path, {None}).add(value)  # a first write in flight may not have landed
        try:
            client.document(path).set({"value": value, "pad": "x" * 200}, retry=None, timeout=5)
        except Exception:  # the server died mid-call: not acknowledged, may or may not have landed
            return
        with lock:
            allowed[path] = {value}
        index += 1


def test_sigkill_under_concurrent_load_loses_no_acknowledged_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kill mid-stream three times (compacting often) and check every acknowledged write each time."""
    allowed: dict[
        str, set[int | None]
    ] = {}  # path -> values it may hold: the last acknowledged, or one in flight
    lock = threading.Lock()
    for cycle in range(3):
        with (
            emulator(tmp_path, "--compact-bytes", "20000") as server,
            client_of(server, monkeypatch) as client,
        ):
            for path, values in allowed.items():
                actual = client.document(path).get().get("value")
                assert actual in values, (path, actual, values)
                allowed[path] = {actual}
            stop = threading.Event()
            threads = [
                threading.Thread(
                    target=write_until_stopped, args=(client, worker, cycle, stop, allowed, lock)
                )
                for worker in range(6)
            ]
            for thread in threads:
                thread.start()
            time.sleep(0.6)
            kill(server)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            assert len(allowed) > 6
    assert list(tmp_path.glob("snapshot-*.snap")), "the journal never compacted"
    with emulator(tmp_path) as server, client_of(server, monkeypatch) as client:
        for path, values in allowed.items():
            assert client.document(path).get().get("value") in values, path
    assert len(list(tmp_path.glob("snapshot-*.snap"))) == 1  # a crash mid-compaction's leftovers are gone
