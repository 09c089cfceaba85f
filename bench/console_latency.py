"""Listener latency of the owner console in a real headless Chromium: an approval written by the server
(Admin SDK, as an agent writes one) until the inbox's ``onSnapshot`` has it (``window.__approvalSeenAt``).

Both instants come from the same machine clock: the approval's commit time (the write result's
``update_time``) and ``Date.now()`` in the page's snapshot callback. Prints the median and p95 over N
approvals written one after another (each waits until the page has it), through the whole local stack with
the security rules on: Firestore emulator -> firestore-web (WebChannel) -> Firebase JS SDK -> DOM.

    .venv/bin/python bench/console_latency.py [--approvals 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from console_support import Browser, percentile, start_console_stack, write_test_approval


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--approvals", type=int, default=20)
    args = parser.parse_args()
    stacks = start_console_stack()
    stack = next(stacks)
    browser = Browser(stack.console_url)
    try:
        browser.sign_in("owner", "inbox", stack.people["owner"])
        browser.wait_for("inbox", '[data-testid="inbox-status"]:has-text("Nothing waiting")')
        latencies = []
        for index in range(args.approvals):
            approval_id = f"probe_bench_{index}"
            committed = write_test_approval(stack.client, approval_id).timestamp() * 1000
            browser.wait_for("inbox", f'[data-testid="approval"][data-id="{approval_id}"]', timeout_s=30)
            seen = browser.evaluate("inbox", "return window.__approvalSeenAt[arg]", approval_id)
            latencies.append(seen - committed)
        print(f"console listener latency, server write -> visible in the page, {len(latencies)} approvals: "
              f"median {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
              f"min {min(latencies):.1f} ms, max {max(latencies):.1f} ms")
    finally:
        browser.close()
        for _ in stacks:
            pass


if __name__ == "__main__":
    main()
