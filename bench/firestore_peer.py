"""The Node Firestore emulator ``bench/emulator.py`` measures ours against: ``@firestore-emulator/server``.

The version is pinned in ``bench/peer/package-lock.json`` and installed with ``npm ci`` into
``bench/peer/node_modules`` (git-ignored) the first time a bench needs it. The package is a library with
no command, so ``bench/peer/serve.mjs`` starts it and prints a ``ready`` line once its port is bound, the
same signal our emulators give.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

PEER_DIR = Path(__file__).resolve().parent / "peer"
PACKAGE = "@firestore-emulator/server"


def ensure_installed() -> str:
    """Install the pinned peer unless its lock file is already installed; returns its version."""
    installed = PEER_DIR / "node_modules" / ".package-lock.json"
    lock = PEER_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--prefix", str(PEER_DIR), "--no-audit", "--no-fund", "--loglevel=error"],
            check=True,
        )
        installed.touch()
    manifest = json.loads((PEER_DIR / "node_modules" / PACKAGE / "package.json").read_text())
    return str(manifest["version"])


def command(port: int) -> list[str]:
    return ["node", str(PEER_DIR / "serve.mjs"), str(port)]
