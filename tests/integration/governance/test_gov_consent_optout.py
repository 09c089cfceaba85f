"""An opt-out in one category leaves the other intact, takes effect at once, and is audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.cloud import firestore
from salonflow.adapters.firestore.governance_consent import ConsentStore
from salonflow.adapters.firestore.governance_gate import Governor
from salonflow.domain.customers import Customer
from salonflow.governance import Allowed, Contact, GovernanceSettings, Suppressed, outreach_id
from salonflow.governance.types import Channel, ConsentChannel, ConsentSource, MessageCategory

pytestmark = pytest.mark.integration

SALON = "salon_consent"
NOW = datetime(2024, 1, 15, 6, 0, tzinfo=UTC)  # 11:30 IST


def seed_customer(client: firestore.Client) -> None:
    customer = Customer(id="cust_1", salon_id=SALON, name="Priya Sharma", phone="+919876543210",
                        created_at=NOW, updated_at=NOW)
    for category in MessageCategory:
        customer = customer.with_consent([ConsentChannel.WHATSAPP], category, True, ConsentSource.IN_SALON, NOW)
    client.collection("salons", SALON, "customers").document("cust_1").set(customer.to_firestore())


def gate(client: firestore.Client, category: MessageCategory, intent: str) -> object:
    contact = Contact("cust_1", Channel.WHATSAPP, category, outreach_id(SALON, "cust_1", intent, "slot"))
    return Governor(client, SALON).reserve(agent_name="retention_agent", settings=GovernanceSettings(),
                                           now=NOW, contact=contact)


def test_stop_offers_blocks_marketing_keeps_service_and_is_audited(firestore_client: firestore.Client) -> None:
    seed_customer(firestore_client)
    store = ConsentStore(firestore_client, SALON)

    result = store.handle_inbound_text("cust_1", "Stop offers", Channel.WHATSAPP, NOW)
    assert result is not None and [(c.category.value, c.after) for c in result.changes] == [("marketing", False)]

    assert gate(firestore_client, MessageCategory.MARKETING, "winback") == Suppressed(
        "no_consent:whatsapp:marketing")
    assert isinstance(gate(firestore_client, MessageCategory.SERVICE, "reminder"), Allowed)

    doc = firestore_client.collection("salons", SALON, "customers").document("cust_1").get().to_dict()
    assert doc is not None
    customer = Customer.from_firestore("cust_1", doc)  # still a valid customer for the repository
    assert customer.can_contact("whatsapp", "service") and not customer.can_contact("whatsapp", "marketing")
    logs = [s.to_dict() for s in firestore_client.collection("salons", SALON, "audit_logs").stream()]
    assert len(logs) == 1
    assert logs[0]["resource_id"] == "cust_1" and logs[0]["details"]["keyword"] == "stop offers"


def test_a_hindi_stop_blocks_everything_and_start_brings_back_service(firestore_client: firestore.Client) -> None:
    seed_customer(firestore_client)
    store = ConsentStore(firestore_client, SALON)
    assert store.handle_inbound_text("cust_1", "बंद करो", Channel.WHATSAPP, NOW) is not None
    assert isinstance(gate(firestore_client, MessageCategory.SERVICE, "reminder"), Suppressed)
    assert store.handle_inbound_text("cust_1", "haan, 3 baje theek hai", Channel.WHATSAPP, NOW) is None
    assert store.handle_inbound_text("cust_1", "START", Channel.WHATSAPP, NOW) is not None
    assert isinstance(gate(firestore_client, MessageCategory.SERVICE, "reminder"), Allowed)
    assert isinstance(gate(firestore_client, MessageCategory.MARKETING, "winback"), Suppressed)
