"""`salons/{salon_id}/agent_states/{agent_name}` — one agent's state in one salon, written by the server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, model_validator

from salonflow.domain.base import DocId, DomainModel, FirestoreDocument, Number, Probability, Timestamp
from salonflow.domain.enums import AgentStatus, BreakerState
from salonflow.domain.ids import agent_state_id
from salonflow.domain.money import Rupees

# The spec's defaults (Security & Governance section).
DEFAULT_HOURLY_ACTIONS = 20
DEFAULT_DAILY_ACTIONS = 100
DEFAULT_COOLDOWN_MINUTES = 5

AGENT_NAMES: tuple[str, ...] = (
    "gap_fill_agent",
    "no_show_prevention_agent",
    "waitlist_agent",
    "retention_agent",
    "upsell_agent",
    "analytics_agent",
    "cleanup_agent",
)

AGENT_INTERVALS_MINUTES: dict[str, int] = {
    "gap_fill_agent": 5,
    "no_show_prevention_agent": 10,
    "waitlist_agent": 5,
    "retention_agent": 60,
    "upsell_agent": 30,
    "analytics_agent": 60,
    "cleanup_agent": 60,
}

# Each agent's own cap (per hour, per 24 hours) inside the salon's shared budget, by what its job needs.
# Gap fill and no-show reminders are time-bound (a slot in two hours, an appointment tomorrow) and may use
# the whole budget; waitlist offers come in small waves; win-backs and add-ons can wait a day and must not
# crowd the others out. Analytics and cleanup send nothing to customers.
AGENT_DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "gap_fill_agent": (20, 100),
    "no_show_prevention_agent": (20, 100),
    "waitlist_agent": (10, 50),
    "retention_agent": (5, 30),
    "upsell_agent": (5, 30),
    "analytics_agent": (20, 100),
    "cleanup_agent": (20, 100),
}


class CircuitBreakerState(DomainModel):
    state: BreakerState = BreakerState.CLOSED
    error_count: int = Field(default=0, ge=0)
    last_error: str | None = None
    last_error_time: Timestamp | None = None
    cooldown_until: Timestamp | None = None
    auto_recovery: bool = True


class AgentConfig(DomainModel):
    max_hourly_actions: int = Field(default=DEFAULT_HOURLY_ACTIONS, ge=0)
    max_daily_actions: int = Field(default=DEFAULT_DAILY_ACTIONS, ge=0)
    cooldown_minutes: int = Field(default=DEFAULT_COOLDOWN_MINUTES, ge=0)
    custom: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def default_for(cls, agent_name: str) -> AgentConfig:
        hourly, daily = AGENT_DEFAULT_LIMITS.get(agent_name, (DEFAULT_HOURLY_ACTIONS, DEFAULT_DAILY_ACTIONS))
        return cls(max_hourly_actions=hourly, max_daily_actions=daily)


class TypeCounter(DomainModel):
    count: int = Field(default=0, ge=0)
    revenue: Rupees = 0


class AgentCounters(DomainModel):
    """Counters for one salon-local day (`date` is that day, stored "2024-01-15")."""

    date: date
    actions_taken: int = Field(default=0, ge=0)
    actions_successful: int = Field(default=0, ge=0)
    actions_failed: int = Field(default=0, ge=0)
    revenue_generated: Rupees = 0
    by_type: dict[str, TypeCounter] = Field(default_factory=dict)


class RateLimitWindow(DomainModel):
    """A rolling window (the last hour / 24 hours) of one agent, inside its salon's shared budget."""

    limit: int = Field(ge=0)  # the agent's own cap, bounded by the salon budget
    current: int = Field(default=0, ge=0)  # what the agent itself reserved in the window
    remaining: int = Field(default=0, ge=0)  # what is left of the smaller of the two budgets
    salon_limit: int | None = Field(default=None, ge=0)  # the budget all agents of the salon share
    salon_current: int | None = Field(default=None, ge=0)

    @classmethod
    def of(cls, limit: int, current: int, salon_limit: int | None = None) -> RateLimitWindow:
        return cls(limit=limit, current=current, remaining=max(limit - current, 0), salon_limit=salon_limit,
                   salon_current=None if salon_limit is None else current)


class AgentRateLimits(DomainModel):
    hourly_actions: RateLimitWindow = Field(
        default_factory=lambda: RateLimitWindow.of(DEFAULT_HOURLY_ACTIONS, 0)
    )
    daily_actions: RateLimitWindow = Field(default_factory=lambda: RateLimitWindow.of(DEFAULT_DAILY_ACTIONS, 0))

    @classmethod
    def default_for(cls, agent_name: str) -> AgentRateLimits:
        config = AgentConfig.default_for(agent_name)
        return cls(hourly_actions=RateLimitWindow.of(config.max_hourly_actions, 0, DEFAULT_HOURLY_ACTIONS),
                   daily_actions=RateLimitWindow.of(config.max_daily_actions, 0, DEFAULT_DAILY_ACTIONS))


