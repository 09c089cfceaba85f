"""Fire scheduled functions on their cron schedules, with Cloud Scheduler's headers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from localcloud.functions.cron import CronSchedule, parse_cron
from localcloud.functions.discovery import Endpoint

log = logging.getLogger("localcloud.scheduler")

Fire = Callable[[Endpoint, datetime], int]


def schedule_of(endpoint: Endpoint) -> CronSchedule:
    trigger = endpoint.spec["scheduleTrigger"]
    return parse_cron(str(trigger["schedule"]), str(trigger.get("timeZone") or "UTC"))


def job_name(endpoint: Endpoint, project: str) -> str:
    # The name the Firebase CLI gives the Cloud Scheduler job of a scheduled function.
    return f"projects/{project}/locations/{endpoint.region}/jobs/firebase-schedule-{endpoint.name}-{endpoint.region}"


class Scheduler:
    """One thread that wakes at each minute boundary and fires the functions due then."""

    def __init__(self, endpoints: list[Endpoint], fire: Fire) -> None:
        self._jobs = [(endpoint, schedule_of(endpoint)) for endpoint in endpoints]
        self._fire = fire
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="localcloud-scheduler", daemon=True)

    def start(self) -> None:
        if self._jobs:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        next_minute = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        while not self._stop.is_set():
            wait_s = (next_minute - datetime.now(UTC)).total_seconds()
            if wait_s > 0 and self._stop.wait(wait_s):
                return
            for endpoint, schedule in self._jobs:
                if schedule.matches(next_minute):
                    threading.Thread(target=self._fire_logged, args=(endpoint, next_minute), daemon=True).start()
            next_minute += timedelta(minutes=1)

    def _fire_logged(self, endpoint: Endpoint, schedule_time: datetime) -> None:
        try:
            status = self._fire(endpoint, schedule_time)
            log.info("scheduled %s at %s -> %s", endpoint.name, schedule_time.isoformat(), status)
        except Exception:
            log.exception("scheduled %s failed", endpoint.name)
