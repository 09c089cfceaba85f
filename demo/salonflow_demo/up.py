"""``make up``: the whole local cloud on the standard ports, provisioned, running our functions with
their schedules, data kept in ``.localcloud/data`` across restarts (``--fresh`` starts empty)."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
from pathlib import Path

from localcloud.stack import export_lines

from salonflow_demo.cloud import salon_cloud


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make up")
    parser.add_argument("--data-dir", type=Path, default=Path(".localcloud/data"))
    parser.add_argument("--fresh", action="store_true", help="delete the data directory first")
    args = parser.parse_args(argv)
    if args.fresh:
        shutil.rmtree(args.data_dir, ignore_errors=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with salon_cloud(fixed_ports=True, data_dir=args.data_dir, schedules=True) as cloud:
        print("Salon Flow local cloud:")
        for name, server in sorted(cloud.servers.items()):
            print(f"  {name:<10} http://{server.address}")
        print(f"  API        {cloud.function_url('autonomous')}/autonomous/openapi.json")
        print(f"  console    {cloud.url('hosting')}/  (owner console: sign in with an Auth emulator account, README)")
        print("Environment for clients (PWA, scripts, the Firebase CLI):")
        for line in export_lines(cloud.env):
            print(f"  {line}")
        print("localcloud ready (Ctrl-C stops everything)", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
