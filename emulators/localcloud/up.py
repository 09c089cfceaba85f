"""``python -m localcloud up``: run the whole local cloud until Ctrl-C, then stop every server."""

from __future__ import annotations

import argparse
import shutil
import signal
import threading
from pathlib import Path

from localcloud.stack import export_lines, local_cloud


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud up")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep Firestore data here across restarts (default: in memory only)")
    parser.add_argument("--fresh", action="store_true", help="delete --data-dir before starting")
    parser.add_argument("--functions-source", type=Path, default=Path("functions"))
    parser.add_argument("--no-functions", action="store_true", help="start only the emulators")
    parser.add_argument("--free-ports", action="store_true", help="pick free ports instead of the standard ones")
    parser.add_argument("--indexes", type=Path, default=Path("firestore.indexes.json"),
                        help="index file Firestore enforces, as production does (default: firestore.indexes.json)")
    parser.add_argument("--no-indexes", action="store_true", help="run every query, as Google's emulator does")
    args = parser.parse_args(argv)
    if args.fresh and args.data_dir is not None:
        shutil.rmtree(args.data_dir, ignore_errors=True)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    source = None if args.no_functions else args.functions_source
    indexes = None if args.no_indexes else args.indexes
    with local_cloud(fixed_ports=not args.free_ports, functions_source=source, data_dir=args.data_dir,
                     indexes=indexes) as cloud:
        print("localcloud up:")
        for name, server in sorted(cloud.servers.items()):
            print(f"  {name:<10} http://{server.address}")
        print("environment for clients:")
        for line in export_lines(cloud.env):
            print(f"  {line}")
        print("localcloud ready (Ctrl-C stops everything)", flush=True)
        stop.wait()
    return 0
