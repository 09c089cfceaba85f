"""Journal and snapshot records of the Firestore emulator's persistence, without files."""

from __future__ import annotations

from typing import Any

import pytest
from localcloud.firestore import protos
from localcloud.firestore.persistence import (
    State,
    decode_snapshot,
    encode_clear,
    encode_commit,
    encode_snapshot,
    frame,
    read_frames,
)
from localcloud.firestore.store import CommitEvent, DocumentChange

DB = "projects/demo-salonflow/databases/(default)"


def document(doc_id: str, value: int, micros: int) -> Any:
    doc = protos.Document()
    doc.name = f"{DB}/documents/items/{doc_id}"
    doc.fields["value"].integer_value = value
    doc.create_time.seconds = doc.update_time.seconds = micros // 1_000_000
    return doc


def commit(micros: int, *changes: tuple[str, Any | None]) -> bytes:
    event = CommitEvent(
        DB,
        micros,
        tuple(DocumentChange(f"{DB}/documents/items/{doc_id}", None, doc) for doc_id, doc in changes),
    )
    return encode_commit(event)


def values(state: State) -> dict[str, int]:
    return {
        doc.name.rsplit("/", 1)[1]: doc.fields["value"].integer_value for doc in state.documents().get(DB, [])
    }


def test_frames_read_back_in_order() -> None:
    data = frame(b"Cone") + frame(b"Xtwo") + frame(b"Cthree")
    assert read_frames(data) == ([b"Cone", b"Xtwo", b"Cthree"], True)


@pytest.mark.parametrize("cut", range(1, 14))
def test_a_record_cut_anywhere_ends_the_file_without_losing_the_ones_before(cut: int) -> None:
    whole = frame(b"Cfirst")
    data = whole + frame(b"Csecond")[:-cut]
    assert read_frames(data) == ([b"Cfirst"], False)


def test_a_flipped_byte_fails_the_crc() -> None:
    data = bytearray(frame(b"Cfirst") + frame(b"Csecond"))
    data[-2] ^= 0x01
    assert read_frames(bytes(data)) == ([b"Cfirst"], False)


def test_zeros_are_not_a_record() -> None:
    assert read_frames(frame(b"Cfirst") + b"\0" * 16) == ([b"Cfirst"], False)


def test_commits_replay_to_their_resulting_documents_and_deletions() -> None:
    state = State()
    state.apply(commit(10, ("a", document("a", 1, 10)), ("b", document("b", 2, 10))))
    state.apply(commit(20, ("a", document("a", 5, 20)), ("b", None)))
    assert values(state) == {"a": 5}
    assert state.last_time == 20


def test_a_clear_empties_only_its_database_and_later_commits_apply_after_it() -> None:
    state = State()
    state.apply(commit(10, ("a", document("a", 1, 10))))
    other = CommitEvent(
        "projects/p/databases/other",
        11,
        (DocumentChange("projects/p/databases/other/documents/c/x", None, document("x", 9, 11)),),
    )
    state.apply(encode_commit(other))
    state.apply(encode_clear(DB, 12))
    state.apply(commit(13, ("b", document("b", 2, 13))))
    assert values(state) == {"b": 2}
    assert len(state.documents()["projects/p/databases/other"]) == 1
    assert state.last_time == 13


def test_replaying_a_journal_over_a_snapshot_that_already_has_it_changes_nothing() -> None:
    journal = [
        commit(10, ("a", document("a", 1, 10))),
        encode_clear(DB, 11),
        commit(12, ("a", document("a", 2, 12)), ("b", document("b", 3, 12))),
        commit(13, ("b", None)),
    ]
    once = State()
    for record in journal:
        once.apply(record)
    _covers, twice = decode_snapshot(b"".join(encode_snapshot(1, once.last_time, once.documents())))
    for record in journal:
        twice.apply(record)
    assert values(twice) == values(once) == {"a": 2}


def test_a_snapshot_round_trips_every_database_even_an_empty_one() -> None:
    docs = {DB: [document(f"d{index}", index, 10) for index in range(1200)], "projects/p/databases/empty": []}
    covers, state = decode_snapshot(b"".join(encode_snapshot(7, 99, docs)))
    assert covers == 7 and state.last_time == 99
    assert set(state.databases) == set(docs)
    assert [doc.SerializeToString() for doc in state.documents()[DB]] == [
        doc.SerializeToString() for doc in docs[DB]
    ]


def test_a_snapshot_missing_its_end_is_rejected() -> None:
    records = list(encode_snapshot(1, 0, {DB: [document("a", 1, 10)]}))
    with pytest.raises(ValueError):
        decode_snapshot(b"".join(records[:-1]))
