"""The spec's six metrics and three alerts from what the functions really logged, through the whole local stack.

A salon's morning plays on the steered clock: cancellations make gap fill ask the owner (supervised), the owner
answers one on the API and one on WhatsApp, a customer books the approved offer, more cancellations pile the
approvals up until cleanup expires them; later Twilio fails until the gap-fill breaker opens, the cooldown's
trial send closes it and a customer books that offer. The functions host keeps every line the functions wrote
(`GET /_localcloud/logs`); its JSON lines are the entries Cloud Logging would receive. From them: the six metrics
(`observability.metrics`), the three alerts (`observability.alerts`: each fires on the spec's condition and
clears), and a check that every logged outcome, attribution, delivery and approval event matches what Firestore
recorded, once each, although every handler ran at least once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_reliability_support import cancel_booking, docs, http_json, settle
from e2e_support import SALON_ID, Stack, eventually, start_stack, upcoming_tuesday
from localcloud.auth import emulator_id_token
from salonflow.domain.enums import ConsentChannel, MessageCategory
from salonflow.observability import alerts
from salonflow.observability.metrics import Metrics, compute
from salonflow_demo.cloud import logged_events
from salonflow_demo.seed_picks import booking_to_cancel

DAY = upcoming_tuesday()
GAP_FILL = "gap_fill_agent"
BREAKER_KEY = f"{SALON_ID}/{GAP_FILL}"


@dataclass(frozen=True)
class Played:
    entries: list[dict[str, Any]]
    metrics: Metrics
    failing_from: datetime  # Twilio refuses every message from here
    failing_until: datetime  # from here Twilio fails with HTTP 500 instead (no outcome, the breaker counts)
    ended_at: datetime


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(Path(tmp_path_factory.mktemp("e2e-metrics")), DAY, salon_changes={"holdout_share": 0.0})


@pytest.fixture(scope="module")
def played(stack: Stack) -> Played:
    return play_morning(stack)


# --- the scenario ----------------------------------------------------------------------------------------------

def at(stack: Stack, moment: datetime) -> datetime:
    stack.set_clock(moment)
    return moment


def local(stack: Stack, hour: int, minute: int = 0) -> datetime:
    return stack.dataset.as_of + timedelta(hours=hour, minutes=minute)


_cancelled: set[str] = set()


def cancel_one(stack: Stack, now: datetime) -> None:
    """Cancel the day's next booking: the agents offer the freed slot; returns once what it set off is done."""
    booking = booking_to_cancel(stack.dataset, now, min_lead=timedelta(hours=2), exclude=_cancelled)
    assert booking is not None, "the seeded day ran out of bookings to cancel"
    _cancelled.add(booking.id)
    cancel_booking(stack, booking.id, now, booking.cancelled(now).late_cancellation)
    settle(stack)


def cancel_until(stack: Stack, now: datetime, done: Callable[[], bool], what: str, tries: int = 8) -> None:
    for _ in range(tries):
        if done():
            return
        cancel_one(stack, now)
    assert done(), f"not reached after {tries} cancellations: {what}"


def pending(stack: Stack) -> list[dict[str, Any]]:
    return docs(stack, "approvals", status="pending")


def contactable(stack: Stack, customer_id: str | None) -> bool:
    customer = stack.dataset.customers_by_id.get(customer_id or "")
    return customer is not None and customer.can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE)


def sent_offer(stack: Stack, decision_id: str) -> dict[str, Any]:
    return eventually(lambda: next((o for o in docs(stack, "outreach", decision_id=decision_id)
                                    if (o.get("delivery") or {}).get("message_id")), None),
                      what=f"the offer of {decision_id} sent")


def book(stack: Stack, offer: dict[str, Any]) -> None:
    stack.sandbox("POST", "/_sandbox/reply", {"from": offer["customer_phone"], "body": "Haan ji"})
    eventually(lambda: (stack.client.document(f"salons/{SALON_ID}/autonomous_decisions/{offer['decision_id']}")
                        .get().to_dict() or {}).get("outcome", {}).get("status") == "success",
               what="the offer booked")
    settle(stack)


