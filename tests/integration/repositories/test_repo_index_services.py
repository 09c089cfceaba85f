"""The service layer, the /autonomous API and the entry points only issue queries firestore.indexes.json serves,
and every index it declares is used.

A seeded demo salon goes through a representative flow against the emulator: every agent run through
`run_agent` (gap detection first, so the gap agents have work; analytics once at 00:30 to close yesterday),
score refreshes and the sweep, a customer's reply and an approver's answer through the inbound entry point,
the scheduler's fan-out, and every GET route of the API, once per filter and once with all of them. The
emulator enforces firestore.indexes.json, so a query without its index fails the flow with production's
FAILED_PRECONDITION. Each RunQuery / RunAggregationQuery request the client sends is recorded with the
function that issued it; together with the repositories' own queries, every declared index must serve one
of them (enforcement cannot see an index nothing needs: that is this test's job).

So that a new query cannot slip past this test, every function in the service, API, entry point and
Firestore adapter modules that builds a query must have issued one during the flow.
"""

from __future__ import annotations

import ast
import re
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from google.cloud.firestore_v1.services.firestore.client import FirestoreClient
from google.cloud.firestore_v1.types import (
    RunAggregationQueryRequest,
    RunQueryRequest,
    StructuredAggregationQuery,
    StructuredQuery,
)
from localcloud.firestore.index_config import IndexConfig
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.adapters.twilio_webhooks import INCOMING_PATH, public_webhook_url, sign
from salonflow.agents.proposals import AgentName
from salonflow.api.app import AutonomousApi
from salonflow.api.approvals import APPROVALS
from salonflow.api.context import ApiDeps
from salonflow.api.decisions import DECISIONS
from salonflow.api.gaps import GAPS
from salonflow.api.http import ApiRequest
from salonflow.api.listing import ListSpec
from salonflow.api.outreach import OUTREACH
from salonflow.domain import BookingStatus
from salonflow.domain.enums import ApprovalStatus, DecisionType
from salonflow.entrypoints.inbound import handle_inbound
from salonflow.entrypoints.scheduling import fan_out
from salonflow.entrypoints.webhooks import TwilioWebhooks, WebhookConfig
from salonflow.ports import (
    CallResult,
    EnqueueResult,
    EnqueueStatus,
    MessageChannel,
    Outcome,
    PublishResult,
    SendResult,
)
from salonflow.services.gap_fill_service import GapService
from salonflow.services.housekeeping import ScoreService
from salonflow.services.ports import ServicePorts
from salonflow.services.runner import run_agent
from salonflow_demo.seed import build_salon, write_salon
from salonflow_demo.seed_picks import booking_to_cancel
from test_repo_indexes import INDEX_FILE, declared_indexes_used, run_every_repository_query

pytestmark = pytest.mark.integration

SHARED = Path(__file__).resolve().parents[3] / "shared"
PACKAGE = SHARED / "salonflow"
SCANNED = ["services", "api", "entrypoints", "adapters/firestore", "runtime.py"]
REPOSITORY_MODULE = PACKAGE / "adapters" / "firestore" / "repositories.py"
SALON = "salon_idx"
DAY = date(2026, 1, 14)
IST = ZoneInfo("Asia/Kolkata")
SALON_NUMBER = "+919800000077"
TWILIO_TOKEN = "index-test-auth-token"
HOOKS_BASE = "https://api.salonflow.example/hooks"


@dataclass(frozen=True)
class SentQuery:
    query: StructuredQuery
    aggregation: StructuredAggregationQuery | None
    callers: tuple[tuple[str, str], ...]  # (module under shared/, function) on the stack, innermost first

    @property
    def origin(self) -> tuple[str, str]:
        return self.callers[0] if self.callers else ("", "")


# ---------------------------------------------------------------------------------------------- capture


