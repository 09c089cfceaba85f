"""``python -m localcloud pubsub --host 127.0.0.1 --port 8085 --project demo-salonflow``."""

from __future__ import annotations

import logging
from pathlib import Path

from localcloud.activity import grpc_activity_handler
from localcloud.pubsub.broker import Broker
from localcloud.pubsub.journal import Journal
from localcloud.pubsub.push import PushWorker
from localcloud.pubsub.rpc import base_arguments, serve
from localcloud.pubsub.service import PubSubService


def main(argv: list[str]) -> int:
    parser = base_arguments("Local Pub/Sub emulator (google.pubsub.v1 over gRPC)", 8085)
    # Resources carry their project in their names; the flag only labels the ready line,
    # like gcloud's emulator, so clients of any project id work.
    parser.add_argument("--project", default="demo-salonflow")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep topics, subscriptions and unacknowledged messages here across restarts (default: memory only)",
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    broker = Broker(journal=Journal(args.data_dir) if args.data_dir else None)
    pusher = PushWorker(broker)
    service = PubSubService(broker)

    def stop() -> None:
        broker.stop()
        pusher.stop()

    return serve(
        name="pubsub",
        host=args.host,
        port=args.port,
        handlers=[*service.handlers(), grpc_activity_handler(lambda _request: broker.push_backlog())],
        on_stop=stop,
        detail=f"(project {args.project}; set PUBSUB_EMULATOR_HOST={args.host}:{args.port})",
    )
