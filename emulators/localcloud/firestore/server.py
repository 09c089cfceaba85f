"""``python -m localcloud firestore --host H --port P --project ID [--rules FILE] [--indexes FILE]``.

Start-up loads only what serving needs: the rules engine, persistence and index enforcement are imported
when ``--rules``/``PUT …:securityRules``, ``--data-dir`` or ``--indexes`` ask for them.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from localcloud.firestore.auth import AllowAll, Authorizer
from localcloud.firestore.frontdoor import FrontDoor
from localcloud.firestore.grpc_adapter import methods
from localcloud.firestore.grpc_server import GrpcServer
from localcloud.firestore.http_api import HttpApi
from localcloud.firestore.security_rules import SecurityRulesApi
from localcloud.firestore.service import FirestoreService
from localcloud.firestore.store import Store
from localcloud.firestore.triggers import TriggerDispatcher

if TYPE_CHECKING:
    from localcloud.firestore.index_config import IndexConfig
    from localcloud.firestore.persistence import Persistence


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
        compact_bytes: int | None = None,  # default: persistence.COMPACT_BYTES
        indexes: IndexConfig | None = None,
    ) -> None:
        self.store = store or Store()
        # Recovered before anything subscribes to the change feed: restored documents fire no triggers.
        self.persistence: Persistence | None = None
        if data_dir is not None:
            from localcloud.firestore.persistence import COMPACT_BYTES, Persistence

            self.persistence = Persistence.open(data_dir, self.store, compact_bytes=compact_bytes or COMPACT_BYTES)
        enforcer = None
        if indexes is not None:
            from localcloud.firestore.indexes import IndexEnforcer

            enforcer = IndexEnforcer(indexes)
        self.service = FirestoreService(self.store, authorizer, enforcer)
        self.http = HttpApi(self.store)
        self.security_rules = SecurityRulesApi(self.service, authorizer)
        self.security_rules.install(self.http)
        self.triggers = TriggerDispatcher(self.store)
        self.triggers.install(self.http)
        self._grpc = GrpcServer(methods(self.service))
        self._front = FrontDoor(host, port, self._grpc, self.http)
        self.host = host
        self.port = self._front.port

    def start(self) -> None:
        self._front.serve_in_background()

    def stop(self, grace_s: float = 1.0) -> None:
        self._front.close()
        self._grpc.close()
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
        "--compact-bytes", type=int, help="journal size that triggers a snapshot (default 16 MiB)"
    )
    parser.add_argument(
        "--indexes",
        type=Path,
        help="firestore.indexes.json to enforce: queries it cannot serve fail as production does",
    )
    args = parser.parse_args(argv)
    # Read before "ready": a broken index file stops the start-up instead of silently enforcing nothing.
    args.index_config = None
    if args.indexes is not None:
        from localcloud.firestore.index_config import IndexConfig, IndexFileError

        try:
            args.index_config = IndexConfig.load(args.indexes)
        except (OSError, IndexFileError) as exc:
            parser.error(f"--indexes: {exc}")
    return args


def make_authorizer(rules_path: str | None) -> Authorizer:
    """Without ``--rules`` every request is allowed (as Google's emulator without a rules file) until
    rules arrive by ``PUT …:securityRules``; ``Bearer owner`` always bypasses rules."""
    if rules_path is None:
        return AllowAll()
    from localcloud.rules import firestore_authorizer

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
