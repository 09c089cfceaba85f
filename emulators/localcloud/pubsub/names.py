"""Pub/Sub resource names and the messages Google's service answers with about them."""

from __future__ import annotations

import re

from localcloud.pubsub.rpc import RpcError, already_exists, invalid_argument, not_found

# Topic and subscription ids: start with a letter, 3-255 of letters, digits and - _ . ~ + %,
# and never the reserved "goog" prefix.
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$")
_NAME = re.compile(r"^projects/(?P<project>[^/]+)/(?P<kind>topics|subscriptions)/(?P<id>[^/]+)$")

DELETED_TOPIC = "_deleted-topic_"


def short_id(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def invalid_name(field: str, value: str) -> RpcError:
    return invalid_argument(
        f"Invalid resource name given ({field}={value}). "
        "Refer to https://cloud.google.com/pubsub/docs/admin#resource_names for more information."
    )


def validate(name: str, kind: str, field: str = "name") -> str:
    """Return ``name`` if it is a well-formed ``projects/p/<kind>/id``; else INVALID_ARGUMENT."""
    match = _NAME.match(name or "")
    if match is None or match.group("kind") != kind:
        raise invalid_name(field, name)
    resource_id = match.group("id")
    if not _ID.match(resource_id) or resource_id.lower().startswith("goog"):
        raise invalid_name(field, name)
    return name


def project_of(name: str) -> str:
    return name.split("/")[1]


def validate_project(project: str) -> str:
    match = re.match(r"^projects/([^/]+)$", project or "")
    if match is None:
        raise invalid_argument(f"Invalid [projects] name: (name={project})")
    return match.group(1)


def resource_not_found(name: str) -> RpcError:
    return not_found(f"Resource not found (resource={short_id(name)}).")


def resource_exists(name: str) -> RpcError:
    return already_exists(f"Resource already exists in the project (resource={short_id(name)}).")
