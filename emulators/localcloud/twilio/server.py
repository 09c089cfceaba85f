"""``python -m localcloud twilio``: the Twilio sandbox HTTP server.

Twilio REST API (HTTP Basic auth with the sandbox's account SID and auth token), the
subset Salon Flow's adapter calls through the official ``twilio`` client::

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json        create (From/To/Body/ContentSid/...)
    GET  /2010-04-01/Accounts/{AccountSid}/Messages.json        list (To, From, PageSize), newest first
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json  fetch
    POST /2010-04-01/Accounts/{AccountSid}/Calls.json           create (To/From/Url|Twiml/StatusCallback)
    GET  /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json     fetch

Control API for tests and the demo (JSON in, JSON out, no auth: bind to localhost)::

    GET  /_sandbox/messages[?to=E164]   every message sent, with content_sid/variables and callback URL
    GET  /_sandbox/calls                every call
    GET  /_sandbox/callbacks            every webhook post made (url, params, signature, response)
    GET  /_sandbox/inbound              every simulated customer message
    POST /_sandbox/failures             {"kind": "messages"|"calls", "to": E164?, "count": 1,
                                         "error_code": 21610, "status": 400, "message": "...",
                                         "record": false, "delay_ms": 0}
    POST /_sandbox/status-sequence      {"kind": "messages"|"calls", "to": E164?, "count": N|null,
                                         "steps": ["delivered", "sent", "sent", "failed:30007", ...],
                                         "delay_ms": 0, "initial_delay_ms": 0}
    POST /_sandbox/reply                {"from": E164, "body": "YES", "button_payload": "...",
                                         "in_reply_to": "SM...", "channel": "whatsapp", "url": ...}
    POST /_sandbox/calls/{Sid}/answer   {"digits": "1"}  fetch the TwiML, press digits at <Gather>
    POST /_sandbox/calls/{Sid}/end      {"status": "completed"|"no-answer"|"busy"}
    POST /_sandbox/content-templates    {"HX...": "Hi {{1}}, a slot at {{2}} is free"}
    POST /_sandbox/config               {"enforce_session_window": false}
    POST /_sandbox/reset

Free-form WhatsApp text to a number that has not written in the last 24 hours is
accepted and then fails with 63016 in its status callback, as WhatsApp does.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import re
import signal
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcloud.activity import ACTIVITY_PATH
from localcloud.twilio import webhooks
from localcloud.twilio.state import (
    API_VERSION,
    CallbackPlan,
    FailureRule,
    SandboxState,
    SequenceRule,
    TwilioApiError,
)

DEFAULT_ACCOUNT_SID = "AC" + "5a1f" * 8
DEFAULT_AUTH_TOKEN = "5a1f" * 8
DEFAULT_WHATSAPP_FROM = "whatsapp:+14155238886"
INCOMING_PATH = "/webhooks/twilio/incoming"

_ACCOUNT = r"/" + API_VERSION + r"/Accounts/(?P<account>AC\w+)"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(_ACCOUNT + r"/Messages\.json$"), "create_message"),
    ("GET", re.compile(_ACCOUNT + r"/Messages\.json$"), "list_messages"),
    ("GET", re.compile(_ACCOUNT + r"/Messages/(?P<sid>SM\w+)\.json$"), "fetch_message"),
    ("POST", re.compile(_ACCOUNT + r"/Calls\.json$"), "create_call"),
    ("GET", re.compile(_ACCOUNT + r"/Calls/(?P<sid>CA\w+)\.json$"), "fetch_call"),
    ("GET", re.compile(r"/_sandbox/messages$"), "sandbox_messages"),
    ("GET", re.compile(r"/_sandbox/calls$"), "sandbox_calls"),
    ("GET", re.compile(r"/_sandbox/callbacks$"), "sandbox_callbacks"),
    ("GET", re.compile(r"/_sandbox/inbound$"), "sandbox_inbound"),
    ("GET", re.compile(r"/_sandbox/health$"), "sandbox_health"),
    ("GET", re.compile(ACTIVITY_PATH + "$"), "sandbox_activity"),
    ("POST", re.compile(r"/_sandbox/failures$"), "sandbox_failures"),
    ("POST", re.compile(r"/_sandbox/status-sequence$"), "sandbox_sequence"),
    ("POST", re.compile(r"/_sandbox/reply$"), "sandbox_reply"),
    ("POST", re.compile(r"/_sandbox/calls/(?P<sid>CA\w+)/answer$"), "sandbox_answer"),
    ("POST", re.compile(r"/_sandbox/calls/(?P<sid>CA\w+)/end$"), "sandbox_end_call"),
    ("POST", re.compile(r"/_sandbox/content-templates$"), "sandbox_templates"),
    ("POST", re.compile(r"/_sandbox/config$"), "sandbox_config"),
    ("POST", re.compile(r"/_sandbox/reset$"), "sandbox_reset"),
]


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: SandboxState, options: argparse.Namespace) -> None:
        super().__init__(address, SandboxHandler)
        self.state = state
        self.options = options


class SandboxHandler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the tests read stdout; stay quiet
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # ------------------------------------------------------------- plumbing

    def _dispatch(self, method: str) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        self.query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        self.raw_body = self.rfile.read(length) if length else b""
        for route_method, pattern, handler_name in ROUTES:
            match = pattern.match(parsed.path)
            if match and route_method == method:
                try:
                    if not handler_name.startswith("sandbox_"):
                        self._check_auth(match.group("account"))
                    getattr(self, handler_name)(**match.groupdict())
                except TwilioApiError as exc:
                    self._json(exc.status, exc.to_json())
                except (ValueError, KeyError, TypeError) as exc:
                    self._json(400, {"error": f"{type(exc).__name__}: {exc}"})
                return
        if parsed.path.startswith("/" + API_VERSION + "/"):
            self._json(
                404,
                TwilioApiError(404, 20404, f"The requested resource {parsed.path} was not found").to_json(),
            )
        else:
            self._json(404, {"error": f"no route for {method} {parsed.path}"})

    def _check_auth(self, account: str) -> None:
        state = self.server.state
        header = self.headers.get("Authorization", "")
        ok = False
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except ValueError:
                user, password = "", ""
            ok = hmac.compare_digest(user, state.account_sid) and hmac.compare_digest(
                password, state.auth_token
            )
        if not ok:
            raise TwilioApiError(401, 20003, "Authenticate")
        if account != state.account_sid:
            raise TwilioApiError(404, 20404, f"The requested resource {self.path} was not found")

    def _form(self) -> dict[str, str]:
        pairs = urllib.parse.parse_qsl(self.raw_body.decode("utf-8"), keep_blank_values=True)
        form: dict[str, str] = {}
        for key, value in pairs:
            # Repeated keys (StatusCallbackEvent=initiated&StatusCallbackEvent=ringing) are kept joined.
            form[key] = f"{form[key]} {value}" if key in form else value
        return form

    def _json_body(self) -> dict[str, Any]:
        if not self.raw_body:
            return {}
        data = json.loads(self.raw_body)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, default=str).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        self.wfile.write(body)

    def _scripted_failure(self, kind: str, to: str) -> FailureRule | None:
        rule = self.server.state.take_failure(kind, to.removeprefix("whatsapp:"))
        if rule is not None and rule.delay_ms:
            time.sleep(rule.delay_ms / 1000)
        return rule

    # ------------------------------------------------------------- Twilio REST

    def create_message(self, account: str) -> None:
        state = self.server.state
        form = self._form()
        failure = self._scripted_failure("messages", form.get("To", ""))
        if failure is not None and not failure.record:
            raise TwilioApiError(failure.status, failure.code, failure.message)
        resource, plan = state.create_message(form, datetime.now(UTC))
        if plan is not None:
            self._start_message_callbacks(resource["sid"], plan)
        if failure is not None:
            raise TwilioApiError(failure.status, failure.code, failure.message)
        self._json(201, resource)

    def _start_message_callbacks(self, sid: str, plan: CallbackPlan) -> None:
        state = self.server.state
        webhooks.run_later(state, lambda: webhooks.deliver_message_callbacks(state, sid, plan))

    def list_messages(self, account: str) -> None:
        state = self.server.state
        page_size = min(int(self.query.get("PageSize", "50")), 1000)
        found = state.list_messages(self.query.get("To"), self.query.get("From"))[:page_size]
        uri = f"/{API_VERSION}/Accounts/{account}/Messages.json"
        self._json(
            200,
            {
                "messages": found,
                "end": max(len(found) - 1, 0),
                "first_page_uri": f"{uri}?PageSize={page_size}&Page=0",
                "next_page_uri": None,
                "page": 0,
                "page_size": page_size,
                "previous_page_uri": None,
                "start": 0,
                "uri": f"{uri}?PageSize={page_size}&Page=0",
            },
        )

    def fetch_message(self, account: str, sid: str) -> None:
        resource = self.server.state.message(sid)
        if resource is None:
            raise TwilioApiError(404, 20404, f"The requested resource {self.path} was not found")
        self._json(200, resource)

    def create_call(self, account: str) -> None:
        state = self.server.state
        form = self._form()
        failure = self._scripted_failure("calls", form.get("To", ""))
        if failure is not None and not failure.record:
            raise TwilioApiError(failure.status, failure.code, failure.message)
        resource, plan = state.create_call(form, datetime.now(UTC))
        if plan is not None:
            sid = resource["sid"]
            webhooks.run_later(state, lambda: webhooks.deliver_call_callbacks(state, sid, plan))
        if failure is not None:
            raise TwilioApiError(failure.status, failure.code, failure.message)
        self._json(201, resource)

    def fetch_call(self, account: str, sid: str) -> None:
        resource = self.server.state.call(sid)
        if resource is None:
            raise TwilioApiError(404, 20404, f"The requested resource {self.path} was not found")
        self._json(200, resource)

    # ------------------------------------------------------------- control API

    def sandbox_health(self) -> None:
        state = self.server.state
        self._json(200, {"ok": True, "account_sid": state.account_sid})

    def sandbox_activity(self) -> None:
        self._json(200, {"pending": self.server.state.callbacks_pending.pending})

    def sandbox_messages(self) -> None:
        to = self.query.get("to")
        records = self.server.state.recorded_messages()
        if to:
            records = [
                r for r in records if r["to"].removeprefix("whatsapp:") == to.removeprefix("whatsapp:")
            ]
        self._json(200, {"messages": records})

    def sandbox_calls(self) -> None:
        self._json(200, {"calls": self.server.state.recorded_calls()})

    def sandbox_callbacks(self) -> None:
        state = self.server.state
        with state.lock:
            self._json(200, {"callbacks": list(state.callbacks)})

    def sandbox_inbound(self) -> None:
        state = self.server.state
        with state.lock:
            self._json(200, {"inbound": list(state.inbound)})

    def sandbox_failures(self) -> None:
        data = self._json_body()
        status = int(data.get("status", 400))
        code = int(data.get("error_code", _default_code(status)))
        rule = FailureRule(
            kind=str(data.get("kind", "messages")),
            status=status,
            code=code,
            message=str(data.get("message") or _default_message(code)),
            count=int(data.get("count", 1)),
            to=_number_or_none(data.get("to")),
            record=bool(data.get("record", False)),
            delay_ms=int(data.get("delay_ms", 0)),
        )
        with self.server.state.lock:
            self.server.state.failures.append(rule)
        self._json(200, {"scripted": rule.__dict__})

    def sandbox_sequence(self) -> None:
        data = self._json_body()
        steps = [_step(item) for item in data.get("steps") or data.get("sequence") or []]
        if not steps:
            raise ValueError("steps must list at least one status")
        count = data.get("count")
        rule = SequenceRule(
            kind=str(data.get("kind", "messages")),
            steps=steps,
            count=int(count) if count is not None else None,
            to=_number_or_none(data.get("to")),
            delay_ms=int(data.get("delay_ms", 0)),
            initial_delay_ms=int(data.get("initial_delay_ms", 0)),
        )
        with self.server.state.lock:
            # Newest script wins, so a test can override a broader one set earlier.
            self.server.state.sequences.insert(0, rule)
        self._json(200, {"scripted": rule.__dict__})

    def sandbox_reply(self) -> None:
        state = self.server.state
        options = self.server.options
        data = self._json_body()
        from_number = str(data["from"]).removeprefix("whatsapp:")
        url = (
            data.get("url")
            or options.incoming_url
            or (options.public_base_url.rstrip("/") + INCOMING_PATH if options.public_base_url else None)
        )
        if not url:
            raise ValueError("no webhook URL: start with --public-base-url or pass 'url'")
        form = webhooks.incoming_message_form(
            state,
            from_number=from_number,
            to=str(data.get("to") or options.whatsapp_from),
            body=str(data.get("body", "")),
            channel=str(data.get("channel", "whatsapp")),
            button_payload=data.get("button_payload"),
            button_text=data.get("button_text"),
            replied_to_sid=data.get("in_reply_to"),
            profile_name=data.get("profile_name"),
        )
        with state.lock:
            state.last_inbound[from_number] = datetime.now(UTC)
            state.inbound.append(form)
        record = webhooks.post_signed(state, url, form, "incoming_message")
        self._json(
            200,
            {
                "message_sid": form["MessageSid"],
                "url": url,
                "response_status": record.get("response_status"),
                "response_body": record.get("response_body"),
                "error": record.get("error"),
            },
        )

    def sandbox_answer(self, sid: str) -> None:
        state = self.server.state
        if state.call(sid) is None:
            raise TwilioApiError(404, 20404, f"no call {sid}")
        digits = self._json_body().get("digits")
        self._json(200, webhooks.answer_call(state, sid, str(digits) if digits is not None else None))

    def sandbox_end_call(self, sid: str) -> None:
        state = self.server.state
        if state.call(sid) is None:
            raise TwilioApiError(404, 20404, f"no call {sid}")
        status = str(self._json_body().get("status", "completed"))
        url = state.call_extras[sid].get("status_callback")
        record: dict[str, Any] = {}
        if url:
            call = state.apply_call_status(sid, status, datetime.now(UTC))
            record = webhooks.post_signed(
                state, url, webhooks.call_status_form(state, call, status, 99), "call_status"
            )
        else:
            state.apply_call_status(sid, status, datetime.now(UTC))
        self._json(200, {"call_sid": sid, "status": status, "response_status": record.get("response_status")})

    def sandbox_templates(self) -> None:
        data = self._json_body()
        with self.server.state.lock:
            self.server.state.content_templates.update({str(k): str(v) for k, v in data.items()})
        self._json(200, {"templates": len(self.server.state.content_templates)})

    def sandbox_config(self) -> None:
        data = self._json_body()
        state = self.server.state
        with state.lock:
            if "enforce_session_window" in data:
                state.enforce_session_window = bool(data["enforce_session_window"])
        self._json(200, {"enforce_session_window": state.enforce_session_window})

    def sandbox_reset(self) -> None:
        self.server.state.reset()
        self._json(200, {"reset": True})


def _step(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        if "status" not in item:
            raise ValueError("each step needs a status")
        return dict(item)
    status, _, code = str(item).partition(":")
    step: dict[str, Any] = {"status": status}
    if code:
        step["error_code"] = int(code)
    return step


def _number_or_none(value: Any) -> str | None:
    return str(value).removeprefix("whatsapp:") if value else None


def _default_code(status: int) -> int:
    return {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}.get(status, 21211)


_MESSAGES = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    20503: "Service unavailable",
    21211: "Invalid 'To' Phone Number",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    30007: "Message filtered by carrier",
    63014: "Message could not be delivered because the recipient blocked the business",
    63016: "Failed to send freeform message because you are outside the allowed window.",
}


def _default_message(code: int) -> str:
    return _MESSAGES.get(code, f"Twilio error {code}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="localcloud twilio", description="Twilio REST API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument(
        "--public-base-url",
        default=None,
        help="where our webhooks live (replies go to <base>/webhooks/twilio/incoming)",
    )
    parser.add_argument("--incoming-url", default=None, help="explicit URL for simulated customer replies")
    parser.add_argument(
        "--whatsapp-from", default=DEFAULT_WHATSAPP_FROM, help="our WhatsApp sender, the To of replies"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    options = parse_args(argv)
    state = SandboxState(account_sid=options.account_sid, auth_token=options.auth_token)
    server = SandboxServer((options.host, options.port), state, options)

    def stop(signum: int, frame: Any) -> None:
        # shutdown() waits for serve_forever to return, so it must run off the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"localcloud twilio ready on http://{options.host}:{options.port} account_sid={options.account_sid}",
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