def breaker(stack: Stack) -> dict[str, Any]:
    state = stack.client.document(f"salons/{SALON_ID}/agent_states/{GAP_FILL}").get().to_dict() or {}
    return dict(state.get("circuit_breaker") or {})


def distinct_offers(stack: Stack) -> list[dict[str, Any]]:
    """Pending approvals to customers who may be contacted, one per gap and per customer."""
    seen: set[str] = set()
    out = []
    for approval in sorted(pending(stack), key=lambda a: a["id"]):
        details = approval["action_details"]
        keys = {f"gap:{details.get('gap_id')}", f"customer:{details.get('customer_id')}"}
        if contactable(stack, details.get("customer_id")) and not keys & seen:
            seen |= keys
            out.append(approval)
    return out


def phone_of(stack: Stack, approval: dict[str, Any]) -> str:
    return stack.dataset.customers_by_id[approval["action_details"]["customer_id"]].phone


def play_morning(stack: Stack) -> Played:
    project = stack.cloud.env["GOOGLE_CLOUD_PROJECT"]
    owner = emulator_id_token("uid_owner", project, {"salon_roles": {SALON_ID: "owner"}})

    def answer(approval: dict[str, Any], action: str) -> None:
        status, body = http_json("POST", f"{stack.cloud.function_url('autonomous')}/autonomous/approvals/"
                                         f"{approval['id']}/action?salon_id={SALON_ID}", {"action": action},
                                 {"authorization": f"Bearer {owner}"})
        assert status == 200, body

    # 09:00 cancellations: gap fill (supervised) asks the owner about each offer.
    now = at(stack, local(stack, 9))
    cancel_until(stack, now, lambda: len(distinct_offers(stack)) >= 3 and len(pending(stack)) >= 4,
                 "three offers to approve and one to reject")
    book_it, refused, undelivered = distinct_offers(stack)[:3]
    reject = next(a for a in pending(stack) if a["id"] not in {book_it["id"], refused["id"], undelivered["id"]})

    # 09:05 the owner approves three on the API and rejects one on WhatsApp. Twilio refuses one of the approved
    # offers (invalid number) and reports another undelivered.
    at(stack, local(stack, 9, 5))
    stack.sandbox("POST", "/_sandbox/failures", {"kind": "messages", "to": phone_of(stack, refused), "status": 400,
                                                 "error_code": 21211, "count": 1})
    stack.sandbox("POST", "/_sandbox/status-sequence", {"kind": "messages", "to": phone_of(stack, undelivered),
                                                        "count": 1, "steps": ["sent", "undelivered:30005"]})
    for approval in (book_it, refused, undelivered):
        answer(approval, "approve")
    approver = stack.client.document(f"salons/{SALON_ID}").get().to_dict()["approvers"][0]["phone"]
    stack.sandbox("POST", "/_sandbox/reply", {"from": approver, "body": f"REJECT {reject['id'][-6:]}"})
    settle(stack)

    # 09:07 the customer books the offer that reached them.
    at(stack, local(stack, 9, 7))
    book(stack, sent_offer(stack, book_it["decision_id"]))

    # 09:10 more cancellations: more than ten approvals wait; nobody answers; 09:40 cleanup expires them.
    now = at(stack, local(stack, 9, 10))
    cancel_until(stack, now, lambda: len(pending(stack)) > alerts.APPROVAL_BACKLOG.threshold, "a backlog")
    at(stack, local(stack, 9, 40))
    stack.run_schedule("schedule_cleanup", local(stack, 9, 40))
    settle(stack)
    assert pending(stack) == []

    # 10:30-10:38 the owner lets gap fill act alone, and Twilio refuses every message: the offers of three
    # freed slots fail (outcomes failed, deliveries send_failed).
    failing_from = local(stack, 10, 30)
    stack.client.document(f"salons/{SALON_ID}").update({"autonomy.gap_fill": "full_auto"})
    stack.sandbox("POST", "/_sandbox/failures", {"kind": "messages", "status": 400, "error_code": 21211,
                                                 "count": 1000})
    for minute in (30, 34, 38):
        cancel_one(stack, at(stack, local(stack, 10, minute)))

    # 10:45 Twilio itself fails (HTTP 500: maybe sent, reconciled later, no outcome): the breaker counts
    # these until it opens.
    failing_until = now = at(stack, local(stack, 10, 45))
    stack.sandbox("POST", "/_sandbox/reset")
    stack.sandbox("POST", "/_sandbox/failures", {"kind": "messages", "status": 500, "count": 1000})
    for step in range(6):  # each round: one more freed slot to offer, and the next tick's waves
        if step:
            now = at(stack, failing_until + timedelta(minutes=10 * step))
            stack.run_schedule("schedule_gap_fill", now)
            settle(stack)
        if breaker(stack).get("state") == "open":
            break
        cancel_one(stack, now)
        if breaker(stack).get("state") == "open":
            break
    tripped = breaker(stack)
    assert tripped.get("state") == "open", tripped

    # After the cooldown, with Twilio healthy: the next tick's first send is the trial; it closes the breaker.
    stack.sandbox("POST", "/_sandbox/reset")
    trial_at = at(stack, tripped["cooldown_until"] + timedelta(minutes=1))
    stack.run_schedule("schedule_gap_fill", trial_at)
    settle(stack)
    assert breaker(stack).get("state") == "closed", breaker(stack)
    trial = eventually(lambda: next((o for o in docs(stack, "outreach")
                                     if (o.get("delivery") or {}).get("message_id") and o["created_at"] >= trial_at),
                                    None), what="the trial offer")

    # The trial offer's customer books it: outcomes succeed again.
    recovered_at = at(stack, trial_at + timedelta(minutes=2))
    book(stack, trial)
    ended_at = at(stack, recovered_at + timedelta(minutes=1))
    entries = logged_events(stack.cloud)
    return Played(entries, compute(entries), failing_from, failing_until, ended_at)


