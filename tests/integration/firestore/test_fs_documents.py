"""Document operations through the real google-cloud-firestore client: writes, reads, errors, limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1 import DELETE_FIELD, SERVER_TIMESTAMP
from google.cloud.firestore_v1.types import common, document, write
from google.protobuf import timestamp_pb2

pytestmark = pytest.mark.integration


def test_set_then_get_round_trips_every_value_type(firestore_client: Any) -> None:
    ref = firestore_client.collection("salons").document("s1")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)
    data = {
        "null": None,
        "bool": True,
        "int": 2**62,
        "float": 1.5,
        "text": "Priya's Salon ✂",
        "bytes": b"\x00\x01",
        "when": when,
        "where": firestore.GeoPoint(12.97, 77.59),
        "ref": firestore_client.document("staff/a"),
        "list": [1, "two", {"three": 3}],
        "map": {"nested": {"deep": [None]}},
    }
    ref.set(data)
    snapshot = ref.get()
    assert snapshot.exists
    got = snapshot.to_dict()
    assert got["ref"].path == "staff/a"
    got["ref"] = data["ref"]
    assert got == data
    assert snapshot.create_time == snapshot.update_time


def test_create_twice_is_already_exists_with_firestores_message(firestore_client: Any) -> None:
    ref = firestore_client.collection("salons").document("dup")
    ref.create({"a": 1})
    with pytest.raises(exceptions.AlreadyExists) as raised:
        ref.create({"a": 2})
    assert raised.value.message == f"Document already exists: {ref._document_path}"
    assert ref.get().to_dict() == {"a": 1}


def test_update_of_a_missing_document_is_not_found_with_firestores_message(firestore_client: Any) -> None:
    ref = firestore_client.collection("salons").document("ghost")
    with pytest.raises(exceptions.NotFound) as raised:
        ref.update({"a": 1})
    assert raised.value.message == f"No document to update: {ref._document_path}"
    assert not ref.get().exists


def test_update_with_a_stale_update_time_fails_the_precondition(firestore_client: Any) -> None:
    ref = firestore_client.collection("salons").document("v")
    first = ref.set({"n": 1})
    ref.set({"n": 2})
    with pytest.raises(exceptions.FailedPrecondition):
        ref.update({"n": 3}, option=firestore_client.write_option(last_update_time=first.update_time))
    current = ref.get()
    ref.update({"n": 4}, option=firestore_client.write_option(last_update_time=current.update_time))
    assert ref.get().to_dict() == {"n": 4}


def test_delete_with_exists_precondition_on_a_missing_document_is_not_found(firestore_client: Any) -> None:
    ref = firestore_client.collection("salons").document("never")
    ref.delete()  # deleting what is not there is fine without a precondition
    with pytest.raises(exceptions.NotFound):
        ref.delete(option=firestore_client.write_option(exists=True))


def test_update_with_dotted_paths_merges_nested_fields_and_deletes_marked_ones(firestore_client: Any) -> None:
    ref = firestore_client.collection("staff").document("p")
    ref.set({"name": "Priya", "hours": {"mon": "9-5", "tue": "9-5"}, "old": True, "a.b": 1})
    ref.update({"hours.wed": "10-6", "hours.tue": DELETE_FIELD, "old": DELETE_FIELD, "`a.b`": 2})
    assert ref.get().to_dict() == {"name": "Priya", "hours": {"mon": "9-5", "wed": "10-6"}, "a.b": 2}


def test_set_with_merge_keeps_other_fields_and_replaces_named_ones(firestore_client: Any) -> None:
    ref = firestore_client.collection("staff").document("m")
    ref.set({"a": 1, "b": {"x": 1, "y": 2}})
    ref.set({"b": {"x": 9}, "c": 3}, merge=True)
    assert ref.get().to_dict() == {"a": 1, "b": {"x": 9, "y": 2}, "c": 3}
    ref.set({"b": {"z": 0}, "a": 5}, merge=["b"])
    assert ref.get().to_dict() == {"a": 1, "b": {"z": 0}, "c": 3}


def test_a_write_that_changes_nothing_keeps_the_update_time(firestore_client: Any) -> None:
    ref = firestore_client.collection("staff").document("same")
    first = ref.set({"a": 1})
    second = ref.set({"a": 1})
    assert second.update_time == first.update_time
    third = ref.set({"a": 2})
    assert third.update_time > first.update_time


def test_get_with_field_paths_returns_only_those_fields(firestore_client: Any) -> None:
    ref = firestore_client.collection("staff").document("mask")
    ref.set({"a": 1, "b": {"c": 2, "d": 3}, "e": 4})
    assert ref.get(field_paths=["a", "b.c"]).to_dict() == {"a": 1, "b": {"c": 2}}


def test_get_all_returns_found_and_missing_documents(firestore_client: Any) -> None:
    refs = [firestore_client.document(f"things/{i}") for i in range(3)]
    refs[0].set({"i": 0})
    refs[2].set({"i": 2})
    snapshots = {s.id: s for s in firestore_client.get_all(refs)}
    assert snapshots["0"].to_dict() == {"i": 0}
    assert not snapshots["1"].exists
    assert snapshots["2"].to_dict() == {"i": 2}


def test_server_timestamp_is_one_value_for_the_whole_commit(firestore_client: Any) -> None:
    batch = firestore_client.batch()
    a = firestore_client.document("t/a")
    b = firestore_client.document("t/b")
    batch.set(a, {"at": SERVER_TIMESTAMP, "nested": {"at": SERVER_TIMESTAMP}})
    batch.set(b, {"at": SERVER_TIMESTAMP})
    results = batch.commit()
    got_a, got_b = a.get().to_dict(), b.get().to_dict()
    assert got_a["at"] == got_a["nested"]["at"] == got_b["at"] == results[0].update_time


def test_increment_keeps_integers_exact_and_mixes_to_double(firestore_client: Any) -> None:
    ref = firestore_client.document("counters/c")
    ref.set({"i": 1, "f": 1.5, "s": "text"})
    ref.update(
        {
            "i": firestore.Increment(2),
            "f": firestore.Increment(1),
            "s": firestore.Increment(3),
            "new": firestore.Increment(7),
        }
    )
    got = ref.get().to_dict()
    assert got == {"i": 3, "f": 2.5, "s": 3, "new": 7}
    assert isinstance(got["i"], int) and isinstance(got["f"], float)
    ref.update({"i": firestore.Increment(0.5)})
    assert ref.get().to_dict()["i"] == 3.5


def test_increment_overflow_saturates_at_the_int64_bounds(firestore_client: Any) -> None:
    ref = firestore_client.document("counters/big")
    ref.set({"hi": 2**63 - 10, "lo": -(2**63) + 10})
    ref.update({"hi": firestore.Increment(100), "lo": firestore.Increment(-100)})
    assert ref.get().to_dict() == {"hi": 2**63 - 1, "lo": -(2**63)}


def test_maximum_and_minimum_follow_firestores_mixed_type_rules(firestore_client: Any) -> None:
    ref = firestore_client.document("counters/mm")
    ref.set({"a": 3, "b": 3, "c": 5, "d": 1.0, "e": "x", "n": float("nan")})
    ref.update(
        {
            "a": firestore.Maximum(3.0),  # equivalent: the stored integer stays
            "b": firestore.Maximum(4.5),  # larger double wins with its type
            "c": firestore.Minimum(2.0),
            "d": firestore.Minimum(2),
            "e": firestore.Maximum(9),  # not a number: replaced by the operand
            "n": firestore.Maximum(1),  # NaN is sticky
        }
    )
    got = ref.get().to_dict()
    assert got["a"] == 3 and isinstance(got["a"], int)
    assert got["b"] == 4.5
    assert got["c"] == 2.0 and isinstance(got["c"], float)
    assert got["d"] == 1.0 and isinstance(got["d"], float)
    assert got["e"] == 9
    assert got["n"] != got["n"]


def test_array_union_and_remove_treat_equivalent_numbers_as_equal(firestore_client: Any) -> None:
    ref = firestore_client.document("arrays/a")
    ref.set({"tags": [1, "a", None], "other": "not an array"})
    ref.update({"tags": firestore.ArrayUnion([1.0, "b", None, "b"]), "other": firestore.ArrayUnion(["x"])})
    assert ref.get().to_dict() == {"tags": [1, "a", None, "b"], "other": ["x"]}
    ref.update({"tags": firestore.ArrayRemove([1.0, None]), "missing": firestore.ArrayRemove([1])})
    assert ref.get().to_dict() == {"tags": ["a", "b"], "other": ["x"], "missing": []}


def test_commit_returns_transform_results_in_order(firestore_client: Any) -> None:
    name = f"{firestore_client._database_string}/documents/raw/t"
    firestore_client.document("raw/t").set({"n": 5})
    transforms = [
        write.DocumentTransform.FieldTransform(field_path="n", increment=document.Value(integer_value=2)),
        write.DocumentTransform.FieldTransform(
            field_path="at",
            set_to_server_value=write.DocumentTransform.FieldTransform.ServerValue.REQUEST_TIME,
        ),
        write.DocumentTransform.FieldTransform(
            field_path="arr",
            append_missing_elements=document.ArrayValue(values=[document.Value(string_value="x")]),
        ),
    ]
    request = {
        "database": firestore_client._database_string,
        "writes": [
            write.Write(
                update=document.Document(name=name),
                update_mask=common.DocumentMask(field_paths=[]),
                update_transforms=transforms,
                current_document=common.Precondition(exists=True),
            )
        ],
    }
    response = firestore_client._firestore_api.commit(
        request=request, metadata=firestore_client._rpc_metadata
    )
    results = response.write_results[0].transform_results
    assert results[0].integer_value == 7
    assert results[1].timestamp_value == response.commit_time
    assert results[2]._pb.WhichOneof("value_type") == "null_value"


def test_a_document_over_one_mebibyte_is_rejected_and_one_under_it_is_accepted(firestore_client: Any) -> None:
    ref = firestore_client.document("big/doc")
    with pytest.raises(exceptions.InvalidArgument):
        ref.set({"blob": b"x" * (1024 * 1024)})
    ref.set({"blob": b"x" * (1024 * 1024 - 200)})
    assert len(ref.get().to_dict()["blob"]) == 1024 * 1024 - 200


def test_reserved_field_names_and_arrays_in_arrays_are_invalid(firestore_client: Any) -> None:
    ref = firestore_client.document("bad/doc")
    with pytest.raises(exceptions.InvalidArgument):
        ref.set({"__reserved__": 1})
    with pytest.raises(exceptions.InvalidArgument):
        ref.set({"ok": {"__deep__": 1}})
    name = f"{firestore_client._database_string}/documents/bad/doc"
    nested = document.Value(array_value=document.ArrayValue(values=[document.Value(integer_value=1)]))
    bad = write.Write(
        update=document.Document(
            name=name, fields={"a": document.Value(array_value=document.ArrayValue(values=[nested]))}
        )
    )
    with pytest.raises(exceptions.InvalidArgument):
        firestore_client._firestore_api.commit(
            request={"database": firestore_client._database_string, "writes": [bad]},
            metadata=firestore_client._rpc_metadata,
        )
    assert not ref.get().exists


def test_timestamps_are_stored_to_the_microsecond(firestore_client: Any) -> None:
    name = f"{firestore_client._database_string}/documents/ts/nanos"
    stamp = timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=123_456_789)
    value = document.Value(timestamp_value=stamp)
    firestore_client._firestore_api.commit(
        request={
            "database": firestore_client._database_string,
            "writes": [write.Write(update=document.Document(name=name, fields={"at": value}))],
        },
        metadata=firestore_client._rpc_metadata,
    )
    stored = firestore_client.document("ts/nanos").get().to_dict()["at"]
    assert stored.nanosecond == 0 and stored.microsecond == 123_456


def test_document_crud_rpcs_create_update_get_and_delete(firestore_client: Any) -> None:
    api, meta = firestore_client._firestore_api, firestore_client._rpc_metadata
    parent = f"{firestore_client._database_string}/documents"
    created = api.create_document(
        request={
            "parent": parent,
            "collection_id": "crud",
            "document_id": "",
            "document": {"fields": {"a": {"integer_value": 1}}},
        },
        metadata=meta,
    )
    assert created.name.startswith(f"{parent}/crud/") and len(created.name.rsplit("/", 1)[1]) == 20
    updated = api.update_document(
        request={
            "document": {"name": created.name, "fields": {"b": {"string_value": "x"}}},
            "update_mask": {"field_paths": ["b"]},
        },
        metadata=meta,
    )
    assert dict(updated.fields).keys() == {"a", "b"}
    fetched = api.get_document(request={"name": created.name, "mask": {"field_paths": ["b"]}}, metadata=meta)
    assert set(fetched.fields) == {"b"}
    api.delete_document(request={"name": created.name}, metadata=meta)
    with pytest.raises(exceptions.NotFound):
        api.get_document(request={"name": created.name}, metadata=meta)


def test_invalid_document_names_are_invalid_argument(firestore_client: Any) -> None:
    name = f"{firestore_client._database_string}/documents/odd/__bad__"
    with pytest.raises(exceptions.InvalidArgument):
        firestore_client._firestore_api.commit(
            request={
                "database": firestore_client._database_string,
                "writes": [write.Write(update=document.Document(name=name))],
            },
            metadata=firestore_client._rpc_metadata,
        )


def test_an_update_time_precondition_in_the_future_is_invalid_and_a_past_one_fails(
    firestore_client: Any,
) -> None:
    ref = firestore_client.document("pre/future")
    written = ref.set({"n": 1})
    future = timestamp_pb2.Timestamp()
    future.FromDatetime(written.update_time + dt.timedelta(hours=1))
    with pytest.raises(exceptions.InvalidArgument):
        ref.update({"n": 2}, option=firestore_client.write_option(last_update_time=future))
    with pytest.raises(exceptions.InvalidArgument):
        ref.delete(option=firestore_client.write_option(last_update_time=future))
    ref.set({"n": 3})
    with pytest.raises(exceptions.FailedPrecondition):
        ref.delete(option=firestore_client.write_option(last_update_time=written.update_time))
    assert ref.get().to_dict() == {"n": 3}


def test_a_batch_reports_no_update_time_for_its_delete(firestore_client: Any) -> None:
    keep, drop = firestore_client.document("b/keep"), firestore_client.document("b/drop")
    drop.set({"x": 1})
    batch = firestore_client.batch()
    batch.set(keep, {"x": 1})
    batch.delete(drop)
    created, deleted = batch.commit()
    assert created._pb.HasField("update_time")
    assert not deleted._pb.HasField("update_time")


def test_values_nested_deeper_than_twenty_levels_are_rejected(firestore_client: Any) -> None:
    def nested(levels: int) -> dict[str, Any]:
        value: dict[str, Any] = {"leaf": 1}
        for _ in range(levels - 1):
            value = {"m": value}
        return value

    ref = firestore_client.document("deep/doc")
    ref.set({"top": nested(20)})
    with pytest.raises(exceptions.InvalidArgument):
        ref.set({"top": nested(21)})


def test_vectors_round_trip_although_their_map_uses_a_reserved_key(firestore_client: Any) -> None:
    from google.cloud.firestore_v1.vector import Vector

    ref = firestore_client.document("vectors/v")
    ref.set({"embedding": Vector([1.0, 2.0, 3.0])})
    assert ref.get().to_dict() == {"embedding": Vector([1.0, 2.0, 3.0])}


def test_ids_and_field_names_longer_than_1500_bytes_are_rejected(firestore_client: Any) -> None:
    with pytest.raises(exceptions.InvalidArgument):
        firestore_client.document("long/" + "x" * 1501).set({"a": 1})
    with pytest.raises(exceptions.InvalidArgument):
        firestore_client.document("long/ok").set({"f" * 1501: 1})
    firestore_client.document("long/" + "x" * 1500).set({"f" * 1500: 1})
