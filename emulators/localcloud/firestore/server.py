"""``python -m localcloud firestore --host H --port P --project ID [--rules FILE] [--indexes FILE]``."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from concurrent import futures
from pathlib import Path

import grpc

from localcloud.firestore.auth import Authorizer
from localcloud.firestore.frontdoor import FrontDoor
from localcloud.firestore.grpc_adapter import generic_handler
from localcloud.firestore.http_api import HttpApi
from localcloud.firestore.index_config import IndexConfig, IndexFileError
from localcloud.firestore.indexes import IndexEnforcer
from localcloud.firestore.persistence import COMPACT_BYTES, Persistence
from localcloud.firestore.security_rules import SecurityRulesApi
from localcloud.firestore.service import FirestoreService
from localcloud.firestore.store import Store
from localcloud.firestore.triggers import TriggerDispatcher
from localcloud.rules import firestore_authorizer

# Listen streams each hold a worker for their lifetime; leave plenty for ordinary RPCs.
WORKER_THREADS = 128
_instances = 0


class Emulator:
    """The whole server (store, gRPC service, HTTP extras) on one port; usable in-process too."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        store: Store | None = None,
        authorizer: Authorizer | None = None,
        data_dir: Path | None = None,
        compact_bytes: int = COMPACT_BYTES,
        indexes: IndexConfig | None = None,
    ) -> None:
        global _instances
        _instances += 1
        self.store = store or Store()
        # Recovered before anything subscribes to the change feed: restored documents fire no triggers.
        self.persistence = (
            Persistence.open(data_dir, self.store, compact_bytes=compact_bytes) if data_dir is not None else None
        )
        self.service = FirestoreService(
            self.store, authorizer, IndexEnforcer(indexes) if indexes is not None else None
        )
        self.http = HttpApi(self.store)
        self.security_rules = SecurityRulesApi(self.service, authorizer)
        self.security_rules.install(self.http)
        self.triggers = TriggerDispatcher(self.store)
        self.triggers.install(self.http)
        self._grpc_socket = f"localcloud-firestore-{os.getpid()}-{port}-{_instances}"
        self._grpc = grpc.server(
            futures.ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="rpc"),
            handlers=[generic_handler(self.service)],
            options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
        )
        self._grpc.add_insecure_port(f"unix-abstract:{self._grpc_socket}")
        self._front = FrontDoor(host, port, self._grpc_socket, self.http)
        self.host = host
        self.port = self._front.port

    def start(self) -> None:
        self._grpc.start()
        self._front.serve_in_background()

    def stop(self, grace_s: float = 1.0) -> None:
        self._front.close()
        self._grpc.stop(grace=grace_s).wait()
        self.triggers.close()
        if self.persistence is not None:
            self.persistence.close()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m localcloud firestore")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--project", default="demo-salonflow", help="default project (any project is served)")
    parser.add_argument("--rules", help="security rules file to enforce (default: allow everything)")
    parser.add_argument("--lock-timeout", type=float, default=5.0, help="seconds a commit waits for locks")
    parser.add_argument("--data-dir", type=Path, help="keep documents here across restarts (default: in memory)")
    parser.add_argument(
        "--compact-bytes", type=int, default=COMPACT_BYTES, help="journal size that triggers a snapshot"
    )
    parser.add_argument(
        "--indexes",
        type=Path,
        help="firestore.indexes.json to enforce: queries it cannot serve fail as production does",
    )
    args = parser.parse_args(argv)
    # Read before "ready": a broken index file stops the start-up instead of silently enforcing nothing.
    try:
        args.index_config = IndexConfig.load(args.indexes) if args.indexes is not None else None
    except (OSError, IndexFileError) as exc:
        parser.error(f"--indexes: {exc}")
    return args


def make_authorizer(rules_path: str | None) -> Authorizer:
    """Without ``--rules`` every request is allowed (as Google's emulator without a rules file) until
    rules arrive by ``PUT …:securityRules``; ``Bearer owner`` always bypasses rules."""
    return firestore_authorizer.make_authorizer(rules_path)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    emulator = Emulator(
        args.host,
        args.port,
        store=Store(lock_timeout_s=args.lock_timeout),
        authorizer=make_authorizer(args.rules),
        data_dir=args.data_dir,
        compact_bytes=args.compact_bytes,
        indexes=args.index_config,
    )
    emulator.start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"localcloud firestore ready on {args.host}:{emulator.port} (project {args.project})", flush=True)
    while not stop.wait(0.5):
        pass
    emulator.stop()
    return 0
