"""Process-wide Google clients, created on first use so cold starts pay only for what they use."""

from __future__ import annotations

import functools
import os
from typing import Any


def project_id() -> str:
    for name in ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "GCP_PROJECT_ID"):
        value = os.environ.get(name)
        if value:
            return value
    raise RuntimeError("set GOOGLE_CLOUD_PROJECT to the Firebase project id")


@functools.cache
def default_app() -> Any:
    import firebase_admin

    try:
        return firebase_admin.get_app()
    except ValueError:
        return firebase_admin.initialize_app(options={"projectId": project_id()})


@functools.cache
def firestore_client() -> Any:
    from google.cloud import firestore

    return firestore.Client(project=project_id())
