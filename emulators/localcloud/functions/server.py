"""``python -m localcloud functions``: serve ``functions/main.py`` like the Firebase functions emulator.

URLs follow the emulator's convention ``/<project>/<region>/<function>/<path>``; the function sees
``/<path>``. Scheduled functions also fire on their cron schedule and on demand through
``POST /_localcloud/scheduler/<function>`` (optional JSON ``{"schedule_time": RFC 3339}``), which
sends the same ``X-CloudScheduler-*`` headers as Cloud Scheduler. ``GET /_localcloud/inflight``
counts the function invocations running now and ever started. ``GET /_localcloud/logs[?since=SEQ]`` returns
the lines the functions wrote to stdout/stderr (``localcloud.functions.logs``), as Cloud Logging receives them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from localcloud.functions.discovery import Endpoint, FunctionsBundle, load_bundle
from localcloud.functions.invoke import make_function_app
from localcloud.functions.logs import LOGS_PATH, CapturedStream, LogBuffer, set_current_function
from localcloud.functions.scheduler import Scheduler, job_name
from localcloud.functions.wiring import register_firestore_triggers, subscribe_pubsub_functions

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FunctionsHost:
    def __init__(self, bundle: FunctionsBundle, project: str) -> None:
        self.bundle = bundle
        self.project = project
        self._apps = {name: make_function_app(ep, project) for name, ep in bundle.endpoints.items()}
        self._inflight = 0
        self._started = 0
        self._inflight_lock = threading.Lock()
        self.logs = LogBuffer()

    def capture_output(self) -> None:
        """Keep what this process writes to stdout/stderr (the functions run in it) in ``self.logs``."""
        sys.stdout = CapturedStream(sys.stdout, self.logs, "stdout")
        sys.stderr = CapturedStream(sys.stderr, self.logs, "stderr")

    @property
    def inflight(self) -> int:
        """Function invocations running now (tests and the demo wait for this to reach zero)."""
        with self._inflight_lock:
            return self._inflight

    def activity(self) -> dict[str, int]:
        """Invocations running now and ever started: work that hopped between two looks shows in ``started``."""
        with self._inflight_lock:
            return {"inflight": self._inflight, "started": self._started}

    def _invoke(self, name: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._inflight_lock:
            self._inflight += 1
            self._started += 1
        set_current_function(name)
        try:
            # Consume the body inside the count: a function's work is done when its response is.
            return [b"".join(self._apps[name](environ, start_response))]
        finally:
            set_current_function(None)
            with self._inflight_lock:
                self._inflight -= 1

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        segments = path.lstrip("/").split("/", 3)
        if path in ("", "/"):
            return Response("Ok")(environ, start_response)
        if path == "/_localcloud/inflight":
            return Response(json.dumps(self.activity()), mimetype="application/json")(
                environ, start_response)
        if path == LOGS_PATH:
            since = Request(environ).args.get("since", "0")
            return Response(json.dumps(self.logs.since(int(since) if since.isdigit() else 0)),
                            mimetype="application/json")(environ, start_response)
        if path == "/__/functions.yaml":
            return Response(self.bundle.manifest_yaml, mimetype="text/yaml")(environ, start_response)
        if segments[0] == "_localcloud" and len(segments) >= 3 and segments[1] == "scheduler":
            return self._run_scheduled(segments[2], Request(environ))(environ, start_response)
        if len(segments) >= 3 and segments[0] == self.project and segments[2] in self._apps:
            name = segments[2]
            if segments[1] != self.bundle.endpoints[name].region:
                return Response(f"function {name} is not in region {segments[1]}", status=404)(
                    environ, start_response
                )
            prefix = "/" + "/".join(segments[:3])
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
            environ["PATH_INFO"] = "/" + (segments[3] if len(segments) > 3 else "")
            return self._invoke(name, environ, start_response)
        return Response(f"no function at {path}", status=404)(environ, start_response)

    def fire_scheduled(self, endpoint: Endpoint, schedule_time: datetime) -> int:
        """Call a scheduled function in-process with Cloud Scheduler's headers; returns the HTTP status."""
        client = Client(lambda environ, start_response: self._invoke(endpoint.name, environ, start_response))
        response = client.post(
            "/",
            headers={
                "X-CloudScheduler": "true",
                "X-CloudScheduler-JobName": job_name(endpoint, self.project),
                "X-CloudScheduler-ScheduleTime": schedule_time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            },
        )
        return int(response.status_code)

    def _run_scheduled(self, name: str, request: Request) -> Response:
        endpoint = self.bundle.endpoints.get(name)
        if endpoint is None or endpoint.kind != "scheduleTrigger":
            return Response(f"no scheduled function {name}", status=404)
        body = json.loads(request.get_data() or b"{}")
        raw_time = body.get("schedule_time")
        schedule_time = datetime.fromisoformat(raw_time.replace("Z", "+00:00")) if raw_time else datetime.now(UTC)
        status = self.fire_scheduled(endpoint, schedule_time)
        return Response(json.dumps({"function": name, "status": status}), status=200 if status < 300 else 502,
                        mimetype="application/json")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud functions")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--project", default="demo-salonflow")
    parser.add_argument("--source", default="functions", help="folder with main.py")
    parser.add_argument("--no-schedules", action="store_true", help="fire scheduled functions only on demand")
    parser.add_argument("--firestore", help="HOST:PORT of the Firestore emulator to register triggers with")
    parser.add_argument("--pubsub", help="HOST:PORT of the Pub/Sub emulator to push topics to functions")
    args = parser.parse_args(argv)
    bundle = load_bundle(Path(args.source).resolve())
    host = FunctionsHost(bundle, args.project)
    host.capture_output()  # before logging binds its handler to sys.stderr
    parser_log_level = os.environ.get("LOCALCLOUD_FUNCTIONS_LOG_LEVEL", "WARNING")
    logging.basicConfig(level=parser_log_level, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    # Request logs and the twilio client's debug dump drown the functions' own warnings otherwise.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

    server = make_server(args.host, args.port, host, threaded=True)
    scheduled = [ep for ep in bundle.endpoints.values() if ep.kind == "scheduleTrigger"]
    scheduler = Scheduler(scheduled, host.fire_scheduled)
    if not args.no_schedules:
        scheduler.start()
    base_url = f"http://{args.host}:{server.server_port}"
    if args.firestore:
        register_firestore_triggers(list(bundle.endpoints.values()), args.firestore, args.project, base_url)
    if args.pubsub:
        os.environ["PUBSUB_EMULATOR_HOST"] = args.pubsub
        subscribe_pubsub_functions(list(bundle.endpoints.values()), args.project, base_url)

    def shut_down(signum: int, frame: object) -> None:
        scheduler.stop()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    print(
        f"localcloud functions ready on http://{args.host}:{server.server_port} "
        f"({len(bundle.endpoints)} functions: {', '.join(sorted(bundle.endpoints))})",
        flush=True,
    )
    server.serve_forever()
    return 0
