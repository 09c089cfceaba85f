"""What a freshly opened slot asks of the agents: the waitlist and gap fill run now, once per set of gaps."""

from __future__ import annotations

from datetime import UTC, datetime

from salonflow.agents.proposals import AgentName
from salonflow.entrypoints.task_routes import runs_for_opened_gaps

NOW = datetime(2026, 12, 8, 4, 30, tzinfo=UTC)


def test_a_cancellation_runs_the_waitlist_agent_first_and_then_gap_fill_at_once() -> None:
    runs = runs_for_opened_gaps("salon_a", ["gap_2", "gap_1"], NOW)
    assert [payload["agent_name"] for payload, _ in runs] == [AgentName.WAITLIST.value, AgentName.GAP_FILL.value]
    for payload, _ in runs:
        assert payload["salon_id"] == "salon_a"
        assert payload["scheduled_for"] == NOW.isoformat()
        assert "kind" not in payload  # an agent run, not another booking_changed


def test_the_runs_are_named_by_the_gaps_so_a_redelivered_change_enqueues_nothing_new() -> None:
    first = [key for _, key in runs_for_opened_gaps("salon_a", ["gap_2", "gap_1"], NOW)]
    again = [key for _, key in runs_for_opened_gaps("salon_a", ["gap_1", "gap_2", "gap_1"], NOW)]
    assert first == again == ["waitlist_now|salon_a|gap_1|gap_2", "gap_fill_now|salon_a|gap_1|gap_2"]
    other = [key for _, key in runs_for_opened_gaps("salon_a", ["gap_3"], NOW)]
    assert set(other).isdisjoint(first)
    assert [key for _, key in runs_for_opened_gaps("salon_b", ["gap_1", "gap_2"], NOW)] != first


def test_nothing_opened_runs_nothing() -> None:
    assert runs_for_opened_gaps("salon_a", [], NOW) == []
