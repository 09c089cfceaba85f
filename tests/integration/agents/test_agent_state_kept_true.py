"""`agent_states` health and rate-limit figures stay true after every run and every config change."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from localcloud.auth import emulator_id_token
from salonflow.api.app import AutonomousApi
from salonflow.api.auth import firebase_token_verifier
from salonflow.api.context import ApiDeps
from salonflow.api.http import ApiRequest
from salonflow.services.runner import run_agent
from test_agent_seed import DAY, at, book, ports, seed_customer, seed_salon

pytestmark = pytest.mark.integration
AGENT = "no_show_prevention_agent"


def steps(*seconds: float) -> Any:
    """A timer that reads these instants, one per call: each run's duration is known exactly."""
    values = itertools.chain(seconds, itertools.repeat(seconds[-1]))
    return lambda: next(values)


def test_a_run_writes_the_heartbeat_its_duration_its_success_rate_and_its_budget(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    book(repos, "bkg_tomorrow", at(12, day=DAY + timedelta(days=1)), cid="cust_priya")
    ports_, sender, _ = ports()

    run_agent(firestore_client, "salon_test", AGENT, at(12), ports_, timer=steps(10.0, 10.25))

    state = repos.agent_states.get(AGENT)
    assert state is not None and len(sender.messages) == 1
    assert state.health.last_heartbeat == at(12)
    assert state.health.average_response_time_ms == 250
    assert state.health.success_rate_24h == 1.0 and state.health.consecutive_failures == 0
    assert [(h.succeeded, h.failed) for h in state.health.recent_outcomes] == [(1, 0)]
    assert (state.rate_limits.hourly_actions.current, state.rate_limits.hourly_actions.salon_current) == (1, 1)

    # A run with nothing to do still beats the heart, and an hour later the rolling window is empty again.
    later = at(13, 1)
    run_agent(firestore_client, "salon_test", AGENT, later, ports_, timer=steps(0.0, 0.5))
    state = repos.agent_states.get(AGENT)
    assert state is not None and state.health.last_heartbeat == later
    assert state.health.average_response_time_ms == 300  # 0.8 * 250 + 0.2 * 500
    assert state.rate_limits.hourly_actions.current == 0 and state.rate_limits.daily_actions.current == 1


class BrokenLoader(Exception):
    pass


def test_a_run_that_raises_still_records_a_failed_run(firestore_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    ports_, _, _ = ports()
    run_agent(firestore_client, "salon_test", AGENT, at(9), ports_, timer=steps(0.0, 0.1))

    def broken(*_: Any, **__: Any) -> Any:
        raise BrokenLoader("customers unreadable")

    monkeypatch.setattr("salonflow.services.runner.SnapshotLoader.for_no_show", broken)
    with pytest.raises(BrokenLoader):
        run_agent(firestore_client, "salon_test", AGENT, at(9, 10), ports_, timer=steps(0.0, 0.1))
    state = repos.agent_states.get(AGENT)
    assert state is not None and state.health.consecutive_failures == 1
    assert state.health.last_heartbeat == at(9, 10)
    assert state.last_execution == at(9, 10)


def test_a_config_change_shows_the_new_limit_at_once_bounded_by_the_salon_budget(firestore_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")  # emulator-mode tokens, as the API tests
    seed_salon(firestore_client, rate_limits={"hourly_actions": 300})
    app = AutonomousApi(ApiDeps(firestore=lambda: firestore_client, clock=lambda: at(9)), firebase_token_verifier)
    token = emulator_id_token("uid_owner", "demo-salonflow", {"salon_roles": {"salon_test": "owner"}})

    def put_config(hourly: int) -> Any:
        body = f'{{"max_hourly_actions": {hourly}, "max_daily_actions": 1000, "cooldown_minutes": 5}}'.encode()
        return app.handle(ApiRequest(method="PUT", path=f"/autonomous/agents/{AGENT}/config",
                                     headers={"Authorization": f"Bearer {token}"}, body=body,
                                     query={"salon_id": ["salon_test"]}))

    response = put_config(500)
    assert response.status == 200, response.body
    assert response.body["rate_limits"]["hourly_actions"]["limit"] == 300  # the salon budget binds
    assert response.body["rate_limits"]["hourly_actions"]["salon_limit"] == 300
    assert response.body["rate_limits"]["daily_actions"]["limit"] == 100  # the spec's salon day
    assert put_config(40).body["rate_limits"]["hourly_actions"] == {
        "limit": 40, "current": 0, "remaining": 40, "salon_limit": 300, "salon_current": 0}
