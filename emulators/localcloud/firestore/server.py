"""``python -m localcloud firestore --host H --port P --project ID [--rules FILE]``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from concurrent import futures

import grpc

from localcloud.firestore.auth import AllowAll, Authorizer
from localcloud.firestore.frontdoor import FrontDoor
from localcloud.firestore.grpc_adapter import generic_handler
from localcloud.firestore.http_api import HttpApi
from localcloud.firestore.service import FirestoreService
from localcloud.firestore.store import Store
from localcloud.firestore.triggers import TriggerDispatcher

# Listen streams each hold a worker for their lifetime; leave plenty for ordinary RPCs.
WORKER_THREADS = 128


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m localcloud firestore")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--project", default="demo-salonflow", help="default project (any project is served)")
    parser.add_argument("--rules", help="security rules file (not enforced yet: every request is allowed)")
    parser.add_argument("--lock-timeout", type=float, default=5.0, help="seconds a commit waits for locks")
    return parser.parse_args(argv)


def make_authorizer(rules_path: str | None) -> Authorizer:
    if rules_path is not None:
        with open(rules_path, encoding="utf-8"):
            pass  # fail fast on a missing file
        print(f"localcloud firestore: rules file {rules_path} loaded but not enforced", file=sys.stderr)
    return AllowAll()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    store = Store(lock_timeout_s=args.lock_timeout)
    service = FirestoreService(store, make_authorizer(args.rules))

    grpc_socket = f"localcloud-firestore-{os.getpid()}-{args.port}"
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="rpc"),
        handlers=[generic_handler(service)],
        options=[("grpc.max_receive_message_length", 64 * 1024 * 1024), ("grpc.so_reuseport", 0)],
        maximum_concurrent_rpcs=None,
    )
    server.add_insecure_port(f"unix-abstract:{grpc_socket}")
    server.start()
    http_api = HttpApi(store)
    TriggerDispatcher(store).install(http_api)
    front = FrontDoor(args.host, args.port, grpc_socket, http_api)
    front.serve_in_background()

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"localcloud firestore ready on {args.host}:{args.port} (project {args.project})", flush=True)
    while not stop.wait(0.5):
        pass
    front.close()
    server.stop(grace=1).wait()
    return 0
