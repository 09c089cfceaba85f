"""Reads what the agents did since the last look and tells it in plain lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class Narrator:
    client: Any
    salon_id: str
    zone: ZoneInfo
    names: dict[str, str]
    seen_decisions: set[str] = field(default_factory=set)
    seen_outreach: dict[str, str] = field(default_factory=dict)
    seen_approvals: dict[str, str] = field(default_factory=dict)
    held_back: dict[str, str] = field(default_factory=dict)  # decision id -> why governance held it

    def clock(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%H:%M")

    def _docs(self, collection: str) -> list[dict[str, Any]]:
        return [snap.to_dict() or {} for snap in self.client.collection("salons", self.salon_id, collection).stream()]

    def news(self, per_kind: int = 6) -> list[str]:
        """New decisions, message outcomes and approvals since the last call, a few of each kind."""
        groups: dict[str, list[str]] = {}

        def add(kind: str, line: str) -> None:
            groups.setdefault(kind, []).append(line)

        decisions = sorted(self._docs("autonomous_decisions"), key=lambda d: d["created_at"])
        for decision in decisions:
            if decision["id"] in self.seen_decisions:
                continue
            self.seen_decisions.add(decision["id"])
            self._note_held_back(decision)
            proposal = decision.get("action_details", {}).get("proposal", {})
            who = self.names.get(str(decision.get("context", {}).get("customer_id")), "")
            reason = proposal.get("reason") or decision["action_taken"]
            approval = decision["approval"]["status"]
            gate = "" if approval == "not_required" else f" [needs owner: {approval}]"
            if decision["action_taken"] == "holdout_no_action":
                gate = " [holdout: deliberately left alone]"
            result = str(decision.get("outcome", {}).get("result") or "")
            if result.startswith(("deferred:", "suppressed:")):
                gate += f" [{result.split(' until ')[0]}]"
            action = proposal.get("action") or decision["action_taken"]
            add(f"{decision['agent_name']}:{action}", f"  {decision['agent_name']:<26} {action:<24} "
                f"{who[:18]:<18} {reason}{gate}")
        for outreach in self._docs("outreach"):
            status = outreach["status"] + (f" ({outreach['suppression_reason']})" if outreach.get("suppression_reason")
                                           else "")
            if self.seen_outreach.get(outreach["id"]) == status:
                continue
            previous = self.seen_outreach.get(outreach["id"])
            self.seen_outreach[outreach["id"]] = status
            if previous is None or outreach["status"] in ("responded", "failed", "expired"):
                add(f"message:{outreach['outreach_type']}:{outreach['status']}",
                    f"  message  {outreach['outreach_type']:<20} -> {outreach['customer_name'][:18]:<18} "
                    f"{status}: \"{outreach['message'][:70]}\"")
        for approval in self._docs("approvals"):
            if self.seen_approvals.get(approval["id"]) == approval["status"]:
                continue
            self.seen_approvals[approval["id"]] = approval["status"]
            by = approval.get("response", {}).get("responded_by") or ""
            add("approval", f"  approval {approval['id'][-6:]} {approval['status']:<9} "
                f"{approval['action_summary'][:70]}" + (f" (by {by})" if by else ""))
        lines: list[str] = []
        for group in groups.values():
            lines.extend(group[:per_kind])
            if len(group) > per_kind:
                lines.append(f"  ... and {len(group) - per_kind} more like that")
        return lines

    def _note_held_back(self, decision: dict[str, Any]) -> None:
        result = str(decision.get("outcome", {}).get("result") or "")
        if result.startswith("suppressed:"):
            self.held_back[decision["id"]] = "suppressed: " + result.removeprefix("suppressed:")
        elif result.startswith("deferred"):
            # "deferred until <time>: <reason>" or "deferred:<reason>"
            self.held_back.setdefault(decision["id"], "deferred: " + result.split(": ", 1)[-1].strip())

    def suppressed_reasons(self) -> Counter[str]:
        """Why governance held messages back today (deferred ones may have gone out later)."""
        for decision in self._docs("autonomous_decisions"):
            self._note_held_back(decision)
        reasons: Counter[str] = Counter(self.held_back.values())
        for outreach in self._docs("outreach"):
            if outreach.get("suppression_reason"):
                reasons["suppressed by Twilio: " + outreach["suppression_reason"]] += 1
        return reasons
