"""A manager's hand-made outreach, expressed as a proposal so it passes the very same governance."""

from __future__ import annotations

from salonflow.agents.proposals import Action, AgentName, Proposal
from salonflow.api.http import ApiError
from salonflow.api.schemas import OutreachCreate
from salonflow.domain.enums import DecisionType, MessageIntent, OutreachType

# Which agent's budget and breaker a manual message of each type counts against, and its decision type.
OWNER_OF_TYPE: dict[OutreachType, tuple[AgentName, DecisionType]] = {
    OutreachType.GAP_FILL: (AgentName.GAP_FILL, DecisionType.GAP_FILL),
    OutreachType.REBOOKING: (AgentName.GAP_FILL, DecisionType.GAP_FILL),
    OutreachType.NO_SHOW_PREVENTION: (AgentName.NO_SHOW_PREVENTION, DecisionType.NO_SHOW_PREVENTION),
    OutreachType.WAITLIST_PROMOTION: (AgentName.WAITLIST, DecisionType.WAITLIST_PROMOTION),
    OutreachType.RETENTION: (AgentName.RETENTION, DecisionType.DISCOUNT_OFFER),
    OutreachType.DISCOUNT_OFFER: (AgentName.RETENTION, DecisionType.DISCOUNT_OFFER),
}
ACTION_OF_INTENT: dict[MessageIntent, Action] = {
    MessageIntent.GAP_FILL_OFFER: Action.SEND_GAP_OFFER,
    MessageIntent.WAITLIST_OFFER: Action.SEND_WAITLIST_OFFER,
    MessageIntent.APPOINTMENT_REMINDER: Action.SEND_REMINDER,
    MessageIntent.CONFIRMATION_REQUEST: Action.REQUEST_CONFIRMATION,
    MessageIntent.WIN_BACK: Action.SEND_WIN_BACK,
    MessageIntent.UPSELL_OFFER: Action.SEND_UPSELL_OFFER,
    MessageIntent.DISCOUNT_OFFER: Action.OFFER_SLOT_DISCOUNT,
}
# Intents that speak about a particular slot need one.
SLOT_INTENTS = {MessageIntent.GAP_FILL_OFFER, MessageIntent.WAITLIST_OFFER, MessageIntent.APPOINTMENT_REMINDER,
                MessageIntent.CONFIRMATION_REQUEST}


def manual_proposal(body: OutreachCreate, uid: str) -> Proposal:
    if body.intent not in ACTION_OF_INTENT:
        raise ApiError(422, "invalid_intent", f"{body.intent.value} is not a message a person can send by hand",
                       {"allowed": sorted(i.value for i in ACTION_OF_INTENT)})
    if body.intent in SLOT_INTENTS and body.time_slot is None:
        raise ApiError(422, "time_slot_required", f"a {body.intent.value} message names its time_slot")
    agent, decision_type = OWNER_OF_TYPE[body.outreach_type]
    if body.discount_percent is not None:
        decision_type = DecisionType.DISCOUNT_OFFER
    trigger_id = body.gap_id or body.booking_id or body.customer_id
    return Proposal(
        agent_name=agent,
        decision_type=decision_type,
        action=ACTION_OF_INTENT[body.intent],
        trigger_type="manual_request",
        trigger_id=trigger_id,
        reason=f"Sent by hand by {uid}" + (f": {body.note}" if body.note else "."),
        case_key=f"manual:{body.request_id}",
        customer_id=body.customer_id,
        staff_id=body.staff_id,
        service_id=body.service_id,
        booking_id=body.booking_id,
        gap_id=body.gap_id,
        time_slot=body.time_slot,
        intent=body.intent,
        outreach_type=body.outreach_type,
        category=body.intent.category,
        channel="whatsapp",
        discount_percent=body.discount_percent,
        details={"requested_by": uid, "note": body.note or ""},
    )
