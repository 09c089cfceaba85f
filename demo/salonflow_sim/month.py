"""One salon's month under every policy: the baselines in memory, Salon Flow through the service layer, and
the independent rule check over what each of them sent."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date

from google.cloud import firestore
from salonflow.domain.enums import ConsentChannel, MessageCategory
from salonflow.observability import log as obs_log

from salonflow_sim.baselines import run_baseline
from salonflow_sim.checker import Rules, check, consent_ledger
from salonflow_sim.results import Policy, PolicyMonth
from salonflow_sim.salonflow_policy import Progress, SalonFlowMonth
from salonflow_sim.world import World

BASELINES = (Policy.NONE, Policy.FCFS, Policy.BROADCAST)


def run_month(world: World, client: firestore.Client,
              on_day: Callable[[date, Progress], None] | None = None) -> list[PolicyMonth]:
    months = [run_baseline(world, policy) for policy in BASELINES]
    salon_flow = SalonFlowMonth(world, client, on_day=on_day)
    salon_flow.seed()
    with quiet_logs():
        months.append(salon_flow.run())
    rules = Rules.for_salon(world.dataset.salon)
    for month in months:
        month.violations = check(month.ledger.messages, consent_ledger(_initial_consent(world), month.ledger.opt_outs),
                                 rules)
    return months


def _initial_consent(world: World) -> Callable[[str, str, str], bool]:
    customers = world.dataset.customers_by_id

    def granted(customer_id: str, channel: str, category: str) -> bool:
        customer = customers.get(customer_id)
        return customer is not None and customer.can_contact(ConsentChannel(channel), MessageCategory(category))
    return granted


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """The agents' metric log lines (one per decision) would drown the table: keep them in memory instead."""
    kept = list(obs_log._sinks)
    for sink in kept:
        obs_log.remove_sink(sink)
    recorder = obs_log.Recorder()
    obs_log.add_sink(recorder)
    try:
        yield
    finally:
        obs_log.remove_sink(recorder)
        for sink in kept:
            obs_log.add_sink(sink)
