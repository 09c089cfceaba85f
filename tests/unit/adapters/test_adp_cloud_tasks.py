"""Cloud Tasks: the spec's queues as data, deterministic task names, OIDC-authenticated HTTP tasks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from salonflow.adapters.cloud_tasks import (
    QUEUE_CONFIGS,
    TASK_ROUTES,
    CloudTasksConfig,
    CloudTasksQueue,
    task_id_for,
)

CONFIG = CloudTasksConfig(
    project_id="salon-saas-487508",
    location="asia-south1",
    target_base_url="https://asia-south1-salon-saas-487508.cloudfunctions.net/internal",
    service_account_email="salon-flow-api@salon-saas-487508.iam.gserviceaccount.com",
)


def test_the_four_queues_carry_the_specs_rate_limits_and_retries() -> None:
    limits = {
        name: (c.max_concurrent_dispatches, c.max_dispatches_per_second, c.max_attempts)
        for name, c in QUEUE_CONFIGS.items()
    }
    assert limits == {
        "autonomous-agents": (10, 5, 3),
        "notifications": (20, 10, 3),
        "analytics": (5, 2, 3),
        "cleanup": (3, 1, 3),
    }
    agents = QUEUE_CONFIGS["autonomous-agents"]
    assert (agents.min_backoff, agents.max_backoff) == (timedelta(seconds=10), timedelta(seconds=300))


def test_every_task_type_of_the_spec_routes_to_a_known_queue_and_handler() -> None:
    assert TASK_ROUTES["send_whatsapp"].path == "/internal/tasks/send-notification"
    assert TASK_ROUTES["expired_outreach"].queue == "cleanup"
    assert {route.queue for route in TASK_ROUTES.values()} == set(QUEUE_CONFIGS)


def test_the_same_key_always_names_the_same_task_and_different_keys_differ() -> None:
    key = "gap_fill|salon_123|2026-11-25T09:05"
    assert task_id_for(key) == task_id_for(key)
    assert task_id_for(key) != task_id_for("gap_fill|salon_123|2026-11-25T09:10")
    assert len(task_id_for(key)) <= 500 and task_id_for(key).replace("-", "").isalnum()


def test_an_empty_dedupe_key_is_refused() -> None:
    with pytest.raises(ValueError):
        task_id_for("")


def test_a_task_is_an_authenticated_json_post_to_the_internal_endpoint() -> None:
    when = datetime(2026, 11, 25, 9, 5, tzinfo=UTC)
    task = CloudTasksQueue(CONFIG).build_task(
        "autonomous-agents",
        "/internal/tasks/execute",
        {"salon_id": "salon_123", "agent": "gap_fill_agent"},
        dedupe_key="gap_fill|salon_123|2026-11-25T09:05",
        schedule_time=when,
    )
    assert task["name"] == (
        "projects/salon-saas-487508/locations/asia-south1/queues/autonomous-agents/tasks/"
        + task_id_for("gap_fill|salon_123|2026-11-25T09:05")
    )
    request = task["http_request"]
    assert request["url"] == CONFIG.target_base_url + "/internal/tasks/execute"
    assert request["http_method"] == "POST"
    assert request["headers"] == {"Content-Type": "application/json"}
    assert json.loads(request["body"]) == {"salon_id": "salon_123", "agent": "gap_fill_agent"}
    assert request["oidc_token"] == {"service_account_email": CONFIG.service_account_email}
    assert task["schedule_time"] == when


def test_a_naive_schedule_time_is_refused() -> None:
    with pytest.raises(ValueError):
        CloudTasksQueue(CONFIG).build_task(
            "cleanup", "/x", {}, dedupe_key="k", schedule_time=datetime(2026, 1, 1)
        )


def test_config_from_env_points_at_the_emulator() -> None:
    config = CloudTasksConfig.from_env(
        {
            "GCP_PROJECT_ID": "demo-salonflow",
            "INTERNAL_TASKS_BASE_URL": "http://127.0.0.1:5001/demo-salonflow/asia-south1/internal",
            "TASKS_SERVICE_ACCOUNT": "salon-flow-api@demo-salonflow.iam.gserviceaccount.com",
            "CLOUD_TASKS_EMULATOR_HOST": "127.0.0.1:9499",
        }
    )
    assert (config.location, config.emulator_host) == ("asia-south1", "127.0.0.1:9499")
