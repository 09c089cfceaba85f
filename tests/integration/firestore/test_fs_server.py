"""The emulator process: command line, readiness line, HTTP and gRPC on one port, clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from localcloud.testing import free_port

pytestmark = pytest.mark.integration


def _start(port: int) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "localcloud", "firestore", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(
        [*command, "--project", "demo-salonflow"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_server_prints_one_ready_line_serves_both_protocols_and_stops_cleanly(signum: int) -> None:
    port = free_port()
    process = _start(port)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "ready" in line and f"127.0.0.1:{port}" in line
        with socket.create_connection(("127.0.0.1", port), timeout=5) as http:
            http.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            reply = b""
            while chunk := http.recv(4096):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"Ok")

        env = {**os.environ, "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{port}"}
        code = (
            "from google.cloud import firestore;"
            "c = firestore.Client(project='demo-salonflow');"
            "c.document('a/b').set({'x': 1});"
            "print(c.document('a/b').get().to_dict())"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
        )
        assert out.stdout.strip() == "{'x': 1}"

        started = time.monotonic()
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
