"""One agent run for one salon: load its snapshot, decide (pure), execute through governance, mark the run.

This is what `/internal/tasks/execute` calls for a `{salon_id, agent_name}` task. Gap-fill runs also make the
off-peak discount decisions (a discounted offer replaces the plain wave for a slot that usually stays empty);
analytics runs also make the weekly dynamic-pricing proposals; cleanup runs also sweep gaps and age scores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.agents.cleanup import cleanup_agent
from salonflow.agents.gap_fill import gap_fill_agent, wave_can_start
from salonflow.agents.no_show import no_show_prevention_agent
from salonflow.agents.pricing import dynamic_pricing_proposals, off_peak_discount_proposals
from salonflow.agents.proposals import AgentName, Proposal
from salonflow.agents.retention import retention_agent
from salonflow.agents.upsell import upsell_agent
from salonflow.agents.waitlist import waitlist_agent
from salonflow.domain.agent_state import AGENT_INTERVALS_MINUTES, AgentState, RunFacts
from salonflow.services.autonomy import review_autonomy
from salonflow.services.executor import Execution, Executor, Result
from salonflow.services.gap_fill_service import GapService
from salonflow.services.housekeeping import (
    ScoreService,
    apply_cleanup,
    mark_run,
    settle_outcomes,
    write_analytics,
)
from salonflow.services.ports import ServicePorts
from salonflow.services.snapshot_loader import SnapshotLoader


@dataclass(frozen=True)
class RunReport:
    agent_name: str
    proposals: tuple[Proposal, ...] = ()
    executions: tuple[Execution, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)  # JSON-safe: task handlers store it for replays


SUCCEEDED = {Result.SENT, Result.CALLED, Result.RECORDED}


def run_agent(client: firestore.Client, salon_id: str, agent_name: str, now: datetime,
              ports: ServicePorts, timer: Callable[[], float] = time.perf_counter) -> RunReport:
    """Run the agent and keep its `agent_states` health and rate-limit view true, whether the run
    succeeds, fails every action, or raises (then the error goes on to the task queue's retry)."""
    agent = AgentName(agent_name)
    repos = SalonRepositories(client, salon_id)
    loader = SnapshotLoader(repos)
    state = loader.agent_state(agent.value)
    if state is not None and state.status.value in ("paused",):
        return RunReport(agent.value, details={"skipped": "agent paused"})
    started = timer()
    executor = Executor(client, salon_id, ports)
    today = now.astimezone(loader.salon().zone).date()
    interval = timedelta(minutes=AGENT_INTERVALS_MINUTES[agent.value])
    try:
        report = _decide_and_execute(client, salon_id, agent, now, loader, executor, state)
    except Exception:
        mark_run(client, salon_id, agent.value, now, interval, today,
                 RunFacts(elapsed_ms=_ms(timer() - started), crashed=True), state)
        raise
    results = [e.result for e in report.executions]
    facts = RunFacts(elapsed_ms=_ms(timer() - started), succeeded=sum(r in SUCCEEDED for r in results),
                     failed=results.count(Result.FAILED))
    mark_run(client, salon_id, agent.value, now, interval, today, facts, state)
    # agent_states.rate_limits (current / remaining) for the dashboard: 3 reads + 1 write, off the hot path;
    # after mark_run, which creates the agent's state document on its first run.
    executor.governor.publish_rate_limits(agent.value, executor.settings, now)
    return report


def _ms(seconds: float) -> float:
    return max(seconds * 1000, 0.0)


def _decide_and_execute(client: firestore.Client, salon_id: str, agent: AgentName, now: datetime,
                        loader: SnapshotLoader, executor: Executor, state: AgentState | None) -> RunReport:
    since = state.last_execution if state else None
    details: dict[str, Any] = {}
    proposals: list[Proposal] = []

    if agent is AgentName.GAP_FILL:
        snap = loader.for_gap_fill(now)
        plain = gap_fill_agent(snap, now)
        if snap.customers and any(g.fill_attempts >= 1 and wave_can_start(snap, g, now) for g in snap.gaps):
            discounts = off_peak_discount_proposals(replace(snap, occupancy=loader.occupancy(now)), now)
            discounted = {p.gap_id for p in discounts}
            plain = [p for p in plain if p.gap_id not in discounted]
            proposals = [*plain, *discounts]
        else:
            proposals = plain
    elif agent is AgentName.WAITLIST:
        proposals = waitlist_agent(loader.for_waitlist(now), now)
    elif agent is AgentName.NO_SHOW_PREVENTION:
        proposals = no_show_prevention_agent(loader.for_no_show(now, since), now)
    elif agent is AgentName.RETENTION:
        snap = loader.for_retention(now)
        limit = snap.salon.settings.win_back_per_run
        # Rank everyone, drop customers already decided on this month (approved, rejected, held out), then cap:
        # otherwise the same few customers, waiting for an owner, would hold the cap every hour.
        everyone = retention_agent(replace(snap, salon=replace(snap.salon, settings=replace(
            snap.salon.settings, win_back_per_run=len(snap.scores)))), now)
        proposals = executor.unseen(everyone)[:limit]
    elif agent is AgentName.UPSELL:
        proposals = upsell_agent(loader.for_upsell(now, since), now)
    elif agent is AgentName.ANALYTICS:
        local = now.astimezone(loader.salon().zone)
        # The 00:00 run closes yesterday (its last hour came after the 23:00 run) before starting today.
        days = [local.date() - timedelta(days=1)] if local.hour == 0 else []
        days.append(local.date())
        written = []
        for day in days:
            snap = loader.for_analytics(day)
            doc = write_analytics(client, salon_id, snap, day, now)
            written.append({"date": doc["date"], "decisions": doc["decisions"]["total"]})
        details["analytics"] = written
        proposals = dynamic_pricing_proposals(replace(snap, occupancy=loader.occupancy(now)), now)
    elif agent is AgentName.CLEANUP:
        plan = cleanup_agent(loader.for_cleanup(now), now)
        details["cleanup"] = asdict(apply_cleanup(client, salon_id, plan, executor.ports, now))
        details["gaps"] = {k: list(v) for k, v in asdict(
            GapService(client, salon_id, executor.ports).detect(now)).items()}
        details["scores_aged"] = ScoreService(client, salon_id).sweep(now)
        details["outcomes_settled"] = settle_outcomes(client, salon_id, now)
        details["autonomy_changes"] = review_autonomy(client, salon_id, now)

    if agent in (AgentName.GAP_FILL, AgentName.WAITLIST) and proposals:
        proposals, held = within_budget(proposals, executor.budget_left(agent.value, now))
        if held:
            details["offers_held_for_budget"] = held
    executions = executor.execute(proposals, now) if proposals else []
    if agent not in (AgentName.ANALYTICS, AgentName.CLEANUP):
        resumed = executor.resume_deferred(agent.value, now)
        executions += [e for e in resumed if e.decision_id not in {x.decision_id for x in executions}]
    return RunReport(agent.value, tuple(proposals), tuple(executions), details)


def within_budget(proposals: list[Proposal], budget: int) -> tuple[list[Proposal], int]:
    """The proposals the salon's contact budget can send now, and how many were held back.

    A slot offer is only worth its validity: deferred by the budget, it would expire unsent while the gap
    waits for it. So offers beyond what is left of the hourly and daily budgets are not proposed at all (the
    gap keeps its turn for the next run); proposals that send nothing (holdout markers) always pass.
    """
    kept: list[Proposal] = []
    held = 0
    for proposal in proposals:
        if proposal.customer_id is None:
            kept.append(proposal)
        elif budget > 0:
            kept.append(proposal)
            budget -= 1
        else:
            held += 1
    return kept, held
