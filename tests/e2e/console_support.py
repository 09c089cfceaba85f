"""The owner console in a real headless Chromium, over the whole local stack.

``ConsoleStack`` runs the local cloud with the security rules on, the Auth emulator, the browser transport
(``firestore-web``) and Hosting serving ``console/dist``, a seeded salon on the **real** clock (the browser
and the server agree on time, as in production) and its people as Auth accounts. The salon's timezone is a
fixed offset chosen so that it is late morning there right now, whatever time the suite runs.

``Browser`` drives Chromium through ``console/test/driver.mjs`` (playwright-core, pinned in
``console/package-lock.json``), one JSON command per line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from google.cloud import firestore, pubsub_v1
from localcloud.stack import SANDBOX_WHATSAPP_FROM, LocalCloud
from salonflow_demo.cloud import salon_cloud
from salonflow_demo.seed import SalonDataset, build_salon, write_salon

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"
DRIVER = CONSOLE / "test" / "driver.mjs"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SALON_ID = "salon_console"
OTHER_SALON_ID = "salon_other"
PASSWORD = "console-test-pw"
T = TypeVar("T")


def require_browser() -> None:
    """Fail (never skip) with what to install when the browser or the console build is missing."""
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"Chromium is not at {CHROMIUM}: `apt-get install -y chromium` (make test does it)")
    if not (CONSOLE / "node_modules" / "playwright-core").is_dir():
        problems.append("playwright-core is not installed: `npm ci --prefix console` (make test does it)")
    if not (CONSOLE / "dist" / "app.js").is_file():
        problems.append("the console is not built: `npm run build --prefix console` (make console)")
    if shutil.which("node") is None:
        problems.append("node is not on PATH")
    if problems:
        raise AssertionError("the browser tests cannot run: " + "; ".join(problems))


def late_morning_zone(now: datetime, hour: int = 11) -> str:
    """A fixed-offset IANA zone (``Etc/GMT-7`` is UTC+7) in which it is ``hour``:xx at ``now``."""
    offset = (hour - now.astimezone(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def eventually(probe: Callable[[], T | None], *, timeout_s: float = 45.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Person:
    uid: str
    email: str
    role: str | None
    salon_id: str


@dataclass
class ConsoleStack:
    cloud: LocalCloud
    client: firestore.Client
    dataset: SalonDataset
    events_subscription: str
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def console_url(self) -> str:
        return self.cloud.url("hosting")

    def sandbox(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.cloud.url("twilio") + path, data=data, method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def messages(self) -> list[dict[str, Any]]:
        return list(self.sandbox("GET", "/_sandbox/messages")["messages"])

    def events(self) -> list[dict[str, Any]]:
        subscriber = pubsub_v1.SubscriberClient()
        pulled = subscriber.pull(subscription=self.events_subscription, max_messages=500, timeout=5)
        if pulled.received_messages:
            subscriber.acknowledge(subscription=self.events_subscription,
                                   ack_ids=[m.ack_id for m in pulled.received_messages])
        return [json.loads(m.message.data) for m in pulled.received_messages]

    def sign_in_token(self, person: Person) -> str:
        """The person's ID token from the Auth emulator, as the JS SDK gets it."""
        request = urllib.request.Request(
            f"{self.cloud.url('auth')}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=fake",
            data=json.dumps({"email": person.email, "password": PASSWORD, "returnSecureToken": True}).encode(),
            method="POST", headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.loads(response.read())["idToken"])

    def add_person(self, name: str, role: str | None, salon_id: str = SALON_ID) -> Person:
        """An Auth account with ``salon_roles = {salon_id: role}``, created as firebase-admin would."""
        person = Person(uid=f"u_{name}", email=f"{name}@console.test", role=role, salon_id=salon_id)
        body = {"localId": person.uid, "email": person.email, "password": PASSWORD,
                "customAttributes": json.dumps({"salon_roles": {salon_id: role}} if role else {})}
        request = urllib.request.Request(
            f"{self.cloud.url('auth')}/identitytoolkit.googleapis.com/v1/projects/demo-salonflow/accounts",
            data=json.dumps(body).encode(), method="POST",
            headers={"content-type": "application/json", "authorization": "Bearer owner"})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        self.people[name] = person
        return person


