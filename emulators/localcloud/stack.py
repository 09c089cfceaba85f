"""The whole local cloud as one context manager: Firestore, Pub/Sub, Cloud Tasks, the Twilio sandbox
and the functions host, wired the way Google and Twilio wire the deployed product.

Used by ``make up`` (``python -m localcloud up``), the end-to-end tests and ``make demo``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.testing import RunningServer, free_port, run_server

PROJECT = "demo-salonflow"
REGION = "asia-south1"
DEFAULT_PORTS = {"firestore": 8080, "pubsub": 8085, "tasks": 9499, "functions": 5001, "twilio": 8099,
                 "auth": 9099, "firestore-web": 8081, "hosting": 5000}
SANDBOX_ACCOUNT_SID = "AC00000000000000000000000000000000"
SANDBOX_AUTH_TOKEN = "localcloud-sandbox-auth-token"
SANDBOX_WHATSAPP_FROM = "whatsapp:+14155238886"
TASKS_SERVICE_ACCOUNT = f"salon-flow-api@{PROJECT}.iam.gserviceaccount.com"


@dataclass(frozen=True)
class LocalCloud:
    servers: dict[str, RunningServer]
    env: dict[str, str] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://{self.servers[service].address}"

    def function_url(self, name: str) -> str:
        return f"{self.url('functions')}/{PROJECT}/{REGION}/{name}"


def cloud_env(ports: dict[str, int]) -> dict[str, str]:
    """What a client (or the functions) needs to reach the local cloud instead of Google's."""
    functions = f"http://127.0.0.1:{ports['functions']}/{PROJECT}/{REGION}"
    return {
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "GCLOUD_PROJECT": PROJECT,
        "GCP_REGION": REGION,
        "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{ports['firestore']}",
        "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{ports['pubsub']}",
        "CLOUD_TASKS_EMULATOR_HOST": f"127.0.0.1:{ports['tasks']}",
        # firebase-admin accepts the emulator's unsigned ID tokens only when this is set.
        "FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{ports.get('auth', 9099)}",
        "TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": SANDBOX_AUTH_TOKEN,
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{ports['twilio']}",
        "TWILIO_WHATSAPP_FROM": SANDBOX_WHATSAPP_FROM,
        "PUBLIC_WEBHOOK_BASE_URL": f"{functions}/webhooks",
        "INTERNAL_TASKS_BASE_URL": f"{functions}/internal",
        "TASKS_SERVICE_ACCOUNT": TASKS_SERVICE_ACCOUNT,
        "SALONFLOW_LOCAL_CLOUD": "1",
    }


@contextlib.contextmanager
def local_cloud(
    *,
    fixed_ports: bool = False,
    functions_source: Path | None = Path("functions"),
    data_dir: Path | None = None,
    indexes: Path | None = Path("firestore.indexes.json"),
    schedules: bool = True,
    before_functions: Callable[[dict[str, str]], None] | None = None,
    rules: Path | None = None,
    web_app: Path | None = None,
) -> Iterator[LocalCloud]:
    """Start every server (on free ports unless ``fixed_ports``), stop them all when the block ends.

    ``before_functions(env)`` runs once the emulators are up but before the functions register their
    triggers: the place to import existing data without replaying it through the triggers.

    ``rules`` is enforced for every caller but the Admin SDK (``Bearer owner``), as Google does for web
    clients. Browsers reach the cloud through the Auth emulator, ``firestore-web`` (the Firebase JS SDK's
    WebChannel and REST transports, translated to our Firestore emulator) and, with ``web_app``, Firebase
    Hosting serving that directory with ``/autonomous/**`` rewritten to the API function.

    ``indexes`` is the index file Firestore enforces (a query it cannot serve fails as in production);
    None runs every query, as Google's emulator does.
    """
    ports = dict(DEFAULT_PORTS) if fixed_ports else {name: free_port() for name in DEFAULT_PORTS}
    env = cloud_env(ports)
    persist = data_dir is not None
    with contextlib.ExitStack() as stack:
        servers: dict[str, RunningServer] = {}
        firestore_args = ["--project", PROJECT]
        if indexes is not None:
            firestore_args += ["--indexes", str(indexes)]
        if persist:
            assert data_dir is not None
            data_dir.mkdir(parents=True, exist_ok=True)
            firestore_args += ["--data-dir", str(data_dir / "firestore")]
        if rules is not None:
            firestore_args += ["--rules", str(rules)]
        servers["firestore"] = stack.enter_context(run_server("firestore", firestore_args, port=ports["firestore"]))
        servers["auth"] = stack.enter_context(run_server("auth", ["--project", PROJECT], port=ports["auth"]))
        servers["firestore-web"] = stack.enter_context(run_server(
            "firestore-web", ["--firestore", env["FIRESTORE_EMULATOR_HOST"]], port=ports["firestore-web"]))
        pubsub_args, tasks_args = ["--project", PROJECT], ["--project", PROJECT]
        if data_dir is not None:
            pubsub_args += ["--data-dir", str(data_dir / "pubsub")]
            tasks_args += ["--data-dir", str(data_dir / "tasks")]
        servers["pubsub"] = stack.enter_context(run_server("pubsub", pubsub_args, port=ports["pubsub"]))
        servers["tasks"] = stack.enter_context(run_server("tasks", tasks_args, port=ports["tasks"]))
        servers["twilio"] = stack.enter_context(run_server(
            "twilio",
            ["--account-sid", SANDBOX_ACCOUNT_SID, "--auth-token", SANDBOX_AUTH_TOKEN,
             "--public-base-url", env["PUBLIC_WEBHOOK_BASE_URL"],
             "--whatsapp-from", SANDBOX_WHATSAPP_FROM],
            port=ports["twilio"],
        ))
        if before_functions is not None:
            before_functions(env)
        if functions_source is not None:
            functions_args = ["--project", PROJECT, "--source", str(functions_source),
                              "--firestore", env["FIRESTORE_EMULATOR_HOST"], "--pubsub", env["PUBSUB_EMULATOR_HOST"]]
            if not schedules:
                functions_args.append("--no-schedules")
            servers["functions"] = stack.enter_context(
                run_server("functions", functions_args, port=ports["functions"], env=env, timeout_s=60.0))
        if web_app is not None:
            browser = {"firestore": f"127.0.0.1:{ports['firestore-web']}", "auth": f"http://127.0.0.1:{ports['auth']}"}
            servers["hosting"] = stack.enter_context(run_server("hosting", [
                "--public", str(web_app), "--project", PROJECT, "--emulators", json.dumps(browser),
                "--function-base", f"http://127.0.0.1:{ports['functions']}/{PROJECT}/{REGION}/autonomous"],
                port=ports["hosting"]))
        yield LocalCloud(servers=servers, env=env)


def export_lines(env: dict[str, str]) -> list[str]:
    return [f"export {key}={value}" for key, value in sorted(env.items())]


def apply_env(env: dict[str, str]) -> None:
    os.environ.update(env)
