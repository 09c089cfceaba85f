"""The emulator's stored Firestore descriptors (``protos.py``) against the pinned client library."""

from __future__ import annotations

from google.cloud.firestore_v1.types import document
from localcloud.firestore import protos


def test_the_stored_descriptor_set_is_what_the_pinned_client_library_defines() -> None:
    # Fails after an upgrade of google-cloud-firestore: renew with python -m localcloud.firestore.protos --write
    assert protos.DESCRIPTOR_SET.read_bytes() == protos.descriptor_set_from_library()


def test_a_document_crosses_between_the_emulator_and_the_client_library_as_bytes() -> None:
    ours = protos.Document(name="projects/p/databases/(default)/documents/a/b")
    ours.fields["n"].integer_value = 7
    theirs = document.Document.pb().FromString(ours.SerializeToString())
    assert theirs.fields["n"].integer_value == 7
    assert protos.Document.FromString(theirs.SerializeToString()) == ours
