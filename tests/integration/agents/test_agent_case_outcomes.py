"""The lift compares like with like: a no-show case is judged by the appointment, whatever the decision did.

A customer who answers "confirm" and then does not come closes the confirmation decision as a success; the
cleanup run still records the case as failed, and that is what the lift counts (intent to treat)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from salonflow.domain.enums import BookingStatus, ConsentChannel
from salonflow.services.executor import Result
from salonflow.services.housekeeping import settle_outcomes
from salonflow.services.reply_service import ReplyService
from salonflow.services.runner import run_agent
from test_agent_seed import at, book, full_day, ports, seed_customer, seed_salon

pytestmark = pytest.mark.integration


def test_a_confirmed_booking_that_is_missed_counts_as_a_failed_case_for_the_lift(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_flaky", "Ravi Verma", "+919876500020", due=False,
                  channels=(ConsentChannel.WHATSAPP, ConsentChannel.VOICE))
    for i in range(3):  # three no-shows in the past: a confirmation request, not a mere reminder
        book(repos, f"bkg_ns{i}", at(11) - timedelta(days=20 + 7 * i), cid="cust_flaky", status=BookingStatus.NO_SHOW)
    repos.bookings.update("bkg_16", {"customer_id": "cust_flaky", "updated_at": at(0)})
    ports_, sender, _ = ports()
    ask_at = at(16) - timedelta(hours=30)
    [ask] = run_agent(firestore_client, "salon_test", "no_show_prevention_agent", ask_at, ports_).executions
    assert ask.result is Result.SENT and "confirm" in sender.messages[0]["body"]
    ReplyService(firestore_client, "salon_test", ports_).handle("cust_flaky", ask_at + timedelta(minutes=5), "confirm")
    decision = repos.decisions.get(ask.decision_id)
    assert decision is not None and decision.outcome.status.value == "success" and decision.case_outcome is None

    assert settle_outcomes(firestore_client, "salon_test", at(15)) == 0  # the appointment is not over yet
    repos.bookings.update("bkg_16", {"status": BookingStatus.NO_SHOW, "updated_at": at(18)})
    assert settle_outcomes(firestore_client, "salon_test", at(18)) == 1
    decision = repos.decisions.get(ask.decision_id)
    assert decision is not None and decision.case_outcome is not None
    assert decision.outcome.status.value == "success"  # what the decision itself did stands
    assert (decision.case_outcome.status.value, decision.case_outcome.result) == ("failed", "appointment_no_show")
    assert settle_outcomes(firestore_client, "salon_test", at(19)) == 0  # settled once
