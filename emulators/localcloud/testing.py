"""Start localcloud servers as child processes for tests, benchmarks and the demo.

Every server prints one line containing ``ready`` on stdout once it accepts
requests; we wait for it instead of polling the port, and we always stop the
whole process group so nothing outlives the caller.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RunningServer:
    process: subprocess.Popen[str]
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@contextlib.contextmanager
def run_server(
    service: str,
    extra_args: Sequence[str] = (),
    *,
    port: int | None = None,
    timeout_s: float = 20.0,
    env: dict[str, str] | None = None,
) -> Iterator[RunningServer]:
    """Run ``python -m localcloud <service> --host 127.0.0.1 --port N`` until the block ends."""
    chosen_port = port or free_port()
    command = [sys.executable, "-m", "localcloud", service, "--host", "127.0.0.1", "--port", str(chosen_port)]
    command.extend(extra_args)
    with run_command(command, chosen_port, timeout_s=timeout_s, env=env) as server:
        yield server


@contextlib.contextmanager
def run_command(
    command: Sequence[str], port: int, *, timeout_s: float = 20.0, env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """Run any server that prints a ``ready`` line once it serves ``127.0.0.1:port`` (benchmarks start
    other emulators this way) until the block ends."""
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        # The server stops itself if this process dies without reaching the `finally` below.
        env={**os.environ, **(env or {}), "LOCALCLOUD_PARENT_PID": str(os.getpid())},
        start_new_session=True,
    )
    try:
        _wait_until_ready(process, timeout_s)
        yield RunningServer(process=process, host="127.0.0.1", port=port)
    finally:
        stop_process_group(process)


def _wait_until_ready(process: subprocess.Popen[str], timeout_s: float) -> None:
    assert process.stdout is not None
    ready = threading.Event()
    stdout = process.stdout

    def pump() -> None:
        # Keep draining stdout after "ready" so a chatty server never blocks on a full pipe.
        for line in stdout:
            if "ready" in line:
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready.wait(0.05):
            if process.poll() is not None:
                raise RuntimeError(f"localcloud server exited early with code {process.returncode}")
            return
        if process.poll() is not None:
            raise RuntimeError(f"localcloud server exited early with code {process.returncode}")
    stop_process_group(process)
    raise TimeoutError(f"localcloud server did not become ready within {timeout_s}s")


def stop_process_group(process: subprocess.Popen[str], grace_s: float = 5.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def environment(name: str, value: str) -> Iterator[None]:
    """Set one environment variable (e.g. ``PUBSUB_EMULATOR_HOST``) for the block, then restore it."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