def _callers() -> tuple[tuple[str, str], ...]:
    """The salonflow functions outside the repositories module that led to this query, innermost first."""
    found: list[tuple[str, str]] = []
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename)
        if PACKAGE in path.parents and path != REPOSITORY_MODULE:
            found.append((str(path.relative_to(SHARED)), frame.name))
    return tuple(found)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SentQuery]]:
    """Every structured query the client puts on the wire to the emulator (queries and aggregations)."""
    seen: list[SentQuery] = []

    Sent = tuple[StructuredQuery, StructuredAggregationQuery | None] | None

    def recording(name: str, extract: Callable[[Any], Sent]) -> None:
        original = getattr(FirestoreClient, name)

        def record(self: FirestoreClient, request: Any = None, *args: Any, **kwargs: Any) -> Any:
            found = extract(request)
            if found is not None:
                seen.append(SentQuery(*found, _callers()))
            return original(self, request, *args, **kwargs)

        monkeypatch.setattr(FirestoreClient, name, record)

    def run_query(request: Any) -> Sent:
        message = RunQueryRequest(request)
        return (message.structured_query, None) if "structured_query" in message else None

    def run_aggregation(request: Any) -> Sent:
        message = RunAggregationQueryRequest(request)
        if "structured_aggregation_query" not in message:
            return None
        aggregation = message.structured_aggregation_query
        return aggregation.structured_query, aggregation

    recording("run_query", run_query)
    recording("run_aggregation_query", run_aggregation)
    yield seen


# ---------------------------------------------------------------------------------------------- the flow


class QuietSender:
    """MessageSender double: every message and call is accepted."""

    def __init__(self) -> None:
        self.count = 0

    def _sid(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count:032d}"

    def send_whatsapp(self, to: str, *, template: Any, body: str | None, last_inbound_at: datetime | None,
                      now: datetime, status_callback: str) -> SendResult:
        return SendResult(outcome=Outcome.sent(), channel=MessageChannel.WHATSAPP, sid=self._sid("SM"),
                          status="queued")

    def send_sms(self, to: str, body: str, *, dlt: Any, status_callback: str) -> SendResult:
        return SendResult(outcome=Outcome.sent(), channel=MessageChannel.SMS, sid=self._sid("SM"), status="queued")

    def start_call(self, to: str, *, status_callback: str, twiml_url: str | None = None,
                   twiml: str | None = None) -> CallResult:
        return CallResult(outcome=Outcome.sent(), sid=self._sid("CA"), status="queued")

    def fetch_message(self, sid: str) -> None:
        return None

    def find_messages_to(self, to: str, *, since: datetime) -> list[Any]:
        return []


class CountingPublisher:
    def __init__(self) -> None:
        self.count = 0

    def publish(self, event: Any) -> PublishResult:
        self.count += 1
        return PublishResult(event_id=event.event_id, message_id=str(self.count))


class AcceptingQueue:
    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []

    def enqueue(self, queue: str, path: str, payload: Mapping[str, Any], *, dedupe_key: str,
                schedule_time: datetime | None = None) -> EnqueueResult:
        self.tasks.append(dict(payload))
        return EnqueueResult(status=EnqueueStatus.CREATED, task_name=f"task-{len(self.tasks)}")


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=IST)


