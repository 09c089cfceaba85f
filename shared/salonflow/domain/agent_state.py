"""`salons/{salon_id}/agent_states/{agent_name}` — one agent's state in one salon, written by the server."""

from __future__ import annotations

from datetime import date
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
    limit: int = Field(ge=0)
    current: int = Field(default=0, ge=0)
    remaining: int = Field(default=0, ge=0)

    @classmethod
    def of(cls, limit: int, current: int) -> RateLimitWindow:
        return cls(limit=limit, current=current, remaining=max(limit - current, 0))


class AgentRateLimits(DomainModel):
    hourly_actions: RateLimitWindow = Field(
        default_factory=lambda: RateLimitWindow.of(DEFAULT_HOURLY_ACTIONS, 0)
    )
    daily_actions: RateLimitWindow = Field(default_factory=lambda: RateLimitWindow.of(DEFAULT_DAILY_ACTIONS, 0))


class AgentHealth(DomainModel):
    last_heartbeat: Timestamp | None = None
    consecutive_failures: int = Field(default=0, ge=0)
    average_response_time_ms: Annotated[Number, Field(ge=0)] = 0
    success_rate_24h: Probability = 1.0


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
            created_at=now,
            updated_at=now,
        )
