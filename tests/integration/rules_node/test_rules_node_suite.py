"""The Node suite in tests/rules (Firebase JS SDK + @firebase/rules-unit-testing) against our emulator.

It loads firestore.rules through ``PUT /emulator/v1/projects/{p}:securityRules``, seeds with the ``owner``
token, and drives every request the PWA can make through the SDK's gRPC streams (Write, Listen) and RPCs
(BatchGetDocuments, Commit with verify writes, RunAggregationQuery). Needs ``npm ci --prefix tests/rules``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from localcloud.testing import run_server

SUITE = Path(__file__).resolve().parents[2] / "rules"
SUMMARY = re.compile(r"(\d+) attack cases tried, (\d+) got through; (\d+) legitimate requests, (\d+) refused")


def test_the_node_rules_suite_lets_no_attack_through_our_emulator() -> None:
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed to run tests/rules"
    assert (SUITE / "node_modules" / "@firebase" / "rules-unit-testing").is_dir(), (
        "install the Node suite first: npm ci --prefix tests/rules"
    )
    with run_server("firestore", ["--project", "demo-rules"]) as server:
        completed = subprocess.run(
            [npm, "test", "--prefix", str(SUITE)],
            env={**os.environ, "FIRESTORE_EMULATOR_HOST": server.address, "RULES_TEST_PROJECT": "demo-rules"},
            capture_output=True,
            text=True,
            timeout=240,
        )
    output = completed.stdout + completed.stderr
    summary = SUMMARY.search(output)
    assert summary is not None, output[-4000:]
    print(f"\n{summary.group(0)}")
    attacks, through, legitimate, refused = (int(group) for group in summary.groups())
    assert completed.returncode == 0, output[-4000:]
    assert through == 0 and refused == 0, output[-4000:]
    assert attacks >= 500 and legitimate >= 100