class HourOutcomes(DomainModel):
    """The actions one agent completed and failed in one UTC hour (`hour` is its start)."""

    hour: Timestamp
    succeeded: int = Field(default=0, ge=0)
    failed: int = Field(default=0, ge=0)


# How much one run moves the response-time average: recent runs count most, one slow run does not dominate.
RESPONSE_TIME_WEIGHT = 0.2
HEALTH_WINDOW = timedelta(hours=24)


class RunFacts(DomainModel):
    """What one agent run did, as the runner measured it."""

    elapsed_ms: Annotated[Number, Field(ge=0)]
    succeeded: int = Field(default=0, ge=0)  # actions performed (sent, called, recorded)
    failed: int = Field(default=0, ge=0)  # actions that failed
    crashed: bool = False  # the run itself raised


class AgentHealth(DomainModel):
    last_heartbeat: Timestamp | None = None
    consecutive_failures: int = Field(default=0, ge=0)  # failed runs in a row (crashed, or every action failed)
    average_response_time_ms: Annotated[Number, Field(ge=0)] = 0  # moving average of run durations
    success_rate_24h: Probability = 1.0  # succeeded / (succeeded + failed) over `recent_outcomes`
    recent_outcomes: list[HourOutcomes] = Field(default_factory=list)  # the last 24 hours, by hour

    def after_run(self, run: RunFacts, now: datetime) -> AgentHealth:
        """The health once `run` finished at `now`: true after every run, whatever it did."""
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        kept = [h for h in self.recent_outcomes if h.hour > now - HEALTH_WINDOW and h.hour != hour]
        current = next((h for h in self.recent_outcomes if h.hour == hour), HourOutcomes(hour=hour))
        current = HourOutcomes(hour=hour, succeeded=current.succeeded + run.succeeded,
                               failed=current.failed + run.failed)
        recent = sorted([*kept, current], key=lambda h: h.hour)
        succeeded = sum(h.succeeded for h in recent)
        failed = sum(h.failed for h in recent)
        failed_run = run.crashed or (run.failed > 0 and run.succeeded == 0)
        average = (run.elapsed_ms if self.last_heartbeat is None else
                   (1 - RESPONSE_TIME_WEIGHT) * self.average_response_time_ms + RESPONSE_TIME_WEIGHT * run.elapsed_ms)
        return AgentHealth(
            last_heartbeat=now,
            consecutive_failures=self.consecutive_failures + 1 if failed_run else 0,
            average_response_time_ms=round(average, 1),
            success_rate_24h=round(succeeded / (succeeded + failed), 4) if succeeded + failed else 1.0,
            recent_outcomes=recent,
        )


class AgentState(FirestoreDocument):
    """Stored under the agent's name; `id` is the spec's `state_{salon_id}_{agent_name}`."""

    salon_id: DocId
    agent_name: DocId
    status: AgentStatus = AgentStatus.ACTIVE
    last_execution: Timestamp | None = None
    next_scheduled: Timestamp | None = None
    circuit_breaker: CircuitBreakerState = Field(default_factory=CircuitBreakerState)
    config: AgentConfig = Field(default_factory=AgentConfig)
    counters: AgentCounters
    rate_limits: AgentRateLimits = Field(default_factory=AgentRateLimits)
    health: AgentHealth = Field(default_factory=AgentHealth)
    created_at: Timestamp
    updated_at: Timestamp

    @property
    def document_id(self) -> str:
        return self.agent_name

    @classmethod
    def default_id_for(cls, doc_id: str, data: Any) -> str:
        return agent_state_id(str(data.get("salon_id", "")), doc_id)

    @model_validator(mode="after")
    def _id_matches(self) -> AgentState:
        if self.id != agent_state_id(self.salon_id, self.agent_name):
            raise ValueError("agent state id must be state_{salon_id}_{agent_name}")
        return self

    @classmethod
    def initial(cls, salon_id: str, agent_name: str, now: Timestamp, today: date) -> AgentState:
        """A fresh, active agent with the spec's default config and empty counters for `today`."""
        return cls(
            id=agent_state_id(salon_id, agent_name),
            salon_id=salon_id,
            agent_name=agent_name,
            counters=AgentCounters(date=today),
            config=AgentConfig.default_for(agent_name),
            rate_limits=AgentRateLimits.default_for(agent_name),
            created_at=now,
            updated_at=now,
        )
