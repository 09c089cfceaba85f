"""What a merged Twilio status report newly tells about delivery (the outreach_delivery metric event)."""

from datetime import UTC, datetime, timedelta

from salonflow.domain.enums import OutreachStatus
from salonflow.governance.outreach_lifecycle import OutreachView, apply_twilio_callback, delivery_news

AT = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def news(view: OutreachView, status: str) -> bool | None:
    return delivery_news(view, apply_twilio_callback(view, status, AT))


def test_the_first_report_that_the_phone_has_it_is_news_and_later_ones_are_not() -> None:
    sent = OutreachView(OutreachStatus.SENT, sent_at=AT - timedelta(seconds=5))
    assert news(sent, "delivered") is True
    assert news(sent, "read") is True  # WhatsApp may report read without delivered
    delivered = OutreachView(OutreachStatus.DELIVERED, delivered_at=AT)
    assert news(delivered, "delivered") is None  # a duplicate
    assert news(delivered, "read") is None  # delivered -> read is the same delivery
    assert news(OutreachView(OutreachStatus.READ, read_at=AT), "delivered") is None  # a late delivered


def test_delivery_learned_after_the_customer_answered_is_still_news_once() -> None:
    responded = OutreachView(OutreachStatus.RESPONDED, sent_at=AT)
    assert news(responded, "delivered") is True
    assert news(OutreachView(OutreachStatus.RESPONDED, delivered_at=AT), "read") is None


def test_a_failure_is_news_when_it_moves_the_status_and_never_undelivers() -> None:
    assert news(OutreachView(OutreachStatus.SENT), "undelivered") is False
    assert news(OutreachView(OutreachStatus.PENDING), "failed") is False
    assert news(OutreachView(OutreachStatus.FAILED), "failed") is None
    assert news(OutreachView(OutreachStatus.DELIVERED, delivered_at=AT), "failed") is None
    assert news(OutreachView(OutreachStatus.SENT), "sent") is None