def run_representative_flow(client: Any) -> dict[str, int]:
    """Seed a salon and drive the services, entry points and API over it; what happened, for sanity checks."""
    dataset = build_salon(11, salon_id=SALON, day=DAY, staff=3, services=8, customers=60, history_days=60,
                          waitlist=4, whatsapp_sender=SALON_NUMBER)
    write_salon(client, dataset)
    repos = SalonRepositories(client, SALON)
    ports = ServicePorts(messages=QuietSender(), events=CountingPublisher())
    morning = local(9)
    run_agent(client, SALON, AgentName.ANALYTICS.value, local(0, 30), ports)  # the 00:30 run closes yesterday

    cancelled = booking_to_cancel(dataset, morning, min_lead=timedelta(hours=3))
    assert cancelled is not None
    repos.bookings.update(cancelled.id, {"status": BookingStatus.CANCELLED, "cancelled_at": morning,
                                         "late_cancellation": True, "updated_at": morning})
    gaps = GapService(client, SALON, ports).detect(morning, [DAY], cancelled.staff_id).created
    ScoreService(client, SALON).on_booking_changed(cancelled.customer_id, morning)

    executions = 0
    for agent in AgentName:
        executions += len(run_agent(client, SALON, agent.value, morning, ports).executions)
    executions += len(run_agent(client, SALON, AgentName.GAP_FILL.value, morning + timedelta(hours=1),
                                ports).executions)

    # The owner approves the newest gap offer on WhatsApp; its customer, and two others, answer "YES".
    [pending] = repos.approvals.query([("status", "==", ApprovalStatus.PENDING),
                                       ("action_type", "==", DecisionType.GAP_FILL)],
                                      order_by=[("created_at", "DESCENDING")], limit=1)
    answered = handle_inbound(client, {"salon_id": SALON, "from_phone": dataset.salon.approvers[0].phone,
                                       "body": f"YES {pending.id}", "channel": "whatsapp"},
                              morning + timedelta(minutes=65), ports)
    assert answered.get("status") == ApprovalStatus.APPROVED.value, answered
    approved = repos.decisions.get(pending.decision_id)
    offers = repos.outreach.for_trigger(approved.context.trigger_id or "") if approved else []
    replied = 0
    for outreach in [*offers[:1], *repos.outreach.query([], limit=2)]:
        customer = repos.customers.get(outreach.customer_id)
        if customer is not None:
            handle_inbound(client, {"salon_id": SALON, "from_phone": customer.phone, "body": "YES",
                                    "channel": "whatsapp"}, morning + timedelta(minutes=95), ports)
            replied += 1
    # One customer who got a message opts out: graduated autonomy looks up the message it answers.
    [messaged] = repos.outreach.query([], limit=1)
    opted_out = repos.customers.get(messaged.customer_id)
    assert opted_out is not None
    assert handle_inbound(client, {"salon_id": SALON, "from_phone": opted_out.phone, "body": "STOP",
                                   "channel": "whatsapp"}, morning + timedelta(minutes=100), ports)[
        "handled"] == "consent"
    fan_out(client, AcceptingQueue(), AgentName.GAP_FILL.value, morning + timedelta(hours=2))
    post_incoming_webhook(client, "+919876500000", morning + timedelta(hours=2), ports)
    api_calls = call_every_api_read(client, morning + timedelta(hours=2))
    ScoreService(client, SALON).sweep(morning + timedelta(days=1))
    return {"gaps": len(gaps), "executions": executions, "offers": len(offers), "replies": replied,
            "api_calls": api_calls}


def post_incoming_webhook(client: Any, sender: str, now: datetime, ports: ServicePorts) -> None:
    """A customer's WhatsApp message to the salon's number, signed as Twilio signs it."""
    hooks = TwilioWebhooks(WebhookConfig(TWILIO_TOKEN, HOOKS_BASE), firestore=lambda: client,
                           queue=AcceptingQueue, events=lambda: ports.events, clock=lambda: now)
    form = {"MessageSid": "SM" + "b" * 32, "From": f"whatsapp:{sender}", "To": f"whatsapp:{SALON_NUMBER}",
            "Body": "Haan ji", "NumMedia": "0", "AccountSid": "AC" + "0" * 32}
    signature = sign(TWILIO_TOKEN, public_webhook_url(HOOKS_BASE, INCOMING_PATH), form)
    response = hooks.handle(INCOMING_PATH, "", {"X-Twilio-Signature": signature}, urlencode(form).encode())
    assert response.status == 200


SPECS: dict[str, ListSpec] = {
    "/autonomous/approvals": APPROVALS, "/autonomous/decisions": DECISIONS,
    "/autonomous/gaps": GAPS, "/autonomous/outreach": OUTREACH,
}


def filter_values(spec: ListSpec | None, params: tuple[str, ...], day: date) -> dict[str, str]:
    values: dict[str, str] = {}
    for param in params:
        if spec is not None and param in spec.enum_filters:
            values[param] = next(iter(spec.enum_filters[param][1])).value
        elif spec is not None and param in spec.text_filters:
            values[param] = day.isoformat() if param == "date" else "x"
        elif param in ("from", "date"):
            values[param] = day.isoformat()
        elif param == "to":
            values[param] = (day + timedelta(days=1)).isoformat()
    return values


