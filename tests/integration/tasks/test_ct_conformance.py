"""Behaviour that Google's own Cloud Tasks samples and tests rely on (checked against our emulator)."""

from __future__ import annotations

import pytest
from ct_support import make_queue
from google.api_core import exceptions
from google.cloud import tasks_v2

pytestmark = pytest.mark.integration


def test_deleting_a_queue_twice_answers_not_found_the_second_time(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    queue = make_queue(tasks_client)
    tasks_client.delete_queue(name=queue)

    with pytest.raises(exceptions.NotFound):
        tasks_client.delete_queue(name=queue)
