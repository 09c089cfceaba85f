"""The agents: pure decision functions.

Each agent takes a `SalonSnapshot` (one salon's data, read by the service layer) and the current time, and
returns proposals — what it would like to happen, with expected value and a one-sentence reason. Agents never
read or write anything themselves; the executor in `salonflow.services` applies proposals through governance.
"""

from salonflow.agents.proposals import AgentName, Proposal

__all__ = ["AgentName", "Proposal"]