def call_every_api_read(client: Any, now: datetime) -> int:
    """Every GET route: unfiltered, with each filter alone, and with every filter at once."""
    api = AutonomousApi(ApiDeps(firestore=lambda: client, clock=lambda: now),
                        lambda token: {"sub": "owner_1", "salon_roles": {SALON: "owner"}})
    ids = {"id": "missing", "name": AgentName.GAP_FILL.value}
    calls = 0
    for route in api.router.routes:
        if route.method != "GET":
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], route.template)
        spec = next((s for prefix, s in SPECS.items() if route.template.startswith(prefix)), None)
        every = filter_values(spec, route.query_params, now.date())
        for chosen in [{}, *({k: v} for k, v in every.items()), every]:
            response = api.handle(ApiRequest(method="GET", path=path, headers={"Authorization": "Bearer t"},
                                             query={k: [v] for k, v in {"salon_id": SALON, **chosen}.items()}))
            assert response.status in (200, 404), (route.template, chosen, response.status)
            calls += 1
    return calls


# ---------------------------------------------------------------------------------------------- checks


FIRESTORE_QUERY_CALLS = {"where", "order_by", "collection_group", "count", "due_agents", "salon_by_whatsapp_sender"}


def repository_query_methods() -> set[str]:
    """Names of the repository methods that run a query: `query`, `count`, `list_all` and every method that
    calls one of them (read from the repositories module, so a new query method is picked up)."""
    names = {"query", "count", "list_all"}
    tree = ast.parse(REPOSITORY_MODULE.read_text())
    methods = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    grew = True
    while grew:
        grew = False
        for method in methods:
            if method.name in names:
                continue
            calls = {node.func.attr for node in ast.walk(method)
                     if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
            if calls & names:
                names.add(method.name)
                grew = True
    return names


QUERY_METHODS = repository_query_methods() | FIRESTORE_QUERY_CALLS


def functions_building_queries() -> set[tuple[str, str]]:
    """(module, function) of every function in the scanned modules that calls a query method of a repository,
    a Firestore collection or query, or the directory."""
    found: set[tuple[str, str]] = set()
    for entry in SCANNED:
        root = PACKAGE / entry
        for path in sorted(root.rglob("*.py") if root.is_dir() else [root]):
            if path == REPOSITORY_MODULE:
                continue
            tree = ast.parse(path.read_text())
            for function in ast.walk(tree):
                if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                        isinstance(node, ast.Call) and is_query_call(node) for node in own_nodes(function)):
                    found.add((str(path.relative_to(SHARED)), function.name))
    return found


def own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The function's nodes, without those of functions nested in it (their queries are theirs; a lambda's
    are its enclosing function's)."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            pending.extend(ast.iter_child_nodes(node))


def is_query_call(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in ("due_agents", "salon_by_whatsapp_sender")
    if not isinstance(func, ast.Attribute) or func.attr not in QUERY_METHODS:
        return False
    receiver = ast.unparse(func.value)
    return bool(re.search(r"repos\b|repository|collection|client|_collection|bookings|\.where\(|\.order_by\(",
                          receiver))


def test_every_query_the_services_api_and_entry_points_send_runs_and_every_declared_index_is_used(
        firestore_client: Any, sent: list[SentQuery]) -> None:
    happened = run_representative_flow(firestore_client)  # a query without its index raises FailedPrecondition
    assert happened["gaps"] >= 1 and happened["executions"] >= 1 and happened["offers"] >= 1
    callers = {caller for query in sent for caller in query.callers}
    unexercised = functions_building_queries() - callers
    assert not unexercised, f"query-building functions the flow never ran: {sorted(unexercised)}"

    run_every_repository_query(firestore_client)
    used = declared_indexes_used(
        (item.query._pb, item.aggregation._pb if item.aggregation is not None else None) for item in sent)
    unused = [index for index in IndexConfig.load(INDEX_FILE).composites if index not in used]
    assert unused == []
