import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from salonflow.observability import log
from salonflow.observability.events import MetricEvent
from salonflow.observability.metrics import compute

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_an_entry_carries_the_keys_cloud_logging_parses() -> None:
    trace = log.trace_name("proj", "105445aa7843bc8bf206b12000100000/1;o=1")
    e = log.entry(MetricEvent.DECISION_MADE, now=NOW, salon_id="s1", agent_name="gap_fill_agent",
                  trace=trace, decision_type="gap_fill")
    assert e["severity"] == "INFO"
    assert e["logging.googleapis.com/trace"] == "projects/proj/traces/105445aa7843bc8bf206b12000100000"
    assert e["logging.googleapis.com/labels"] == {"salon_id": "s1", "agent_name": "gap_fill_agent"}
    assert e["event"] == "decision_made" and e["decision_type"] == "gap_fill"
    assert "gap_fill_agent" in e["message"]


def test_a_w3c_traceparent_gives_the_same_trace_name() -> None:
    assert log.trace_name("p", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == \
        "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    assert log.trace_name("p", None) is None
    with pytest.raises(ValueError, match="trace header"):
        log.trace_name("p", "not-a/trace")


def test_bad_input_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="severity"):
        log.entry(MetricEvent.DECISION_MADE, now=NOW, salon_id="s1", severity="LOUD")
    with pytest.raises(ValueError, match="timezone"):
        log.entry(MetricEvent.DECISION_MADE, now=NOW.replace(tzinfo=None), salon_id="s1")
    with pytest.raises(ValueError, match="salon_id"):
        log.entry(MetricEvent.DECISION_MADE, now=NOW, salon_id="")
    with pytest.raises(ValueError, match="override"):
        log.entry(MetricEvent.DECISION_MADE, now=NOW, salon_id="s1", severity_x=1, message_=2, time="x")


def test_emit_writes_one_json_line_per_event_and_a_broken_sink_does_not_fail_the_caller() -> None:
    out = io.StringIO()
    sink = log.StdoutSink(out)

    def broken(_: object) -> None:
        raise RuntimeError("disk full")

    log.add_sink(sink)
    log.add_sink(broken)
    try:
        log.emit(MetricEvent.OUTREACH_DELIVERY, now=NOW, salon_id="s1", delivered=True)
    finally:
        log.remove_sink(sink)
        log.remove_sink(broken)
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["delivered"] is True


def test_the_six_metrics_are_computed_from_recorded_entries() -> None:
    rec = log.Recorder()
    events: list[tuple[MetricEvent, dict[str, Any]]] = [
        (MetricEvent.DECISION_MADE, {"decision_type": "gap_fill"}),
        (MetricEvent.DECISION_MADE, {"decision_type": "gap_fill"}),
        (MetricEvent.DECISION_MADE, {"decision_type": "retention"}),
        (MetricEvent.DECISION_OUTCOME, {"success": True}),
        (MetricEvent.DECISION_OUTCOME, {"success": False}),
        (MetricEvent.REVENUE_ATTRIBUTED, {"amount": 700}),
        (MetricEvent.BREAKER_STATE, {"state": "open"}),
        (MetricEvent.APPROVAL_ANSWERED, {"seconds": 30, "approval_id": "a"}),
        (MetricEvent.APPROVAL_ANSWERED, {"seconds": 90, "approval_id": "b"}),
        (MetricEvent.OUTREACH_DELIVERY, {"delivered": True}),
        (MetricEvent.OUTREACH_DELIVERY, {"delivered": True}),
        (MetricEvent.OUTREACH_DELIVERY, {"delivered": False}),
        (MetricEvent.OUTREACH_DELIVERY, {"delivered": True}),
    ]
    for kind, fields in events:
        rec(log.entry(kind, now=NOW, salon_id="s1", agent_name="gap_fill_agent", **fields))
    m = compute(rec.entries)
    assert m.decisions_total == {"gap_fill": 2, "retention": 1}
    assert m.success_rate == 0.5
    assert m.revenue_generated == 700
    assert m.breaker_state == {"s1/gap_fill_agent": "open"}
    assert m.approval_response_seconds_median == 60
    assert m.outreach_delivery_rate == 0.75
    assert m.lines()[0] == "autonomous_decisions_total: 3 (gap_fill 2, retention 1)"
