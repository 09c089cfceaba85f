"""How our code builds a google-cloud-tasks client that talks to the local emulator.

google-cloud-tasks has no ``*_EMULATOR_HOST`` variable, so the client is given an
insecure gRPC channel explicitly::

    from localcloud.tasks.client import emulator_client
    client = emulator_client("127.0.0.1:9499")

which is the same as ``CloudTasksClient(transport=CloudTasksGrpcTransport(
channel=grpc.insecure_channel(host)))``. Production code should pick between this and
``CloudTasksClient()`` from configuration (e.g. a ``CLOUD_TASKS_EMULATOR_HOST`` setting).
"""

from __future__ import annotations

import grpc
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport


def emulator_client(host: str) -> tasks_v2.CloudTasksClient:
    channel = grpc.insecure_channel(host)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
