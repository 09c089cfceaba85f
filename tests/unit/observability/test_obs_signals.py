"""Each metric event is logged with the fields Terraform's extractors and the local metrics read."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from salonflow.adapters.firestore.decision_outcomes import closed_by
from salonflow.observability import alerts, log, signals
from salonflow.observability.events import MetricEvent
from salonflow.observability.metrics import compute

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


@pytest.fixture
def recorded() -> Iterator[log.Recorder]:
    recorder = log.Recorder()
    log.add_sink(recorder)
    try:
        yield recorder
    finally:
        log.remove_sink(recorder)


def test_a_success_with_revenue_is_an_outcome_and_an_attribution_and_other_statuses_are_not_counted(
        recorded: log.Recorder) -> None:
    outcome = {"now": NOW, "salon_id": "s1", "agent_name": "gap_fill_agent", "decision_id": "dec_1"}
    signals.decision_outcome(**outcome, status="success", outcome="booked", revenue=700)
    signals.decision_outcome(**outcome, status="failed", outcome="slot_taken", revenue=700)
    signals.decision_outcome(**outcome, status="expired", outcome="offer_expired")
    events = [(e["event"], e.get("result"), e.get("amount")) for e in recorded.entries]
    assert events == [("decision_outcome", "success", None), ("revenue_attributed", None, 700),
                      ("decision_outcome", "failure", None)]
    assert all(e["logging.googleapis.com/labels"]["agent_name"] == "gap_fill_agent" for e in recorded.entries)
    assert compute(recorded.entries).revenue_generated == 700


def test_delivery_reports_carry_the_result_the_dashboard_divides_by(recorded: log.Recorder) -> None:
    report = {"now": NOW, "salon_id": "s1", "agent_name": "gap_fill_agent", "outreach_id": "out_1"}
    signals.outreach_delivery(**report, delivered=True, result="read")
    signals.outreach_delivery(**report, delivered=False, result="undelivered", error="twilio_undelivered:30007")
    assert [(e["delivered"], e["result"]) for e in recorded.entries] == [(True, "delivered"), (False, "undelivered")]
    assert compute(recorded.entries).outreach_delivery_rate == 0.5


def test_an_answer_has_a_response_time_and_an_expiry_only_leaves_the_backlog(recorded: log.Recorder) -> None:
    ids = {"now": NOW, "salon_id": "s1", "agent_name": "retention_agent", "decision_id": "dec_1"}
    signals.approval_requested(**ids, approval_id="apr_1")
    signals.approval_requested(**ids, approval_id="apr_2")
    signals.approval_answered(**ids, approval_id="apr_1", status="approved", requested_at=NOW - timedelta(minutes=2))
    signals.approval_closed(**ids, approval_id="apr_2", status="expired")
    metrics = compute(recorded.entries)
    assert metrics.approval_response_seconds_median == 120 and metrics.approvals_answered == 1
    assert alerts.pending_approvals_series(recorded.entries)["s1"][-1] == (NOW, 0.0)


def test_captured_output_lines_give_back_the_metric_entries_and_skip_the_rest() -> None:
    entry = log.entry(MetricEvent.BREAKER_STATE, now=NOW, salon_id="s1", agent_name="a", state="open")
    lines = ["localcloud functions ready", "{not json", '{"message": "no event"}',
             log.json.dumps(entry), "Traceback (most recent call last):"]
    assert log.parse_lines(lines) == [entry]


def test_an_outcome_change_is_logged_only_when_the_stored_status_moves() -> None:
    stored = {"agent_name": "no_show_prevention_agent", "outcome": {"status": "pending"},
              "revenue_impact": {"actual": 0}}
    closed = closed_by("dec_1", stored, {"outcome.status": "success", "outcome.result": "confirmed"})
    assert closed is not None and (closed.agent_name, closed.status, closed.revenue) == (
        "no_show_prevention_agent", "success", 0)
    assert closed_by("dec_1", {**stored, "outcome": {"status": "success"}}, {"outcome.status": "success"}) is None
    assert closed_by("dec_1", {**stored, "action_taken": "holdout_no_action"}, {"outcome.status": "success"}) is None
    assert closed_by("dec_1", None, {"outcome.status": "failed"}) is None
    booked = closed_by("dec_1", stored, {"outcome.status": "success", "revenue_impact.actual": 1200})
    assert booked is not None and booked.revenue == 1200
