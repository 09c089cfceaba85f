from datetime import UTC, datetime

import pytest
from salonflow.domain.audit import AuditLog
from salonflow.governance import audit

NOW = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def test_a_decision_entry_has_the_spec_fields_and_reads_back_as_the_domain_model() -> None:
    entry = audit.decision_made("salon_1", "gap_fill_agent", "dec_1", "gap_fill", "supervised",
                                "outreach_initiated", NOW)
    doc = entry.to_firestore()
    assert set(doc) == {"id", "salon_id", "event_type", "severity", "actor", "action", "resource_type",
                        "resource_id", "details", "ip_address", "user_agent", "created_at"}
    assert doc["details"] == {"decision_type": "gap_fill", "autonomy_level": "supervised",
                              "action_taken": "outreach_initiated"}
    assert AuditLog.from_firestore(entry.id, doc).action == "Decision: gap_fill"


def test_log_ids_are_random_not_sequential() -> None:
    ids = {audit.new_log_id() for _ in range(100)}
    assert len(ids) == 100 and all(i.startswith("log_") for i in ids)


def test_a_config_change_lists_only_what_changed() -> None:
    entry = audit.config_changed("salon_1", "user_1", "agent_state", "gap_fill_agent",
                                 {"max_hourly_actions": 20, "cooldown_minutes": 5},
                                 {"max_hourly_actions": 10, "cooldown_minutes": 5}, NOW)
    assert entry.details["changed"] == ["max_hourly_actions"]
    assert entry.details["before"] == {"max_hourly_actions": 20}


def test_approval_expiry_is_a_system_rejection_that_says_it_expired() -> None:
    entry = audit.approval_expired("salon_1", "apr_1", "dec_1", NOW, NOW)
    doc = entry.to_firestore()
    assert (doc["event_type"], doc["actor"], doc["action"]) == ("approval_rejected", "system", "Approval expired")
    assert doc["details"]["reason"] == "expired"
    AuditLog.from_firestore(entry.id, doc)
    by_type = audit.approval_event("salon_1", audit.AuditEventType.APPROVAL_EXPIRED, "system", "apr_1", "dec_1", NOW)
    stored = by_type.to_firestore()
    assert (stored["event_type"], stored["action"], stored["details"]["reason"]) == (
        "approval_rejected", "Approval expired", "expired")
    with pytest.raises(ValueError):
        audit.approval_event("salon_1", audit.AuditEventType.DECISION_MADE, "x", "apr_1", None, NOW)


def test_a_consent_change_is_a_config_change_of_the_customers_consent() -> None:
    entry = audit.consent_changed("salon_1", "cust_1", "customer:cust_1", "stop offers",
                                  [{"channel": "whatsapp", "category": "marketing", "before": True, "after": False}],
                                  NOW)
    doc = entry.to_firestore()
    assert (doc["event_type"], doc["resource_type"], doc["resource_id"]) == (
        "config_changed", "customer_consent", "cust_1")
    AuditLog.from_firestore(entry.id, doc)


def test_entries_need_an_aware_time_and_a_salon() -> None:
    with pytest.raises(ValueError):
        audit.decision_made("salon_1", "a", "d", "gap_fill", "supervised", "x", datetime(2024, 1, 15))
    with pytest.raises(ValueError):
        audit.decision_made("", "a", "d", "gap_fill", "supervised", "x", NOW)
