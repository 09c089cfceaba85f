"""Behaviours where the emulator once differed from real Firestore, found by running Google's own
client system tests against it. Each test states the Firestore behaviour in its name."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

Client = Any


def seed(client: Client, collection: str, docs: dict[str, dict[str, Any]]) -> Any:
    batch = client.batch()
    ref = client.collection(collection)
    for doc_id, data in docs.items():
        batch.set(ref.document(doc_id), data)
    batch.commit()
    return ref


# Ids deliberately sort opposite to the prices, so name order and price order disagree.
SERVICES = {
    "a-bridal": {"price": 9000},
    "b-colour": {"price": 2500},
    "c-facial": {"price": 1200},
    "d-trim": {"price": 300},
    "e-unpriced": {"note": "price on request"},
}


def test_a_limited_sum_adds_the_lowest_values_of_the_summed_field_not_the_first_ids(
    firestore_client: Client,
) -> None:
    services = seed(firestore_client, "services", SERVICES)

    total = services.limit(2).sum("price", alias="total").get()[0][0].value

    assert total == 300 + 1200


def test_a_limited_average_skips_documents_without_the_field_and_follows_its_order(
    firestore_client: Client,
) -> None:
    services = seed(firestore_client, "services", SERVICES)

    average = services.limit(3).avg("price", alias="mean").get()[0][0].value
    descending = services.order_by("price", direction="DESCENDING").limit(1).avg("price").get()[0][0].value

    assert average == (300 + 1200 + 2500) / 3
    assert descending == 9000


def test_a_limited_count_still_counts_documents_in_name_order_whatever_their_fields(
    firestore_client: Client,
) -> None:
    services = seed(firestore_client, "services", SERVICES)

    assert services.limit(10).count().get()[0][0].value == 5


def test_explaining_an_average_names_the_averaged_fields_index_before_the_document_name(
    firestore_client: Client,
) -> None:
    from google.cloud.firestore_v1.query_profile import ExplainOptions

    services = seed(firestore_client, "services", SERVICES)

    results = services.avg("price", alias="mean").get(explain_options=ExplainOptions(analyze=False))
    index = results.get_explain_metrics().plan_summary.indexes_used[0]

    assert index["properties"] == "(price ASC, __name__ ASC)"
    assert index["query_scope"] == "Collection"


def test_explaining_a_count_names_only_the_filtered_field_and_the_document_name(
    firestore_client: Client,
) -> None:
    from google.cloud.firestore_v1.base_query import FieldFilter
    from google.cloud.firestore_v1.query_profile import ExplainOptions

    services = seed(firestore_client, "services", SERVICES)
    query = services.where(filter=FieldFilter("price", "==", 300)).count()

    results = query.get(explain_options=ExplainOptions(analyze=True))
    index = results.get_explain_metrics().plan_summary.indexes_used[0]

    assert index["properties"] == "(price ASC, __name__ ASC)"
    assert results[0][0].value == 1


def test_a_batch_get_returns_the_found_documents_first_then_the_missing_ones_each_in_request_order(
    firestore_client: Client,
) -> None:
    staff = seed(firestore_client, "staff", {"asha": {"chair": 1}, "dev": {"chair": 4}, "bala": {"chair": 2}})
    wanted = ["dev", "kiran", "asha", "zoya", "bala"]

    snapshots = list(firestore_client.get_all([staff.document(doc_id) for doc_id in wanted]))

    assert [(snapshot.id, snapshot.exists) for snapshot in snapshots] == [
        ("dev", True),
        ("asha", True),
        ("bala", True),
        ("kiran", False),
        ("zoya", False),
    ]


def test_a_batch_get_naming_one_document_twice_answers_for_it_once(firestore_client: Client) -> None:
    staff = seed(firestore_client, "staff", {"asha": {"chair": 1}})
    first, again = staff.document("asha"), firestore_client.document("staff", "asha")

    snapshots = list(
        firestore_client.get_all([first, again, staff.document("nobody"), staff.document("nobody")])
    )

    assert [(snapshot.id, snapshot.exists) for snapshot in snapshots] == [("asha", True), ("nobody", False)]
