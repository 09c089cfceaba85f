import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from salonflow.governance.outreach_lifecycle import (
    OutreachStatus,
    OutreachView,
    ReconcileAction,
    apply_status,
    apply_twilio_callback,
    map_twilio_status,
    outreach_id,
    reconcile_plan,
    reconcile_result,
)

T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def merge(view: OutreachView, status: str, at: datetime) -> OutreachView:
    update = apply_twilio_callback(view, status, at)
    c = update.changes
    return OutreachView(
        status=update.status,
        sent_at=c.get("delivery.sent_at", view.sent_at),  # type: ignore[arg-type]
        delivered_at=c.get("delivery.delivered_at", view.delivered_at),  # type: ignore[arg-type]
        read_at=c.get("delivery.read_at", view.read_at),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("twilio", "ours"), [
    ("queued", OutreachStatus.PENDING), ("sending", OutreachStatus.PENDING), ("sent", OutreachStatus.SENT),
    ("delivered", OutreachStatus.DELIVERED), ("read", OutreachStatus.READ),
    ("undelivered", OutreachStatus.FAILED), ("failed", OutreachStatus.FAILED),
    ("receiving", None), ("received", None),
])
def test_twilio_statuses_map_to_outreach_statuses(twilio: str, ours: OutreachStatus | None) -> None:
    assert map_twilio_status(twilio) is ours


def test_a_late_sent_never_overwrites_delivered_but_fills_in_sent_at() -> None:
    view = merge(OutreachView(OutreachStatus.PENDING), "delivered", T0 + timedelta(seconds=5))
    update = apply_twilio_callback(view, "sent", T0 + timedelta(seconds=2))
    assert update.status is OutreachStatus.DELIVERED
    assert "status" not in update.changes
    assert update.changes["delivery.sent_at"] == T0 + timedelta(seconds=2)


def test_a_duplicate_callback_writes_nothing() -> None:
    view = merge(OutreachView(OutreachStatus.PENDING), "delivered", T0)
    assert apply_twilio_callback(view, "delivered", T0 + timedelta(seconds=1)).changes == {}


def test_failed_after_delivered_is_ignored_but_failed_after_sent_sticks() -> None:
    delivered = OutreachView(OutreachStatus.DELIVERED, delivered_at=T0)
    assert apply_twilio_callback(delivered, "undelivered", T0).status is OutreachStatus.DELIVERED
    update = apply_twilio_callback(OutreachView(OutreachStatus.SENT, sent_at=T0), "failed", T0, "30003")
    assert update.status is OutreachStatus.FAILED
    assert update.changes["delivery.error"] == "twilio_failed:30003"


def test_terminal_states_are_final() -> None:
    for terminal in (OutreachStatus.RESPONDED, OutreachStatus.FAILED, OutreachStatus.EXPIRED):
        view = OutreachView(terminal, sent_at=T0, delivered_at=T0, read_at=T0)
        for status in ("sent", "delivered", "read", "failed"):
            assert apply_twilio_callback(view, status, T0).status is terminal


def test_an_inbound_status_is_not_about_our_message() -> None:
    assert apply_twilio_callback(OutreachView(OutreachStatus.SENT), "received", T0).changes == {}


def test_every_order_of_callbacks_ends_read_with_all_timestamps() -> None:
    events = [("sent", T0 + timedelta(seconds=1)), ("delivered", T0 + timedelta(seconds=2)),
              ("read", T0 + timedelta(seconds=3)), ("queued", T0)]
    for order in itertools.permutations(events):
        view = OutreachView(OutreachStatus.PENDING)
        for status, at in [*order, *random.Random(1).sample(list(order), 2)]:
            view = merge(view, status, at)
        assert view.status is OutreachStatus.READ
        assert (view.sent_at, view.delivered_at, view.read_at) == tuple(e[1] for e in events[:3])


def test_a_send_stuck_without_sid_is_searched_for_and_never_resent() -> None:
    view = OutreachView(OutreachStatus.PENDING, attempts=1, last_attempt_at=T0)
    assert reconcile_plan(view, T0 + timedelta(minutes=5)) is ReconcileAction.WAIT
    assert reconcile_plan(view, T0 + timedelta(minutes=10)) is ReconcileAction.SEARCH_BY_RECIPIENT
    with_sid = OutreachView(OutreachStatus.PENDING, attempts=1, last_attempt_at=T0, message_id="SM1")
    assert reconcile_plan(with_sid, T0 + timedelta(minutes=10)) is ReconcileAction.FETCH_BY_SID
    assert reconcile_plan(OutreachView(OutreachStatus.PENDING), T0) is ReconcileAction.NOTHING


def test_reconciliation_applies_what_the_provider_says_or_marks_the_outcome_unknown() -> None:
    view = OutreachView(OutreachStatus.PENDING, attempts=1, last_attempt_at=T0)
    found = reconcile_result(view, "delivered", "SM9", T0 + timedelta(minutes=10))
    assert found.status is OutreachStatus.DELIVERED
    assert found.changes["delivery.message_id"] == "SM9"
    lost = reconcile_result(view, None, None, T0 + timedelta(minutes=10))
    assert lost.status is OutreachStatus.FAILED
    assert lost.changes["delivery.error"] == "send_outcome_unknown"


def test_outreach_ids_are_deterministic_and_distinct() -> None:
    a = outreach_id("salon_1", "cust_1", "gap_fill:gap_1", "2024-01-15T14:00:00+05:30")
    assert a == outreach_id("salon_1", "cust_1", "gap_fill:gap_1", "2024-01-15T14:00:00+05:30")
    assert a.startswith("out_")
    assert a != outreach_id("salon_2", "cust_1", "gap_fill:gap_1", "2024-01-15T14:00:00+05:30")
    assert a != outreach_id("salon_1", "cust_1", "gap_fill:gap_1", "2024-01-15T15:00:00+05:30")


def test_expiry_moves_any_open_outreach_to_expired() -> None:
    assert apply_status(OutreachView(OutreachStatus.READ), OutreachStatus.EXPIRED, T0).status is OutreachStatus.EXPIRED
