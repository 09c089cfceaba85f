"""Hold N ``on_snapshot`` listeners on one collection in a process of their own (for ``bench/emulator.py``).

    python bench/firestore_listeners.py HOST:PORT COLLECTION N COUNT_FILE

Prints ``ready`` once every listener has its first snapshot, then keeps them open; on SIGTERM writes the
number of document changes the listeners were sent to COUNT_FILE and exits. A process of its own keeps
the official client's snapshot handling (one stream and thread per listener) off the writer's GIL, so the
bench sees what the listeners cost the server, not what they cost the client.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

PROJECT_ID = "demo-salonflow"


def main(argv: list[str]) -> int:
    address, collection_id, count_text, count_file = argv
    os.environ["FIRESTORE_EMULATOR_HOST"] = address
    from google.cloud import firestore

    client = firestore.Client(project=PROJECT_ID)
    collection = client.collection(collection_id)
    listeners = int(count_text)
    first_snapshots = threading.Semaphore(0)
    changes_seen = [0]
    lock = threading.Lock()

    def on_snapshot(_docs: Any, changes: list[Any], _read_time: Any, seen: list[bool]) -> None:
        with lock:
            changes_seen[0] += len(changes)
        if not seen[0]:
            seen[0] = True
            first_snapshots.release()

    watches = []
    for _ in range(listeners):
        seen = [False]
        watches.append(collection.on_snapshot(lambda d, c, t, seen=seen: on_snapshot(d, c, t, seen)))
    for _ in range(listeners):
        first_snapshots.acquire()
    print("listeners ready", flush=True)

    def finish(*_: object) -> None:
        with lock:
            Path(count_file).write_text(str(changes_seen[0]))
        os._exit(0)  # closing a hundred watches one by one only slows the bench down

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
