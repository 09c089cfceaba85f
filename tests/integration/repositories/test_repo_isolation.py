"""Repositories are scoped to one salon: nothing of salon B is visible or writable through salon A's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from repo_builders import NOW, approval, booking, customer, gap, outreach, salon, score
from salonflow.adapters.firestore.repositories import CrossSalonError, SalonRepositories

pytestmark = pytest.mark.integration


def test_a_repository_for_salon_a_cannot_see_salon_b_documents(firestore_client: Any) -> None:
    a = SalonRepositories(firestore_client, "salon_a")
    b = SalonRepositories(firestore_client, "salon_b")
    b.salon.save(salon("salon_b"))
    b.customers.create(customer("salon_b", "cust_1"))
    b.bookings.create(booking("salon_b", "bkg_1", NOW + timedelta(hours=2)))
    b.gaps.create(gap("salon_b", NOW + timedelta(hours=3)))
    b.approvals.create(approval("salon_b", "apr_1"))
    b.outreach.create(outreach("salon_b"))
    b.customer_scores.upsert(score("salon_b", "cust_1"))

    assert a.salon.get() is None
    assert a.customers.get("cust_1") is None
    assert a.customers.get_many(["cust_1"]) == {}
    assert a.customers.by_phone("+919876543210") is None
    assert a.bookings.in_range(NOW, NOW + timedelta(days=1)) == []
    assert a.gaps.open() == []
    assert a.approvals.pending() == []
    assert a.outreach.for_trigger("gap_1") == []
    assert a.customer_scores.get_many(["cust_1"]) == {}
    assert a.customers.list_all() == []
    # ... while salon B sees all of its own.
    assert b.customers.get("cust_1") is not None
    assert len(b.bookings.in_range(NOW, NOW + timedelta(days=1))) == 1
    assert len(b.approvals.pending()) == 1


def test_a_model_of_another_salon_cannot_be_written_through_this_salon(firestore_client: Any) -> None:
    a = SalonRepositories(firestore_client, "salon_a")
    with pytest.raises(CrossSalonError):
        a.customers.create(customer("salon_b", "cust_1"))
    with pytest.raises(CrossSalonError):
        a.bookings.save(booking("salon_b", "bkg_1", NOW))
    with pytest.raises(CrossSalonError):
        a.salon.save(salon("salon_b"))
    assert list(firestore_client.collection("salons").document("salon_b").collections()) == []


def test_ids_that_would_escape_the_salon_path_are_refused(firestore_client: Any) -> None:
    a = SalonRepositories(firestore_client, "salon_a")
    with pytest.raises(ValueError, match="invalid document id"):
        a.customers.get("../../salon_b/customers/cust_1")
    with pytest.raises(ValueError, match="invalid document id"):
        a.customers.update("x/y", {"name": "Evil"})
    with pytest.raises(ValueError, match="invalid document id"):
        SalonRepositories(firestore_client, "salon_a/customers")


def test_salon_id_and_id_cannot_be_changed_by_an_update(firestore_client: Any) -> None:
    a = SalonRepositories(firestore_client, "salon_a")
    a.customers.create(customer("salon_a", "cust_1"))
    with pytest.raises(ValueError, match="cannot be changed"):
        a.customers.update("cust_1", {"salon_id": "salon_b"})
    with pytest.raises(ValueError, match="no field"):
        a.customers.update("cust_1", {"is_admin": True})


def test_a_document_whose_salon_id_disagrees_with_its_path_is_never_returned(firestore_client: Any) -> None:
    intruder = customer("salon_b", "cust_9").to_firestore()
    firestore_client.collection("salons").document("salon_a").collection("customers").document("cust_9").set(intruder)
    a = SalonRepositories(firestore_client, "salon_a")
    with pytest.raises(CrossSalonError):
        a.customers.get("cust_9")
