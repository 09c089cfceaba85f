"""``make up``: the whole local cloud on the standard ports, provisioned, running our functions with
their schedules, data kept in ``.localcloud/data`` across restarts (``--fresh`` starts empty)."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from localcloud.stack import export_lines

from salonflow_demo.cloud import salon_cloud
from salonflow_demo.token import DEMO_SALON, owner_token, usage


def seed_demo_salon(client: Any) -> None:
    """The demo's salon with its next Tuesday booked, unless a previous `make up` kept it in the data dir."""
    if client.document(f"salons/{DEMO_SALON}").get().exists:
        return
    from localcloud.stack import SANDBOX_WHATSAPP_FROM

    from salonflow_demo.run import KOLKATA, demo_day
    from salonflow_demo.seed import build_salon, write_salon

    dataset = build_salon(7, salon_id=DEMO_SALON, day=demo_day(datetime.now(KOLKATA).date()),
                          whatsapp_sender=SANDBOX_WHATSAPP_FROM.removeprefix("whatsapp:"))
    write_salon(client, dataset)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make up")
    parser.add_argument("--data-dir", type=Path, default=Path(".localcloud/data"))
    parser.add_argument("--fresh", action="store_true", help="delete the data directory first")
    parser.add_argument("--demo", action="store_true", help="load the demo salon (if it is not there yet)")
    args = parser.parse_args(argv)
    if args.fresh:
        shutil.rmtree(args.data_dir, ignore_errors=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    seed = seed_demo_salon if args.demo else None
    with salon_cloud(fixed_ports=True, data_dir=args.data_dir, schedules=True, seed=seed) as cloud:
        print("Salon Flow local cloud:")
        for name, server in sorted(cloud.servers.items()):
            print(f"  {name:<10} http://{server.address}")
        print(f"  API        {cloud.function_url('autonomous')}/openapi.json")
        print(f"  console    {cloud.url('hosting')}/  (owner console: sign in with an Auth emulator account, README)")
        print("Environment for clients (PWA, scripts, the Firebase CLI):")
        for line in export_lines(cloud.env):
            print(f"  {line}")
        salon_id = DEMO_SALON if args.demo else "your_salon_id"
        print(usage(salon_id, owner_token(salon_id)))
        print("  (another salon or role: make token ARGS='--salon ID --role staff')")
        print("localcloud ready (Ctrl-C stops everything)", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
