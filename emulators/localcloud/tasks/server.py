"""``python -m localcloud tasks --host 127.0.0.1 --port 9499``."""

from __future__ import annotations

import logging
from pathlib import Path

from localcloud.activity import grpc_activity_handler
from localcloud.pubsub.journal import Journal
from localcloud.pubsub.rpc import base_arguments, serve
from localcloud.tasks.scheduler import DEFAULT_QUEUE_NAME_REUSE_S, DEFAULT_TASK_NAME_REUSE_S, TaskQueues
from localcloud.tasks.service import CloudTasksService


def main(argv: list[str]) -> int:
    parser = base_arguments("Local Cloud Tasks emulator (google.cloud.tasks.v2 over gRPC)", 9499)
    parser.add_argument("--project", default="demo-salonflow", help="only labels the ready line")
    parser.add_argument(
        "--task-name-reuse-seconds",
        type=float,
        default=DEFAULT_TASK_NAME_REUSE_S,
        help="how long a finished or deleted task's name stays reserved (Cloud Tasks: about 1 hour)",
    )
    parser.add_argument(
        "--queue-name-reuse-seconds",
        type=float,
        default=DEFAULT_QUEUE_NAME_REUSE_S,
        help="how long a deleted queue's name stays reserved (Cloud Tasks: 7 days)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep queues, tasks and reserved names here across restarts (default: memory only)",
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    queues = TaskQueues(
        task_name_reuse_s=args.task_name_reuse_seconds,
        queue_name_reuse_s=args.queue_name_reuse_seconds,
        journal=Journal(args.data_dir) if args.data_dir else None,
    )
    return serve(
        name="tasks",
        host=args.host,
        port=args.port,
        handlers=[*CloudTasksService(queues).handlers(),
                  grpc_activity_handler(lambda request: queues.tasks_due_within(float(request.get("horizon_s", 0))))],
        on_stop=queues.stop,
        detail=f"(project {args.project}; build the client with localcloud.tasks.client.emulator_client)",
    )
