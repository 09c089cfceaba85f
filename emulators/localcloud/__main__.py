"""``python -m localcloud <service> [options]``: run one local cloud server (or ``up`` for all)."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
import time

# Set by `localcloud.testing.run_command` to its own pid. A caller killed outright (SIGKILL, a CI job's
# timeout) never reaches its cleanup, and its servers run in their own sessions, so they must notice alone.
PARENT_PID_ENV = "LOCALCLOUD_PARENT_PID"
PARENT_POLL_S = 0.5

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


def exit_with_parent() -> None:
    """Stop this server (its whole session, as the caller would) once the process that started it is gone."""
    # Popped, so processes this server starts do not watch a parent that is not theirs.
    expected = os.environ.pop(PARENT_PID_ENV, "")
    if not expected.isdigit():
        return
    parent = int(expected)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGTERM)
        else:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SERVICES:
        names = ", ".join(SERVICES)
        print(f"usage: python -m localcloud {{{names}}} [options]", file=sys.stderr)
        return 2
    exit_with_parent()
    module = importlib.import_module(SERVICES[argv[0]])
    return int(module.main(argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
