"""A local cloud server outlives no caller: not even one killed before its cleanup could run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CALLER = """
import time
from localcloud.testing import run_server

with run_server("pubsub", ["--project", "demo-salonflow"]) as server:
    print(server.process.pid, flush=True)
    time.sleep(600)
"""


def is_gone(pid: int) -> bool:
    """No such process, or only its zombie (nothing here may reap an orphan)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


def test_a_server_stops_by_itself_when_its_caller_is_killed_outright() -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    caller = subprocess.Popen([sys.executable, "-c", CALLER], stdout=subprocess.PIPE, text=True, env=environment)
    try:
        assert caller.stdout is not None
        line = caller.stdout.readline()  # the server's pid once it is ready (run_server gives up after 20 s)
        assert line.strip().isdigit(), f"the caller did not start the server: {line!r}"
        server_pid = int(line)
        assert not is_gone(server_pid)
        caller.send_signal(signal.SIGKILL)
        caller.wait(30)
        deadline = time.monotonic() + 60
        while not is_gone(server_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert is_gone(server_pid), "the server outlived its killed caller"
    finally:
        if caller.poll() is None:
            caller.kill()
            caller.wait()