def start_console_stack(*, customers: int = 80, staff: int = 3,
                        salon_changes: dict[str, Any] | None = None) -> Iterator[ConsoleStack]:
    now = datetime.now(UTC)
    zone = late_morning_zone(now)
    from zoneinfo import ZoneInfo

    day = now.astimezone(ZoneInfo(zone)).date()
    dataset = build_salon(17, salon_id=SALON_ID, day=day, staff=staff, customers=customers, history_days=120,
                          timezone=zone, whatsapp_sender=SANDBOX_WHATSAPP_FROM.removeprefix("whatsapp:"))

    def seed(client: firestore.Client) -> None:
        write_salon(client, dataset)
        # No waitlist: the first wave of every gap is then the gap-fill agent's, which asks the owner.
        for entry in client.collection(f"salons/{SALON_ID}/waitlist").stream():
            entry.reference.delete()
        if salon_changes:
            client.document(f"salons/{SALON_ID}").update(salon_changes)

    with salon_cloud(seed=seed) as cloud:
        client = firestore.Client(project=cloud.env["GOOGLE_CLOUD_PROJECT"])
        subscriber = pubsub_v1.SubscriberClient()
        subscription = subscriber.subscription_path(cloud.env["GOOGLE_CLOUD_PROJECT"], "console-observer")
        subscriber.create_subscription(name=subscription, topic=subscription.replace(
            "subscriptions/console-observer", "topics/salon-events"))
        stack = ConsoleStack(cloud, client, dataset, subscription)
        stack.add_person("owner", "owner")
        stack.add_person("manager", "manager")
        stack.add_person("staff", "staff")
        stack.add_person("outsider", "owner", salon_id=OTHER_SALON_ID)
        yield stack


class BrowserError(RuntimeError):
    pass


class Browser:
    """Chromium driven by Playwright in a Node child process; every call waits for its answer."""

    def __init__(self, console_url: str) -> None:
        require_browser()
        self.console_url = console_url
        self.process = subprocess.Popen(["node", str(DRIVER)], cwd=CONSOLE, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self.process.stdout is not None
        first = json.loads(self.process.stdout.readline() or "{}")
        if not first.get("ready"):
            raise BrowserError("the browser driver did not start")
        self._next = 0

    def call(self, cmd: str, **args: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self._next += 1
        self.process.stdin.write(json.dumps({"id": self._next, "cmd": cmd, **args}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise BrowserError(f"the browser driver exited during {cmd}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise BrowserError(f"{cmd} failed: {answer['error']}")
        return answer["result"]

    # conveniences --------------------------------------------------------------------------------------
    def sign_in(self, context: str, page: str, person: Person, path: str = "#/inbox") -> None:
        self.call("open", context=context)
        self.call("page", context=context, page=page, url=f"{self.console_url}/{path}")
        self.call("waitFor", page=page, selector='[data-testid="login"]')
        self.call("fill", page=page, selector='[data-testid="email"]', value=person.email)
        self.call("fill", page=page, selector='[data-testid="password"]', value=PASSWORD)
        self.call("click", page=page, selector='[data-testid="sign-in"]')
        self.call("waitFor", page=page, selector='[data-testid="who"]')

    def wait_for(self, page: str, selector: str, timeout_s: float = 10.0, state: str = "visible") -> None:
        self.call("waitFor", page=page, selector=selector, timeout=int(timeout_s * 1000), state=state)

    def texts(self, page: str, selector: str) -> list[str]:
        return list(self.call("text", page=page, selector=selector))

    def evaluate(self, page: str, js: str, arg: Any = None) -> Any:
        return self.call("eval", page=page, js=js, arg=arg)

    def close(self) -> None:
        with contextlib.suppress(BrowserError):
            self.call("quit")
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def write_test_approval(client: firestore.Client, approval_id: str, *, minutes: int = 15,
                        priority: str = "medium") -> datetime:
    """A server-written approval (as the executor writes one); returns its commit time."""
    now = datetime.now(UTC)
    result = client.document(f"salons/{SALON_ID}/approvals/{approval_id}").set({
        "id": approval_id, "salon_id": SALON_ID, "decision_id": f"dec_{approval_id}", "agent_name": "gap_fill_agent",
        "action_type": "gap_fill", "action_summary": f"Latency probe {approval_id}",
        "action_details": {"customer_name": "Probe", "time_slot": "4:00 PM - 5:00 PM", "potential_revenue": 500},
        "priority": priority, "status": "pending", "expires_at": now + timedelta(minutes=minutes),
        "notifications_sent": {"whatsapp": False, "push": False, "email": False},
        "response": {"action": None, "responded_by": None, "responded_at": None, "notes": None},
        "created_at": now, "updated_at": now})
    return result.update_time  # type: ignore[no-any-return]
