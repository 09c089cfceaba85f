"""Wait until the local cloud has nothing left to do: no function running, no delivery on its way.

Every emulator that feeds the functions counts what it has in hand (see ``localcloud.activity``):
Firestore triggers, Pub/Sub pushes, Cloud Tasks due soon, Twilio callbacks. A piece of work could
move from an emulator not yet asked to one already asked, but only through a function invocation,
so the cloud is idle when two looks in a row find nothing pending and the functions host started
no invocation between them. No guess about how fast the machine is enters into it.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from localcloud.activity import ACTIVITY_PATH, grpc_pending

if TYPE_CHECKING:
    from localcloud.stack import LocalCloud

# Cloud Tasks retries come back within the queues' max backoff; later work waits for its own time.
TASK_HORIZON_S = 330.0


@dataclass(frozen=True)
class Look:
    pending: dict[str, int]
    invocations_started: int

    @property
    def idle(self) -> bool:
        return not any(self.pending.values())


def look(cloud: LocalCloud, task_horizon_s: float = TASK_HORIZON_S) -> Look:
    """One look at every emulator, the functions host last (its count closes the look)."""
    pending: dict[str, int] = {}
    servers = cloud.servers
    if "twilio" in servers:
        pending["twilio callbacks"] = _get(cloud.url("twilio") + ACTIVITY_PATH)["pending"]
    if "firestore" in servers:
        pending["firestore triggers"] = _get(cloud.url("firestore") + ACTIVITY_PATH)["pending"]
    if "pubsub" in servers:
        pending["pubsub pushes"] = grpc_pending(servers["pubsub"].address)
    if "tasks" in servers:
        pending["cloud tasks"] = grpc_pending(servers["tasks"].address, {"horizon_s": task_horizon_s})
    started = 0
    if "functions" in servers:
        activity = _get(cloud.url("functions") + "/_localcloud/inflight")
        pending["function invocations"], started = activity["inflight"], activity["started"]
    return Look(pending, started)


def wait_until_idle(cloud: LocalCloud, timeout_s: float = 90.0, task_horizon_s: float = TASK_HORIZON_S) -> None:
    """Return once the cloud is idle; raise ``TimeoutError`` naming what is still busy after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    previous: Look | None = None
    while True:
        current = look(cloud, task_horizon_s)
        if (current.idle and previous is not None and previous.idle
                and previous.invocations_started == current.invocations_started):
            return
        if time.monotonic() >= deadline:
            busy = ", ".join(f"{name}: {count}" for name, count in current.pending.items() if count)
            raise TimeoutError(f"the local cloud did not settle within {timeout_s:.0f} s ({busy or 'still moving'})")
        previous = current
        time.sleep(0.05)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())
