"""The journal behind ``--data-dir``: replay order, torn writes, compaction."""

from __future__ import annotations

from pathlib import Path

from localcloud.pubsub.journal import JOURNAL, Journal


def test_records_replay_in_order_and_a_torn_last_write_is_ignored(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.open([{"op": "topic", "name": "a"}])
    journal.append({"op": "pub", "n": 1}, {"op": "pub", "n": 2})
    journal.close()
    with (tmp_path / JOURNAL).open("a") as torn:
        torn.write('{"op": "pub", "n"')

    assert list(Journal(tmp_path).replay()) == [
        {"op": "topic", "name": "a"},
        {"op": "pub", "n": 1},
        {"op": "pub", "n": 2},
    ]


def test_compaction_replaces_the_history_with_the_current_state(tmp_path: Path) -> None:
    journal = Journal(tmp_path, compact_after=3)
    journal.open([])
    journal.append({"op": "pub", "n": 1}, {"op": "pub", "n": 2}, {"op": "ack", "n": 1})
    assert journal.wants_compaction
    journal.compact([{"op": "pub", "n": 2}])
    journal.append({"op": "pub", "n": 3})
    journal.close()

    assert not journal.wants_compaction
    assert list(Journal(tmp_path).replay()) == [{"op": "pub", "n": 2}, {"op": "pub", "n": 3}]