# --- the metrics ------------------------------------------------------------------------------------------------

def of(played: Played, event: str) -> list[dict[str, Any]]:
    return [e for e in played.entries if e["event"] == event]


def test_the_morning_produces_each_of_the_six_metrics_in_the_functions_logs(played: Played) -> None:
    m = played.metrics
    print("\nmetrics from the functions' logs:\n  " + "\n  ".join(m.lines()))
    assert m.decisions_total["gap_fill"] > alerts.APPROVAL_BACKLOG.threshold
    assert m.success_rate is not None and 0 < m.success_rate < 1
    assert m.revenue_generated > 0
    assert m.breaker_state[BREAKER_KEY] == "closed"
    states = [e["state"] for e in of(played, "breaker_state")
              if e["logging.googleapis.com/labels"]["agent_name"] == GAP_FILL]
    assert states == ["open", "half_open", "closed"]
    assert m.approvals_answered == 4 and m.approval_response_seconds_median == 300  # all answered after 5 min
    assert m.outreach_delivery_rate is not None and 0 < m.outreach_delivery_rate < 1
    for entry in played.entries:
        labels = entry["logging.googleapis.com/labels"]
        assert labels["salon_id"] == SALON_ID and labels["agent_name"], entry
        assert entry["severity"] and entry["message"]


# --- the alerts -------------------------------------------------------------------------------------------------

def fired(played: Played, rule: alerts.Rule) -> list[alerts.Interval]:
    return alerts.evaluate(played.entries, played.ended_at, [rule])


def test_the_backlog_alert_fires_after_fifteen_minutes_above_ten_and_clears_when_cleanup_expires_them(
        played: Played, stack: Stack) -> None:
    [interval] = fired(played, alerts.APPROVAL_BACKLOG)
    pending_at = dict(alerts.pending_approvals_series(played.entries)[SALON_ID])  # the last count at each instant
    since = interval.fired_at - alerts.APPROVAL_BACKLOG.duration  # the streak above ten began with a request
    assert interval.cleared_at == local(stack, 9, 40)
    streak = [v for t, v in pending_at.items() if since <= t < interval.cleared_at]
    earlier = [v for t, v in pending_at.items() if t < since]
    assert since in pending_at and min(streak) > 10 and (not earlier or earlier[-1] <= 10)
    assert pending_at[interval.cleared_at] == 0


