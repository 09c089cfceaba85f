"""``python -m localcloud <service> [options]``: run one local cloud server (or ``up`` for all)."""

from __future__ import annotations

import importlib
import sys

# Each service module exposes ``main(argv: list[str]) -> int``; imported lazily so one
# server's start-up never pays for another's dependencies.
SERVICES = {
    "firestore": "localcloud.firestore.server",
    "pubsub": "localcloud.pubsub.server",
    "tasks": "localcloud.tasks.server",
    "twilio": "localcloud.twilio.server",
    "functions": "localcloud.functions.server",
    "auth": "localcloud.auth_server",
    "firestore-web": "localcloud.firestore_web",
    "hosting": "localcloud.hosting",
    "up": "localcloud.up",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SERVICES:
        names = ", ".join(SERVICES)
        print(f"usage: python -m localcloud {{{names}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(SERVICES[argv[0]])
    return int(module.main(argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