def test_the_breaker_alert_fires_when_it_opens_and_clears_when_the_trial_half_opens_it(played: Played) -> None:
    opened = next(e for e in of(played, "breaker_state") if e["state"] == "open")
    trial = next(e for e in of(played, "breaker_state") if e["state"] == "half_open")
    assert fired(played, alerts.CIRCUIT_BREAKER_OPEN) == [alerts.Interval(
        "circuit_breaker_open", BREAKER_KEY, datetime.fromisoformat(opened["time"]),
        datetime.fromisoformat(trial["time"]))]
    assert opened["severity"] == "CRITICAL"


def test_the_failure_rate_alert_fires_five_minutes_into_the_refused_sends_and_clears_when_they_age_out(
        played: Played) -> None:
    window = alerts.HIGH_FAILURE_RATE.window
    outcomes = [(datetime.fromisoformat(e["time"]), e["success"], e["outcome"]) for e in of(played, "decision_outcome")
                if played.failing_from <= datetime.fromisoformat(e["time"]) < played.failing_until]
    assert outcomes and not any(ok for _, ok, _ in outcomes), outcomes
    during = [i for i in fired(played, alerts.HIGH_FAILURE_RATE)
              if played.failing_from <= i.fired_at < played.failing_until + window]
    assert [(i.fired_at, i.cleared_at) for i in during] == [
        (outcomes[0][0] + alerts.HIGH_FAILURE_RATE.duration, outcomes[-1][0] + window)], outcomes


# --- once each, as Firestore recorded it ---------------------------------------------------------------------

def ids(entries: list[dict[str, Any]], key: str) -> Counter[str]:
    return Counter(str(e[key]) for e in entries)


def test_each_outcome_attribution_delivery_and_approval_is_logged_once_as_firestore_recorded_it(
        played: Played, stack: Stack) -> None:
    decisions = [d for d in docs(stack, "autonomous_decisions") if d["action_taken"] != "holdout_no_action"]
    closed = {d["id"] for d in decisions if d["outcome"]["status"] in ("success", "failed")}
    earned = {d["id"]: d["revenue_impact"]["actual"] for d in decisions
              if d["outcome"]["status"] == "success" and d["revenue_impact"]["actual"] > 0}
    assert ids(of(played, "decision_made"), "decision_id") == Counter({d["id"] for d in decisions})
    assert ids(of(played, "decision_outcome"), "decision_id") == Counter(closed)
    assert {e["decision_id"]: e["amount"] for e in of(played, "revenue_attributed")} == earned
    assert len(of(played, "revenue_attributed")) == len(earned)
    assert played.metrics.revenue_generated == sum(earned.values())

    outreach = docs(stack, "outreach")
    reached = {o["id"] for o in outreach if o["delivery"].get("delivered_at") or o["delivery"].get("read_at")}
    failed = {o["id"] for o in outreach if o["status"] == "failed"}
    delivery = of(played, "outreach_delivery")
    logged = ids([e for e in delivery if e["delivered"]], "outreach_id")
    assert logged == Counter(reached), [o for o in outreach if o["id"] in set(logged) ^ reached]
    lost = ids([e for e in delivery if not e["delivered"]], "outreach_id")
    odd = set(lost) ^ failed
    assert lost == Counter(failed), ([o for o in outreach if o["id"] in odd],
                                     [e for e in played.entries if e.get("outreach_id") in odd])
    assert {"send_failed", "undelivered"} <= {e["result"] for e in delivery if not e["delivered"]}

    approvals = docs(stack, "approvals")
    assert ids(of(played, "approval_requested"), "approval_id") == Counter({a["id"] for a in approvals})
    assert ids(of(played, "approval_answered"), "approval_id") == Counter(
        {a["id"] for a in approvals if a["status"] in ("approved", "rejected")})
    assert ids(of(played, "approval_closed"), "approval_id") == Counter(
        {a["id"] for a in approvals if a["status"] == "expired"})
    print(f"\n{len(played.entries)} metric log lines: "
          + json.dumps(Counter(e["event"] for e in played.entries), sort_keys=True))
